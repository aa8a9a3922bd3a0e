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
            try
            {
                file = PycReader.ReadFile(path, options.Version);
            }
            catch (PycFormatException e)
            {
                stderr.WriteLine($"pyrecon: {path}: {e.Message}");
                onFailure?.Invoke(path, e.Message);
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
