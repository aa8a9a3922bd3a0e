using System.Text.Json;
using PyRecon.Model;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Cli;

/// <summary>README.md's "Common commands" run as written (paths from the repository root, outputs in a temporary folder).</summary>
public class ReadmeCommandsTests
{
    private static List<string[]> Commands()
    {
        var lines = File.ReadAllLines(Path.Combine(Python.RepoRoot, "README.md"));
        int start = Array.FindIndex(lines, l => l.StartsWith("### Common commands", StringComparison.Ordinal));
        Assert.True(start >= 0, "README.md has no '### Common commands' section");
        var commands = new List<string[]>();
        for (int i = start + 1; i < lines.Length && !lines[i].StartsWith('#'); i++)
        {
            string line = lines[i];
            if (!line.StartsWith("    pyrecon ", StringComparison.Ordinal)) continue;
            int comment = line.IndexOf(" # ", StringComparison.Ordinal);
            if (comment >= 0) line = line[..comment];
            commands.Add(line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]);
        }
        return commands;
    }

    [Fact]
    public void The_common_commands_do_what_the_readme_says()
    {
        Python.Require(PythonVersion.V3_12);
        using var dir = new TempDir();
        var commands = Commands();
        Assert.True(commands.Count >= 6, $"found {commands.Count} commands");
        foreach (var command in commands)
        {
            var args = new string[command.Length];
            for (int i = 0; i < command.Length; i++)
            {
                string a = command[i];
                args[i] = a.StartsWith("tests/", StringComparison.Ordinal) ? Path.Combine(Python.RepoRoot, a)
                    : i > 0 && command[i - 1] is "-o" or "--report" ? dir[a]
                    : a;
            }
            var (exit, stdout, stderr) = Cli.Run(args);
            string shown = "pyrecon " + string.Join(' ', command) + "\n" + stderr;
            bool doctored = command.Any(a => a.EndsWith("doctored.pyc", StringComparison.Ordinal));
            Assert.True(exit == (doctored ? PyRecon.Cli.ExitCodes.Partial : 0), $"exit {exit}: {shown}");
            if (command[0] == "decompile" && !command.Contains("-o")) Assert.Contains("def add(a, b):", stdout);
            if (doctored) Assert.Contains("expected LOAD_FAST_CHECK b, found LOAD_FAST b", stdout);
        }
        // The tree: __pycache__ names, the collision kept, a report listing every input.
        Assert.True(File.Exists(dir["out/app/simple.py"]));
        Assert.True(File.Exists(dir["out/app/__init__.py"]));
        Assert.True(File.Exists(dir["out/app/simple.cpython-312.opt-1.py"]));
        Assert.True(File.Exists(dir["out/run.py"]));
        Assert.True(File.Exists(dir["out-zip/app/simple.py"]));
        // The PyInstaller program: decrypted and unpacked into the tree the README describes.
        Assert.Contains("def main(argv):", File.ReadAllText(dir["out-app/app.py"]));
        Assert.True(File.Exists(dir["out-app/pkg/sub.py"]));
        Assert.True(File.Exists(dir["out-app/pyinstaller-bootstrap/pyimod00_crypto_key.py"]));
        Assert.True(File.Exists(dir["out-app/data/greeting.txt"]));
        using var report = JsonDocument.Parse(File.ReadAllText(dir["report.json"]));
        Assert.Equal(4, report.RootElement.GetProperty("files").GetArrayLength());
    }
}
