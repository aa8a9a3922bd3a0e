using PyRecon.Model;

namespace PyRecon.Cli;

/// <summary>Parses the command line and dispatches to one command; callable from tests with captured writers.</summary>
public static class CommandLine
{
    public const string Usage = """
        usage: pyrecon decompile [--version X.Y] [-o OUT] [--dump STAGE] FILE|FOLDER...
               pyrecon info [--json] [--version X.Y] FILE...
               pyrecon dis [--version X.Y] [--output-dir DIR] [--hash-seed N] [--hash ALGO[:BITS]] FILE|FOLDER...
          -o OUT         (decompile) write the source to OUT (a file for one input; for a folder or several
                         inputs a folder mirroring them, NAME.pyc -> NAME.py); default: standard output
          --dump STAGE   (decompile) print an intermediate stage instead of source: ops, cfg
          --json         machine-readable output (one JSON document per file, one per line)
          --version X.Y  the CPython version that wrote the file; needed for headerless marshal data,
                         checked against the magic number otherwise
          --output-dir DIR  (dis) write DIR/<name>.dis per input instead of printing; a folder's .pyc files
                         keep their paths relative to that folder
          --hash-seed N  (dis) the PYTHONHASHSEED whose hashes order frozenset constants (default 0)
          --hash ALGO[:BITS]  (dis) the interpreter's sys.hash_info: siphash24, siphash13 or fnv, 64 or 32 bits
                         (default: a 64-bit CPython of the file's version; Pyodide is fnv:32)
        """;

    private static readonly Dictionary<string, Func<Options, TextWriter, TextWriter, int>> s_commands = new()
    {
        ["decompile"] = DecompileCommand.Run,
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
    /// <summary>--hash-seed (dis): PYTHONHASHSEED to reproduce.</summary>
    public uint HashSeed { get; init; }
    /// <summary>--hash (dis): hash algorithm and width, e.g. "fnv:32"; null = the version's 64-bit default.</summary>
    public string? HashFunction { get; init; }
    /// <summary>-o (decompile): output file or folder.</summary>
    public string? Output { get; init; }
    /// <summary>--dump (decompile): an intermediate stage to print.</summary>
    public string? Dump { get; init; }

    public static Options? Parse(ReadOnlySpan<string> args, out string? error)
    {
        bool json = false;
        PythonVersion? version = null;
        string? outputDir = null, hashFunction = null, output = null, dump = null;
        uint hashSeed = 0;
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
                case "--hash-seed":
                    if (i + 1 >= args.Length || !uint.TryParse(args[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out hashSeed))
                    {
                        error = "--hash-seed needs a number 0-4294967295 (as PYTHONHASHSEED)";
                        return null;
                    }
                    i++;
                    break;
                case "-o":
                case "--output":
                    if (i + 1 >= args.Length) { error = "-o needs a file or folder"; return null; }
                    output = args[++i];
                    break;
                case "--dump":
                    if (i + 1 >= args.Length || args[i + 1] is not ("ops" or "cfg")) { error = "--dump needs a stage: ops or cfg"; return null; }
                    dump = args[++i];
                    break;
                case "--hash":
                    if (i + 1 >= args.Length) { error = "--hash needs siphash24, siphash13 or fnv, optionally :32 or :64"; return null; }
                    hashFunction = args[++i];
                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal):
                    error = $"unknown option '{a}'";
                    return null;
                default: files.Add(args[i]); break;
            }
        }
        if (files.Count == 0) { error = "no input file"; return null; }
        error = null;
        return new Options(json, version, files) { OutputDir = outputDir, HashSeed = hashSeed, HashFunction = hashFunction, Output = output, Dump = dump };
    }
}
