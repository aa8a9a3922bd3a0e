namespace PyRecon.Cli;

/// <summary>Parses the command line and dispatches to one command; callable from tests with captured writers.</summary>
public static class CommandLine
{
    public const string Usage = """
        usage: pyrecon info [--json] [--version X.Y] FILE
               pyrecon dis [--version X.Y] FILE
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0) { stderr.WriteLine(Usage); return 2; }
        stderr.WriteLine($"pyrecon: unknown command '{args[0]}'");
        stderr.WriteLine(Usage);
        return 2;
    }
}
