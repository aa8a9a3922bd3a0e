using PyRecon.Pyc;

namespace PyRecon.Cli;

/// <summary>
/// Runs a per-file action over every input file; a file that cannot be read costs only that file:
/// one line on stderr naming it and the problem, and exit code 1 at the end.
/// </summary>
internal static class FileCommand
{
    /// <param name="onFailure">Also told of each failed file (e.g. to keep one output line per input).</param>
    public static int ForEachFile(Options options, TextWriter stderr, Action<string, PycFile> action, Action<string, string>? onFailure = null)
    {
        int failures = 0;
        foreach (var path in options.Files)
        {
            PycFile file;
            byte[] data = [];
            try
            {
                data = File.ReadAllBytes(path);
                file = PycReader.ReadAny(data, options.Version);
            }
            catch (PycFormatException e)
            {
                // Not a .pyc at all (an executable, an archive, text...): say what it seems to be instead.
                string message = options.Version is null && !(data.Length >= 4 && data[2] == '\r' && data[3] == '\n')
                    ? Inputs.Sniffer.Explain(data, path).Message
                    : e.Message;
                stderr.WriteLine($"pyrecon: {path}: {message}");
                onFailure?.Invoke(path, message);
                failures++;
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"pyrecon: {path}: {e.Message}");
                onFailure?.Invoke(path, e.Message);
                failures++;
                continue;
            }
            action(path, file);
        }
        return failures == 0 ? 0 : 1;
    }
}
