using System.Text.Json;
using PyRecon.Model;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Cli;

/// <summary><c>pyrecon verify</c> with the real interpreters (CPython 3.12 from pyenv; 3.14 through Pyodide).</summary>
public class VerifyTests
{
    [Fact]
    public void A_simple_module_round_trips()
    {
        Python.Require(PythonVersion.V3_12);
        var (exit, stdout, stderr) = Cli.Run("verify", Cli.Simple);
        Assert.Equal(0, exit);
        Assert.Equal($"{Cli.Simple}: equal (5 code objects, line numbers exact)", stdout.Trim());
        Assert.Equal("", stderr);
    }

    [Fact]
    public void A_doctored_module_names_its_first_difference()
    {
        Python.Require(PythonVersion.V3_12);
        var (exit, stdout, _) = Cli.Run("verify", Cli.Doctored);
        Assert.Equal(PyRecon.Cli.ExitCodes.Partial, exit);
        Assert.Equal($"{Cli.Doctored}: mismatch: code object add, instruction 1 (offset 4, line 6): expected LOAD_FAST_CHECK b, found LOAD_FAST b",
                     stdout.Trim());
    }

    [Fact]
    public void Json_gives_every_verdict_and_the_difference_as_fields()
    {
        Python.Require(PythonVersion.V3_12);
        using var dir = new TempDir();
        dir.Put("in/simple.pyc", Cli.Simple);
        dir.Put("in/doctored.pyc", Cli.Doctored);
        dir.Put("in/partial.pyc", Cli.Partial);
        dir.Write("in/junk.pyc", [1, 2, 3]);
        var (exit, stdout, stderr) = Cli.Run("verify", "--json", dir["in"], "-j", "2");
        Assert.Equal(PyRecon.Cli.ExitCodes.Unreadable, exit);
        using var doc = JsonDocument.Parse(stdout);
        var files = doc.RootElement.GetProperty("files").EnumerateArray()
            .ToDictionary(f => Path.GetFileName(f.GetProperty("input").GetString()!));
        Assert.Equal("equal", files["simple.pyc"].GetProperty("verdict").GetString());
        Assert.True(files["simple.pyc"].GetProperty("line_exact").GetBoolean());
        Assert.Equal("unreadable", files["junk.pyc"].GetProperty("verdict").GetString());
        Assert.Equal("mismatch", files["partial.pyc"].GetProperty("verdict").GetString());
        Assert.Single(files["partial.pyc"].GetProperty("decompile_failures").EnumerateArray());

        var doctored = files["doctored.pyc"];
        Assert.Equal("mismatch", doctored.GetProperty("verdict").GetString());
        Assert.Equal(5, doctored.GetProperty("code_objects").GetInt32());
        Assert.Equal(4, doctored.GetProperty("code_objects_equal").GetInt32());
        var diff = doctored.GetProperty("first_difference");
        Assert.Equal("add", diff.GetProperty("code").GetString());
        Assert.Equal("instruction", diff.GetProperty("field").GetString());
        Assert.Equal(1, diff.GetProperty("index").GetInt32());
        Assert.Equal("LOAD_FAST_CHECK b", diff.GetProperty("expected").GetString());
        Assert.Equal("LOAD_FAST b", diff.GetProperty("found").GetString());
        Assert.Equal(6, diff.GetProperty("line").GetInt32());

        var summary = doc.RootElement.GetProperty("summary");
        Assert.Equal(4, summary.GetProperty("files").GetInt32());
        Assert.Equal(2, summary.GetProperty("mismatch").GetInt32());
        Assert.Contains("4 files: 1 equal, 2 mismatch", stderr);
    }

    [Fact]
    public void No_interpreter_is_a_clear_message_not_a_failure()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = PyRecon.Cli.VerifyCommand.Run(
            new PyRecon.Cli.VerifySettings([Cli.Simple]) { Pythons = ["/no/such/python3.12"], SearchDefaults = false }, stdout, stderr);
        Assert.Equal(PyRecon.Cli.ExitCodes.NoInterpreter, exit);
        Assert.Equal($"{Cli.Simple}: not checked: no CPython 3.12 to recompile with", stdout.ToString().Trim());
        Assert.StartsWith("pyrecon: no CPython 3.12 found (looked at --python, ", stderr.ToString());
        Assert.Contains("pass --python PATH", stderr.ToString());
        Assert.Single(Cli.Lines(stderr.ToString()));
    }

    [Fact]
    public void An_explicit_python_is_asked_its_version()
    {
        Python.Require(PythonVersion.V3_11);
        Python.Require(PythonVersion.V3_12);
        string python311 = Python.Which(PythonVersion.V3_11)!;
        string python312 = Python.Which(PythonVersion.V3_12)!;
        var run = (string python) =>
        {
            var stdout = new StringWriter();
            int exit = PyRecon.Cli.VerifyCommand.Run(
                new PyRecon.Cli.VerifySettings([Cli.Simple]) { Pythons = [python], SearchDefaults = false, Json = true }, stdout, new StringWriter());
            return (exit, stdout.ToString());
        };
        var (wrong, _) = run(python311);
        Assert.Equal(PyRecon.Cli.ExitCodes.NoInterpreter, wrong);
        var (right, json) = run(python312);
        Assert.Equal(0, right);
        Assert.Contains(python312, json);
    }

    [Fact]
    public void Python_3_14_runs_through_pyodide()
    {
        Python.Require(PythonVersion.V3_14);
        string pyc = Path.Combine(Fixtures.Root, "decompile", "pyc", "3.14", "classes.pyc");
        var (exit, stdout, _) = Cli.Run("verify", "--json", pyc);
        using var doc = JsonDocument.Parse(stdout);
        var file = doc.RootElement.GetProperty("files")[0];
        // Whatever the decompiler's verdict on this construct today, it was judged by 3.14 under node.
        Assert.Contains(file.GetProperty("verdict").GetString(), new[] { "equal", "mismatch", "recompile-error" });
        string interpreter = file.GetProperty("interpreter").GetString()!;
        Assert.True(interpreter.Contains("Pyodide") || interpreter.Contains("3.14"), interpreter);
        Assert.NotEqual(PyRecon.Cli.ExitCodes.NoInterpreter, exit);
    }

    [Fact]
    public void Requests_are_ascii_json_that_keeps_every_character()
    {
        string text = "a\"b\\c\n\t\u00e9\u4e2d\ud83d\ude00\u007f";
        string json = PyRecon.Cli.VerifyCommand.JsonAscii(text);
        Assert.All(json, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(text, JsonDocument.Parse(json).RootElement.GetString());
        Assert.Equal("\"\\ud800x\"", PyRecon.Cli.VerifyCommand.JsonAscii("\ud800x")); // a lone surrogate, as Python may hold
    }
}
