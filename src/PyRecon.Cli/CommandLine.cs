using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Reflection;
using PyRecon.Cli.Batch;
using PyRecon.Model;

namespace PyRecon.Cli;

/// <summary>
/// The <c>pyrecon</c> command line (System.CommandLine: help for every command, option validation, response
/// files <c>@FILE</c>, completion through dotnet-suggest). <see cref="Run"/> is callable from tests with captured
/// writers. Usage errors are one line on stderr and exit code 2; an unexpected exception is one line and exit
/// code 5 (<c>PYRECON_DEBUG=1</c> adds the stack trace).
/// </summary>
public static class CommandLine
{
    /// <summary>The tool's version (the assembly's informational version without build metadata).</summary>
    public static string ToolVersion { get; } =
        (typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = Build(stdout, stderr);
        ParseResult parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            string command = CommandPath(parse.CommandResult);
            string message = parse.Errors.Count > 0 ? string.Join(' ', parse.Errors[0].Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)) : "bad usage";
            stderr.WriteLine($"{command}: {message} (see '{command} --help')");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            stderr.WriteLine($"pyrecon: {InternalErrorMessage(e)}");
            if (Environment.GetEnvironmentVariable("PYRECON_DEBUG") is "1") stderr.WriteLine(e);
            return ExitCodes.Internal;
        }
    }

    /// <summary>One line for an exception that is a bug in pyrecon.</summary>
    internal static string InternalErrorMessage(Exception e) =>
        $"internal error, please report it: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command is RootCommand ? "pyrecon" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    private static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("""
            PyRecon: Python bytecode decompiler for CPython 3.8-3.14 .pyc files.
            Give it .pyc files, folders (searched recursively; __pycache__/mod.cpython-312.pyc comes out as mod.py),
            zip/wheel/egg archives (read in place), PyInstaller executables (unpacked in place, encrypted ones too)
            or headerless marshal data (with --python-version).
            """);
        root.Add(DecompileCommandLine(stdout, stderr));
        root.Add(VerifyCommandLine(stdout, stderr));
        root.Add(InfoCommandLine(stdout, stderr));
        root.Add(DisCommandLine(stdout, stderr));
        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction help } helpOption) helpOption.Action = new HelpWithExitCodes(help);
            // The library prints the entry assembly's version: a test host's when run in-process.
            if (option is VersionOption version) version.Action = new PrintVersion();
        }
        return root;
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(ToolVersion);
            return ExitCodes.Ok;
        }
    }

    /// <summary>The library's help, then the exit codes.</summary>
    private sealed class HelpWithExitCodes(HelpAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int exit = inner.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine(ExitCodes.HelpText.TrimEnd());
            return exit;
        }
    }

    private static Argument<string[]> Inputs(string what)
    {
        var argument = new Argument<string[]>("INPUT") { Arity = ArgumentArity.OneOrMore, Description = what };
        // System.CommandLine takes an unknown "--name" for an argument; unless such a file exists, it is a typo.
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                string v = token.Value;
                if (v.Length > 1 && v[0] == '-' && !File.Exists(v) && !Directory.Exists(v))
                {
                    result.AddError($"unknown option '{v}'");
                    return;
                }
            }
        });
        return argument;
    }

    /// <summary>--python-version X.Y (alias --version, its name before System.CommandLine).</summary>
    private static Option<PythonVersion?> VersionOption(string description) => new("--python-version", "--version")
    {
        Description = description,
        HelpName = "3.X",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (PythonVersion.TryParse(text, out var v) && v.IsSupported) return v;
            result.AddError($"{OptionName(result, "--python-version")} {text}: not a supported version (3.8-3.14)");
            return null;
        },
    };

    /// <summary>The option as the user spelled it (an alias or the name).</summary>
    private static string OptionName(ArgumentResult result, string fallback) =>
        (result.Parent as OptionResult)?.IdentifierToken?.Value ?? fallback;

    private static Option<int> JobsOption() => new("--jobs", "-j")
    {
        Description = "files decompiled at once (default: all cores); the output is the same for any number",
        HelpName = "N",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1) return n;
            result.AddError($"{OptionName(result, "--jobs")} {text}: needs a whole number of at least 1");
            return 1;
        },
    };

    private static Option<string> ProgressOption()
    {
        var option = new Option<string>("--progress")
        {
            Description = "progress on stderr for several inputs: live on a terminal, plain lines otherwise (auto), or always one",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "live", "plain", "none");
        return option;
    }

    private static ProgressMode ParseProgress(string? text) => text switch
    {
        "live" => ProgressMode.Live,
        "plain" => ProgressMode.Plain,
        "none" => ProgressMode.None,
        _ => ProgressMode.Auto,
    };

    private static Option<bool> QuietOption() => new("--quiet", "-q")
    {
        Description = "no progress and no summary: only errors on stderr",
    };

    private static Command DecompileCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var inputs = Inputs(".pyc files, folders, zip/wheel/egg archives, PyInstaller executables, or marshal data (with --python-version)");
        var output = new Option<string>("--output", "-o")
        {
            Description = "write the source to OUT: a file for one input; for a folder, an archive or several inputs, a folder "
                          + "mirroring them (pkg/__pycache__/mod.cpython-312.pyc -> pkg/mod.py); a PyInstaller executable becomes "
                          + "its entry scripts, its PYZ modules at their package paths, its bootstrap modules under "
                          + "pyinstaller-bootstrap/ and its data files as they are; default: standard output",
            HelpName = "OUT",
        };
        var extractOnly = new Option<bool>("--extract-only")
        {
            Description = "write each module as a .pyc with a correct 16-byte header instead of decompiling it (needs -o DIR); "
                          + "data files as they are",
        };
        var key = new Option<string>("--key")
        {
            Description = "the --key an encrypted PyInstaller executable (PyInstaller 3.x-5.x) was built with; default: the key "
                          + "found in the executable's own pyimod00_crypto_key module",
            HelpName = "KEY",
        };
        var version = VersionOption("the CPython version that wrote the input: needed for headerless marshal data; "
                                    + "overrides the magic number of a .pyc (for files whose header is wrong) and the "
                                    + "version a PyInstaller executable's PYZ magic and cookie give");
        var dump = new Option<string>("--dump")
        {
            Description = "print an intermediate stage instead of source (the normalized ops, handlers and basic blocks)",
            HelpName = "STAGE",
        };
        dump.AcceptOnlyFromAmong("ops", "cfg");
        var jobs = JobsOption();
        var report = new Option<string>("--report")
        {
            Description = "write a JSON report: per input its status, output, version, failed code objects and why, timings",
            HelpName = "FILE.json",
        };
        var progress = ProgressOption();
        var quiet = QuietOption();
        var command = new Command("decompile", "Decompile bytecode to Python source.")
        {
            inputs, output, version, dump, jobs, report, progress, quiet, extractOnly, key,
        };
        command.SetAction(parse => DecompileCommand.Run(new DecompileSettings(parse.GetValue(inputs)!)
        {
            Output = parse.GetValue(output),
            Version = parse.GetValue(version),
            Dump = parse.GetValue(dump),
            Jobs = parse.GetValue(jobs),
            Report = parse.GetValue(report),
            Progress = ParseProgress(parse.GetValue(progress)),
            Quiet = parse.GetValue(quiet),
            ExtractOnly = parse.GetValue(extractOnly),
            Key = parse.GetValue(key),
        }, stdout, stderr));
        return command;
    }

    private static Command VerifyCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var inputs = Inputs(".pyc files, folders, zip/wheel/egg archives or PyInstaller executables to check");
        var version = VersionOption("the CPython version that wrote the input (as for decompile)");
        var python = new Option<string[]>("--python")
        {
            Description = "the interpreter to recompile with (repeat for several versions); default: found through "
                          + "PYRECON_PYTHON_3_X, pyenv, then PATH; 3.14 also through Pyodide under node",
            HelpName = "PATH",
            Arity = ArgumentArity.OneOrMore,
        };
        var json = new Option<bool>("--json") { Description = "print the verdicts as one JSON document" };
        var jobs = JobsOption();
        var progress = ProgressOption();
        var quiet = QuietOption();
        var command = new Command("verify",
            "Decompile, recompile with the matching CPython and compare the code objects (the round-trip judge's rule); "
            + "names the first difference of each file that does not match.")
        {
            inputs, version, python, json, jobs, progress, quiet,
        };
        command.SetAction(parse => VerifyCommand.Run(new VerifySettings(parse.GetValue(inputs)!)
        {
            Version = parse.GetValue(version),
            Pythons = parse.GetValue(python) ?? [],
            Json = parse.GetValue(json),
            Jobs = parse.GetValue(jobs),
            Progress = ParseProgress(parse.GetValue(progress)),
            Quiet = parse.GetValue(quiet),
        }, stdout, stderr));
        return command;
    }

    private static Command InfoCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var inputs = Inputs(".pyc files, PyInstaller executables (or marshal data with --python-version)");
        var json = new Option<bool>("--json") { Description = "one JSON document per file, one per line (the view tools/info/pyc_view.py prints; for a PyInstaller executable its archive listing)" };
        var version = VersionOption("the CPython version that wrote the file; needed for headerless marshal data, checked against the magic otherwise");
        var key = new Option<string>("--key")
        {
            Description = "the --key of an encrypted PyInstaller executable (default: the key found in it)",
            HelpName = "KEY",
        };
        var command = new Command("info",
            "Show a .pyc's header and code-object tree; for a PyInstaller executable, its archive: layout, Python version, "
            + "every entry and PYZ member with its type and sizes (nothing is decompiled).") { inputs, json, version, key };
        command.SetAction(parse => InfoCommand.Run(new Options(parse.GetValue(json), parse.GetValue(version), parse.GetValue(inputs)!)
        {
            Key = parse.GetValue(key),
        }, stdout, stderr));
        return command;
    }

    private static Command DisCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var inputs = Inputs(".pyc files or folders (their .pyc files)");
        var version = VersionOption("the CPython version that wrote the file; needed for headerless marshal data, checked against the magic otherwise");
        var outputDir = new Option<string>("--output-dir")
        {
            Description = "write DIR/<name>.dis per input instead of printing; a folder's .pyc files keep their paths",
            HelpName = "DIR",
        };
        var hashSeed = new Option<uint>("--hash-seed")
        {
            Description = "the PYTHONHASHSEED whose hashes order frozenset constants (default 0)",
            HelpName = "N",
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint seed)) return seed;
                result.AddError("--hash-seed needs a number 0-4294967295 (as PYTHONHASHSEED)");
                return 0;
            },
        };
        var hash = new Option<string>("--hash")
        {
            Description = "the interpreter's sys.hash_info: siphash24, siphash13 or fnv, optionally :32 or :64 "
                          + "(default: a 64-bit CPython of the file's version; Pyodide is fnv:32)",
            HelpName = "ALGO[:BITS]",
        };
        var command = new Command("dis", "Print what the file's version of dis.dis(code) prints, without Python.")
        {
            inputs, version, outputDir, hashSeed, hash,
        };
        command.SetAction(parse => DisCommand.Run(new Options(false, parse.GetValue(version), parse.GetValue(inputs)!)
        {
            OutputDir = parse.GetValue(outputDir),
            HashSeed = parse.GetValue(hashSeed),
            HashFunction = parse.GetValue(hash),
        }, stdout, stderr));
        return command;
    }
}

/// <summary>The options <c>info</c> and <c>dis</c> share.</summary>
public sealed record Options(bool Json, PythonVersion? Version, IReadOnlyList<string> Files)
{
    /// <summary>--output-dir: where <c>dis</c> writes one .dis file per input (null = standard output).</summary>
    public string? OutputDir { get; init; }
    /// <summary>--hash-seed (dis): PYTHONHASHSEED to reproduce.</summary>
    public uint HashSeed { get; init; }
    /// <summary>--hash (dis): hash algorithm and width, e.g. "fnv:32"; null = the version's 64-bit default.</summary>
    public string? HashFunction { get; init; }
    /// <summary>--key (info): the key of an encrypted PyInstaller executable.</summary>
    public string? Key { get; init; }
}
