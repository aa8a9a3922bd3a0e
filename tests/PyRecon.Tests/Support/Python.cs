using System.Diagnostics;
using PyRecon.Model;

namespace PyRecon.Tests.Support;

/// <summary>
/// Runs CPython interpreters through tools/pyrun (pyenv builds for 3.8-3.13, Pyodide under node for 3.14).
/// Interpreter-backed tests call <see cref="Require"/>, which fails loudly when a version is missing.
/// </summary>
public static class Python
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string PyRun => Path.Combine(RepoRoot, "tools", "pyrun");
    public static string ToolPath(params string[] parts) => Path.Combine([RepoRoot, "tools", .. parts]);

    private static readonly Dictionary<PythonVersion, string?> s_which = new();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PyRecon.sln"))) return dir.FullName;
        throw new InvalidOperationException("PyRecon.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>How <paramref name="version"/> is run here, or null when it is not installed.</summary>
    public static string? Which(PythonVersion version)
    {
        lock (s_which)
        {
            if (s_which.TryGetValue(version, out var known)) return known;
            var (exit, stdout, _) = Run(PyRun, [version.ToString(), "--which"], null, TimeSpan.FromMinutes(5));
            return s_which[version] = exit == 0 ? stdout.Trim() : null;
        }
    }

    /// <summary>Fails the calling test with a clear message when the interpreter is missing.</summary>
    public static void Require(PythonVersion version)
    {
        if (Which(version) is null)
            Assert.Fail($"CPython {version} is not installed here (tools/pyrun {version} --which failed); interpreter-backed tests need it");
    }

    /// <summary>Runs a script; returns exit code and the captured output.</summary>
    public static (int Exit, string Stdout, string Stderr) RunScript(PythonVersion version, string script, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
        => Run(PyRun, [version.ToString(), script, .. args], stdin, timeout ?? TimeSpan.FromMinutes(10));

    public static (int Exit, string Stdout, string Stderr) Run(string fileName, IEnumerable<string> args, string? stdin, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>
/// A long-lived interpreter answering one request line with one response line
/// (<c>tools/pyrun VERSION --serve SCRIPT</c>; the script defines <c>handle(line) -&gt; str</c>).
/// One process serves thousands of property-test cases.
/// </summary>
public sealed class PythonServer : IDisposable
{
    private readonly Process _process;
    private readonly object _gate = new();
    private readonly System.Text.StringBuilder _stderr = new();

    public PythonServer(PythonVersion version, string script, params string[] args)
    {
        Python.Require(version);
        Version = version;
        var info = new ProcessStartInfo(Python.PyRun)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        info.ArgumentList.Add(version.ToString());
        info.ArgumentList.Add("--serve");
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["PYTHONIOENCODING"] = "utf-8";
        _process = Process.Start(info)!;
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
    }

    public PythonVersion Version { get; }

    /// <summary>Sends one request line (no newlines inside) and returns the response line.</summary>
    public string Ask(string request)
    {
        if (request.Contains('\n')) throw new ArgumentException("a request is one line", nameof(request));
        lock (_gate)
        {
            _process.StandardInput.WriteLine(request);
            _process.StandardInput.Flush();
            var line = _process.StandardOutput.ReadLine();
            if (line is null)
            {
                string err;
                lock (_stderr) err = _stderr.ToString();
                throw new InvalidOperationException($"Python {Version} helper exited: {err}");
            }
            return line.Replace("\\n", "\n");
        }
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
