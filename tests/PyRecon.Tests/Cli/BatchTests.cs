using System.Text.Json;
using System.Text.RegularExpressions;
using PyRecon.Model;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Cli;

/// <summary>Batches: the report, the summary, progress lines, partial files, the same output for any -j.</summary>
public class BatchTests
{
    /// <summary>A folder of real inputs: every committed 3.12 and 3.13 construct fixture, plus the partial one.</summary>
    private static TempDir Tree()
    {
        var dir = new TempDir();
        foreach (var version in new[] { PythonVersion.V3_12, PythonVersion.V3_13 })
            foreach (var pyc in Directory.EnumerateFiles(Path.Combine(Fixtures.Root, "decompile", "pyc", version.ToString()), "*.pyc"))
                dir.Put($"in/v{version.Minor}/__pycache__/{Path.GetFileNameWithoutExtension(pyc)}.cpython-3{version.Minor}.pyc", pyc);
        dir.Put("in/partial.pyc", Cli.Partial);
        return dir;
    }

    [Fact]
    public void Report_lists_every_input_with_status_failures_and_timings()
    {
        using var dir = new TempDir();
        dir.Put("in/good.pyc", Cli.Simple);
        dir.Put("in/partial.pyc", Cli.Partial);
        dir.Write("in/bad.pyc", [0x7f, (byte)'E', (byte)'L', (byte)'F', 0, 0, 0, 0]);
        string missing = dir["missing.pyc"];
        var (exit, _, stderr) = Cli.Run("decompile", dir["in"], missing, "-o", dir["out"], "--report", dir["r/report.json"]);
        Assert.Equal(PyRecon.Cli.ExitCodes.Unreadable, exit); // unreadable input outranks partial output

        using var doc = JsonDocument.Parse(File.ReadAllText(dir["r/report.json"]));
        var root = doc.RootElement;
        Assert.Equal("decompile", root.GetProperty("command").GetString());
        var summary = root.GetProperty("summary");
        Assert.Equal(4, summary.GetProperty("files").GetInt32());
        Assert.Equal(1, summary.GetProperty("ok").GetInt32());
        Assert.Equal(1, summary.GetProperty("partial").GetInt32());
        Assert.Equal(2, summary.GetProperty("failed").GetInt32());
        Assert.Equal(1, summary.GetProperty("code_objects_failed").GetInt32());
        var files = root.GetProperty("files").EnumerateArray().ToDictionary(f => Path.GetFileName(f.GetProperty("input").GetString()!));
        Assert.Equal(new[] { "bad.pyc", "good.pyc", "missing.pyc", "partial.pyc" }, files.Keys.Order());

        Assert.Equal("ok", files["good.pyc"].GetProperty("status").GetString());
        Assert.Equal("3.12", files["good.pyc"].GetProperty("python").GetString());
        Assert.Equal(3531, files["good.pyc"].GetProperty("magic").GetInt32());
        Assert.Equal(5, files["good.pyc"].GetProperty("code_objects").GetInt32());
        Assert.True(files["good.pyc"].GetProperty("seconds").GetDouble() >= 0);
        Assert.EndsWith("good.py", files["good.pyc"].GetProperty("output").GetString());

        var partial = files["partial.pyc"];
        Assert.Equal("partial", partial.GetProperty("status").GetString());
        var failed = Assert.Single(partial.GetProperty("failed_code_objects").EnumerateArray().ToList());
        Assert.Equal("add", failed.GetProperty("name").GetString());
        Assert.Equal(5, failed.GetProperty("line").GetInt32());
        Assert.Contains("stack underflow", failed.GetProperty("reason").GetString());

        Assert.Equal("failed", files["bad.pyc"].GetProperty("status").GetString());
        Assert.Equal("not-bytecode", files["bad.pyc"].GetProperty("error_kind").GetString());
        Assert.Equal("missing", files["missing.pyc"].GetProperty("error_kind").GetString());
        Assert.Equal(JsonValueKind.Null, files["missing.pyc"].GetProperty("output").ValueKind);

        // stderr: the failed code object, the unreadable inputs, one summary line.
        Assert.Contains("partial.pyc: add (line 5): evaluate: stack underflow", stderr);
        Assert.Matches(new Regex(@"pyrecon: 4 files: 1 ok, 1 partial, 2 failed; 10 code objects, 1 failed; [\d.]+ s"), stderr);
        Assert.Contains("raise NotImplementedError", File.ReadAllText(dir["out/partial.py"]));
    }

    [Fact]
    public void Partial_output_is_exit_code_3_and_still_written()
    {
        var (exit, stdout, stderr) = Cli.Run("decompile", Cli.Partial);
        Assert.Equal(PyRecon.Cli.ExitCodes.Partial, exit);
        Assert.Contains("raise NotImplementedError('pyrecon could not decompile add')", stdout);
        Assert.Contains("class Point:", stdout);
        Assert.Single(Cli.Lines(stderr));
    }

    [Fact]
    public void Output_is_the_same_whatever_the_number_of_jobs()
    {
        using var dir = Tree();
        string Normalize(string report, string outDir) =>
            Regex.Replace(report.Replace(outDir, "OUT"), @"""(seconds|jobs)"": [\d.]+", "\"$1\": 0");
        (int, string, string, string, string[]) RunWith(int jobs)
        {
            string outDir = dir[$"out{jobs}"];
            var (exit, stdout, stderr) = Cli.Run("decompile", dir["in"], "-o", outDir, "-j", jobs.ToString(), "--report", dir[$"r{jobs}.json"], "--progress", "plain");
            var files = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(f => Path.GetRelativePath(outDir, f) + "\n" + File.ReadAllText(f)).ToArray();
            return (exit, stdout, Regex.Replace(stderr, @"[\d.]+ s\n", "T s\n"), Normalize(File.ReadAllText(dir[$"r{jobs}.json"]), outDir), files);
        }
        var one = RunWith(1);
        var four = RunWith(4);
        Assert.Equal(one.Item1, four.Item1);
        Assert.Equal(one.Item2, four.Item2);
        Assert.Equal(one.Item3, four.Item3);
        Assert.Equal(one.Item4, four.Item4);
        Assert.Equal(one.Item5, four.Item5);
        Assert.True(one.Item5.Length > 60);

        var (_, stdoutOne, _) = Cli.Run("decompile", dir["in"], "-j", "1", "--quiet");
        var (_, stdoutTwo, _) = Cli.Run("decompile", dir["in"], "-j", "3", "--quiet");
        Assert.Equal(stdoutOne, stdoutTwo);
    }

    [Fact]
    public void Plain_progress_is_a_line_per_tenth_then_a_summary()
    {
        using var dir = Tree();
        var (_, _, stderr) = Cli.Run("decompile", dir["in"], "-o", dir["out"], "--progress", "plain");
        var progress = Cli.Lines(stderr).Where(l => l.StartsWith("pyrecon: decompiling ", StringComparison.Ordinal)).ToList();
        Assert.InRange(progress.Count, 5, 9);
        Assert.Matches(new Regex(@"^pyrecon: decompiling \d+/\d+ files \(\d+%\): \d+ ok, \d+ partial, \d+ failed$"), progress[0]);
        Assert.StartsWith("pyrecon: ", Cli.Lines(stderr)[^1]);
        Assert.Contains(" files: ", Cli.Lines(stderr)[^1]);

        var (_, _, quiet) = Cli.Run("decompile", dir["in"], "-o", dir["out2"], "--quiet");
        Assert.DoesNotContain("decompiling", quiet);
        Assert.DoesNotContain(" files: ", quiet);
    }

    [Fact]
    public void Check_stdlib_style_run_writes_a_mirrored_tree()
    {
        // tools/roundtrip/check_stdlib runs `pyrecon decompile PYC_FOLDER -o OUT` and judges OUT/<rel>.py.
        using var dir = new TempDir();
        dir.Put("pyc/json/decoder.pyc", Cli.Simple);
        dir.Put("pyc/os.pyc", Cli.Simple);
        var (exit, _, _) = Cli.Run("decompile", dir["pyc"], "-o", dir["out"]);
        Assert.Equal(0, exit);
        Assert.True(File.Exists(dir["out/json/decoder.py"]));
        Assert.True(File.Exists(dir["out/os.py"]));
    }
}
