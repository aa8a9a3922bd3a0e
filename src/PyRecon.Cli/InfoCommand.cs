using PyRecon.Archives.PyInstaller;
using PyRecon.Cli.Inputs;
using PyRecon.Pyc;

namespace PyRecon.Cli;

/// <summary>
/// <c>pyrecon info</c>: header facts and the code-object tree, for a person or (--json) for tools; for a
/// PyInstaller executable, the listing of its archive instead (nothing is decompiled).
/// </summary>
internal static class InfoCommand
{
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        int exit = ExitCodes.Ok;
        // With --json every input keeps its line, so tools can pair output lines with input files.
        Action<string, string>? onFailure = options.Json && options.Files.Count > 1
            ? (_, message) => stdout.WriteLine($"{{\"error\": {JsonString(message)}}}")
            : null;
        foreach (var path in options.Files)
        {
            var listed = TryListPyInstaller(path, options, stdout, out string? error);
            if (error is not null)
            {
                stderr.WriteLine($"pyrecon: {path}: {error}");
                onFailure?.Invoke(path, error);
                exit = ExitCodes.Unreadable;
            }
            if (listed || error is not null) continue;
            int code = FileCommand.ForEachFile(options with { Files = [path] }, stderr, (file, pyc) =>
            {
                if (options.Json) stdout.WriteLine(PycInfoJson.Write(pyc));
                else stdout.Write(PycInfoText.Write(pyc, file));
            }, onFailure);
            exit = Math.Max(exit, code);
        }
        return exit;
    }

    /// <summary>Lists the file when it is a PyInstaller executable; false (and no error) when it is not one.</summary>
    private static bool TryListPyInstaller(string path, Options options, TextWriter stdout, out string? error)
    {
        error = null;
        try
        {
            using (var head = File.OpenRead(path))
            {
                Span<byte> magic = stackalloc byte[4];
                if (head.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && PycReader.LooksLikePyc(magic)) return false;
            }
            using var archive = PyInstallerArchive.TryOpen(path, new PyInstallerOptions { Version = options.Version, Key = options.Key }, out string? problem);
            if (archive is null)
            {
                if (problem is not null) error = $"a PyInstaller program whose archive cannot be read (truncated or damaged): {problem}";
                return false;
            }
            stdout.Write(options.Json ? PyInstallerListing.Json(archive, path) + "\n" : PyInstallerListing.Text(archive, path));
            return true;
        }
        catch (PyInstallerFormatException e)
        {
            error = $"a PyInstaller program whose archive cannot be read (truncated or damaged): {e.Message}";
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the .pyc path reports it
        }
    }

    private static string JsonString(string text)
    {
        var sb = new System.Text.StringBuilder();
        PycInfoJson.AppendString(sb, text);
        return sb.ToString();
    }
}
