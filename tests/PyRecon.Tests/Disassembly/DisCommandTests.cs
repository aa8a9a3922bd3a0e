using PyRecon.Cli;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Disassembly;

/// <summary><c>pyrecon dis</c>: printing, --output-dir mirroring, bad files.</summary>
public class DisCommandTests
{
    private static string LayoutPyc(string version) => Path.Combine(Fixtures.Root, "dis", "pyc", version, "dis_layout.pyc");

    [Fact]
    public void Prints_the_dis_text()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = CommandLine.Run(["dis", LayoutPyc("3.12")], stdout, stderr);
        Assert.Equal(0, exit);
        Assert.Equal("", stderr.ToString());
        string expected = File.ReadAllText(Path.Combine(DisFixtures.Folder(Model.PythonVersion.V3_12), "dis_layout.dis"));
        Assert.Null(DisFixtures.FirstDifference(expected, stdout.ToString()));
    }

    [Fact]
    public void Output_dir_mirrors_folders_and_names_files()
    {
        string work = Path.Combine(Path.GetTempPath(), $"pyrecon-dis-{Guid.NewGuid():N}");
        try
        {
            string input = Path.Combine(work, "in");
            Directory.CreateDirectory(Path.Combine(input, "pkg", "sub"));
            File.Copy(LayoutPyc("3.13"), Path.Combine(input, "top.pyc"));
            File.Copy(LayoutPyc("3.8"), Path.Combine(input, "pkg", "sub", "deep.pyc"));
            File.WriteAllText(Path.Combine(input, "pkg", "notes.txt"), "not a pyc");
            string output = Path.Combine(work, "out");
            var stderr = new StringWriter();
            int exit = CommandLine.Run(["dis", "--output-dir", output, input, LayoutPyc("3.11")], new StringWriter(), stderr);
            Assert.Equal(0, exit);
            Assert.Equal("", stderr.ToString());
            Assert.True(File.Exists(Path.Combine(output, "top.dis")));
            Assert.True(File.Exists(Path.Combine(output, "pkg", "sub", "deep.dis")));
            Assert.True(File.Exists(Path.Combine(output, "dis_layout.dis"))); // a file argument: its own name
            Assert.False(File.Exists(Path.Combine(output, "pkg", "notes.dis")));
            string expected = File.ReadAllText(Path.Combine(DisFixtures.Folder(Model.PythonVersion.V3_8), "dis_layout.dis"));
            Assert.Null(DisFixtures.FirstDifference(expected, File.ReadAllText(Path.Combine(output, "pkg", "sub", "deep.dis"))));
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Bad_files_cost_one_stderr_line_each()
    {
        string work = Path.Combine(Path.GetTempPath(), $"pyrecon-dis-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            string truncated = Path.Combine(work, "truncated.pyc");
            File.WriteAllBytes(truncated, File.ReadAllBytes(LayoutPyc("3.12"))[..40]);
            string missing = Path.Combine(work, "missing.pyc");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int exit = CommandLine.Run(["dis", truncated, missing, LayoutPyc("3.12")], stdout, stderr);
            Assert.Equal(1, exit);
            var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.StartsWith($"pyrecon: {truncated}: ", lines[0]);
            Assert.StartsWith($"pyrecon: {missing}: ", lines[1]);
            Assert.DoesNotContain("   at ", stderr.ToString());
            Assert.Contains("Disassembly of <code object after_line_1000", stdout.ToString()); // the good file still printed
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Json_is_refused()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, CommandLine.Run(["dis", "--json", LayoutPyc("3.12")], new StringWriter(), stderr));
        Assert.Contains("--json", stderr.ToString());
    }

    [Theory]
    [InlineData("--hash", "md5")]
    [InlineData("--hash", "fnv:16")]
    [InlineData("--hash-seed", "-1")]
    public void Bad_hash_options_are_usage_errors(string option, string value)
    {
        var stderr = new StringWriter();
        Assert.Equal(2, CommandLine.Run(["dis", option, value, LayoutPyc("3.12")], new StringWriter(), stderr));
        Assert.Contains(option, stderr.ToString());
    }
}
