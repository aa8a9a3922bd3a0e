using PyRecon.Tests.Support;

namespace PyRecon.Tests.Cli;

/// <summary>Runs the pyrecon command line in-process with captured writers; temporary folders for inputs.</summary>
internal static class Cli
{
    public static string Fixture(string name) => Path.Combine(Fixtures.Root, "cli", name);
    public static string Simple => Fixture("simple.pyc");
    public static string Doctored => Fixture("doctored.pyc");
    public static string Partial => Fixture("partial.pyc");

    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = PyRecon.Cli.CommandLine.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A temporary folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pyrecon-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Copies <paramref name="source"/> to <paramref name="relative"/>, creating folders.</summary>
    public string Put(string relative, string source)
    {
        string target = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        File.Copy(source, target, overwrite: true);
        return target;
    }

    public string Write(string relative, byte[] bytes)
    {
        string target = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        File.WriteAllBytes(target, bytes);
        return target;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* left for the OS */ }
    }
}
