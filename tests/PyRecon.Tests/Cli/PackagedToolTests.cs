using PyRecon.Tests.Support;

namespace PyRecon.Tests.Cli;

/// <summary>
/// The dotnet tool package as a user gets it: packed from the build the tests run on, installed with
/// <c>dotnet tool install --tool-path</c> from a local folder, run as a separate process.
/// </summary>
public class PackagedToolTests
{
    [Fact]
    public void The_packed_tool_installs_and_decompiles()
    {
        using var dir = new TempDir();
        // The configuration the tests were built in; a unique version so no cached package is reused.
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        string version = $"0.0.0-test.{Guid.NewGuid():N}";
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = dir["nuget"], ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        string project = Path.Combine(Python.RepoRoot, "src", "PyRecon.Cli", "PyRecon.Cli.csproj");

        var pack = Run("dotnet", ["pack", project, "--no-build", "-c", configuration, "-o", dir["packages"], $"-p:PackageVersion={version}"], environment);
        Assert.True(pack.Exit == 0, pack.Output);
        Assert.True(File.Exists(dir[$"packages/PyRecon.Cli.{version}.nupkg"]), pack.Output);

        var install = Run("dotnet", ["tool", "install", "--tool-path", dir["tools"], "--add-source", dir["packages"], "PyRecon.Cli", "--version", version], environment);
        Assert.True(install.Exit == 0, install.Output);

        string tool = dir[OperatingSystem.IsWindows() ? "tools/pyrecon.exe" : "tools/pyrecon"];
        var run = Run(tool, ["decompile", Cli.Simple], environment);
        Assert.True(run.Exit == 0, run.Output);
        Assert.Contains("def add(a, b):", run.Output);

        var missing = Run(tool, ["decompile", dir["missing.pyc"]], environment);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("no such file or folder", missing.Output);
    }

    private static (int Exit, string Output) Run(string fileName, string[] args, Dictionary<string, string> environment)
    {
        var info = new System.Diagnostics.ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', args)} did not finish in 5 minutes");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
