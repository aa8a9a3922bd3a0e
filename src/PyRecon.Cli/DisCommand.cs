namespace PyRecon.Cli;

/// <summary><c>pyrecon dis</c>: the text dis.dis prints for the module code object in the file's version.</summary>
internal static class DisCommand
{
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("pyrecon dis: not available yet");
        return 2;
    }
}
