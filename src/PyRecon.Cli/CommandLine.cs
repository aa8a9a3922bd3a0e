using PyRecon.Model;

namespace PyRecon.Cli;

/// <summary>Parses the command line and dispatches to one command; callable from tests with captured writers.</summary>
public static class CommandLine
{
    public const string Usage = """
        usage: pyrecon info [--json] [--version X.Y] FILE...
               pyrecon dis [--version X.Y] [--output-dir DIR] FILE|FOLDER...
          --json         machine-readable output (one JSON document per file, one per line)
          --version X.Y  the CPython version that wrote the file; needed for headerless marshal data,
                         checked against the magic number otherwise
          --output-dir DIR  (dis) write DIR/<name>.dis per input instead of printing; a folder's .pyc files
                         keep their paths relative to that folder
        """;

    private static readonly Dictionary<string, Func<Options, TextWriter, TextWriter, int>> s_commands = new()
    {
        ["info"] = InfoCommand.Run,
        ["dis"] = DisCommand.Run,
    };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (!s_commands.TryGetValue(args[0], out var command))
        {
            stderr.WriteLine($"pyrecon: unknown command '{args[0]}'");
            stderr.WriteLine(Usage);
            return 2;
        }
        var options = Options.Parse(args.AsSpan(1), out string? error);
        if (error is not null)
        {
            stderr.WriteLine($"pyrecon {args[0]}: {error}");
            return 2;
        }
        return command(options!, stdout, stderr);
    }
}

/// <summary>The options every command shares.</summary>
public sealed record Options(bool Json, PythonVersion? Version, IReadOnlyList<string> Files)
{
    /// <summary>--output-dir: where <c>dis</c> writes one .dis file per input (null = standard output).</summary>
    public string? OutputDir { get; init; }

    public static Options? Parse(ReadOnlySpan<string> args, out string? error)
    {
        bool json = false;
        PythonVersion? version = null;
        string? outputDir = null;
        var files = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json": json = true; break;
                case "--version":
                    if (i + 1 >= args.Length) { error = "--version needs a value such as 3.12"; return null; }
                    if (!PythonVersion.TryParse(args[++i], out var v) || !v.IsSupported)
                    {
                        error = $"--version {args[i]}: not a supported version (3.8-3.14)";
                        return null;
                    }
                    version = v;
                    break;
                case "--output-dir":
                    if (i + 1 >= args.Length) { error = "--output-dir needs a folder"; return null; }
                    outputDir = args[++i];
                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal):
                    error = $"unknown option '{a}'";
                    return null;
                default: files.Add(args[i]); break;
            }
        }
        if (files.Count == 0) { error = "no input file"; return null; }
        error = null;
        return new Options(json, version, files) { OutputDir = outputDir };
    }
}
