using PyRecon.Pyc;

namespace PyRecon.Cli;

/// <summary><c>pyrecon info</c>: header facts and the code-object tree, for a person or (--json) for tools.</summary>
internal static class InfoCommand
{
    public static int Run(Options options, TextWriter stdout, TextWriter stderr) =>
        FileCommand.ForEachFile(options, stderr, (path, file) =>
        {
            if (options.Json) stdout.WriteLine(PycInfoJson.Write(file));
            else stdout.Write(PycInfoText.Write(file, path));
        },
        // With --json every input keeps its line, so tools can pair output lines with input files.
        onFailure: options.Json && options.Files.Count > 1
            ? (_, message) => stdout.WriteLine($"{{\"error\": {JsonString(message)}}}")
            : null);

    private static string JsonString(string text)
    {
        var sb = new System.Text.StringBuilder();
        PycInfoJson.AppendString(sb, text);
        return sb.ToString();
    }
}
