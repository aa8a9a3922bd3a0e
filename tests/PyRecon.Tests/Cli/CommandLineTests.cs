namespace PyRecon.Tests.Cli;

/// <summary>The command line itself: help, exit codes, usage errors, response files, the tool version.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("decompile", "--help")]
    [InlineData("verify", "--help")]
    [InlineData("info", "--help")]
    [InlineData("dis", "-h")]
    public void Help_lists_usage_and_the_exit_codes(params string[] args)
    {
        var (exit, stdout, stderr) = Cli.Run(args);
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("Exit codes:", stdout);
        Assert.Contains("3  partial", stdout);
    }

    [Fact]
    public void Decompile_help_names_every_option()
    {
        var (_, stdout, _) = Cli.Run("decompile", "--help");
        foreach (var option in new[] { "--output", "--python-version", "--dump", "--jobs", "--report", "--progress", "--quiet" })
            Assert.Contains(option, stdout);
    }

    [Fact]
    public void Version_prints_the_tool_version()
    {
        var (exit, stdout, _) = Cli.Run("--version");
        Assert.Equal(0, exit);
        Assert.Equal(PyRecon.Cli.CommandLine.ToolVersion, stdout.Trim());
        Assert.DoesNotContain("+", stdout);
    }

    [Theory]
    [InlineData("decompile", "--frob", "x.pyc")]
    [InlineData("decompile")]
    [InlineData("frobnicate", "x.pyc")]
    [InlineData("decompile", "-j", "0", "x.pyc")]
    [InlineData("decompile", "--jobs", "many", "x.pyc")]
    [InlineData("decompile", "--dump", "ast", "x.pyc")]
    [InlineData("decompile", "--python-version", "2.7", "x.pyc")]
    [InlineData("decompile", "--progress", "loud", "x.pyc")]
    [InlineData("verify", "--json", "--bogus", "x.pyc")]
    public void Bad_usage_is_one_line_and_exit_code_2(params string[] args)
    {
        var (exit, stdout, stderr) = Cli.Run(args);
        Assert.Equal(PyRecon.Cli.ExitCodes.Usage, exit);
        Assert.Equal("", stdout);
        Assert.Single(Cli.Lines(stderr));
        Assert.StartsWith("pyrecon", stderr);
        Assert.Contains("--help", stderr);
    }

    [Fact]
    public void No_command_is_a_usage_error()
    {
        var (exit, _, stderr) = Cli.Run();
        Assert.Equal(2, exit);
        Assert.Single(Cli.Lines(stderr));
    }

    [Fact]
    public void Unknown_option_names_the_option()
    {
        var (_, _, stderr) = Cli.Run("decompile", "--frob", Cli.Simple);
        Assert.Contains("'--frob'", stderr);
    }

    [Fact]
    public void Missing_file_is_one_line_and_exit_code_1()
    {
        var (exit, stdout, stderr) = Cli.Run("decompile", "no/such/file.pyc");
        Assert.Equal(PyRecon.Cli.ExitCodes.Unreadable, exit);
        Assert.Equal("", stdout);
        Assert.Equal("pyrecon: no/such/file.pyc: no such file or folder", stderr.Trim());
    }

    [Fact]
    public void The_old_version_option_still_names_the_python_version()
    {
        using var dir = new TempDir();
        string marshal = dir.Write("code.bin", File.ReadAllBytes(Cli.Simple)[16..]);
        var (exit, stdout, _) = Cli.Run("decompile", "--version", "3.12", marshal);
        Assert.Equal(0, exit);
        Assert.Contains("def add(a, b):", stdout);
    }

    [Fact]
    public void Response_files_hold_arguments()
    {
        using var dir = new TempDir();
        string rsp = dir["args.rsp"];
        File.WriteAllText(rsp, $"decompile\n--quiet\n{Cli.Simple}\n");
        var (exit, stdout, _) = Cli.Run("@" + rsp);
        Assert.Equal(0, exit);
        Assert.Contains("class Point:", stdout);
    }

    [Fact]
    public void Completion_comes_from_the_library()
    {
        var (exit, stdout, _) = Cli.Run("[suggest:13]", "decompile --p");
        Assert.Equal(0, exit);
        Assert.Contains("--python-version", stdout);
        Assert.Contains("--progress", stdout);
    }

    [Fact]
    public void Exit_codes_combine_by_the_documented_order()
    {
        int Combine(params int[] codes) => PyRecon.Cli.ExitCodes.Combine(codes);
        Assert.Equal(0, Combine());
        Assert.Equal(0, Combine(0, 0));
        Assert.Equal(3, Combine(0, 3));
        Assert.Equal(4, Combine(3, 4));
        Assert.Equal(1, Combine(3, 4, 1));
        Assert.Equal(5, Combine(1, 5, 3));
    }
}
