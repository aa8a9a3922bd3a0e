using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PyRecon.Model;

namespace PyRecon.Cli.Verify;

/// <summary>
/// A long-lived interpreter running verify_host.py: one JSON request line in, one answer line (base64 of JSON) out.
/// </summary>
internal sealed class JudgeHost : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private JudgeHost(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    /// <summary>How the interpreter is run, for messages and the JSON output.</summary>
    public string Description { get; }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>; null when it cannot be started.</summary>
    public static JudgeHost? Start(string fileName, IEnumerable<string> arguments, string description)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["PYTHONIOENCODING"] = "utf-8";
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        info.Environment["PYTHONHASHSEED"] = "0";
        Process? process;
        try
        {
            process = Process.Start(info);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null;
        }
        if (process is null) return null;
        var host = new JudgeHost(process, description);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (host._stderr) host._stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Sends one request; the answer as JSON, or an exception with the interpreter's last words.</summary>
    public JsonElement Ask(string request)
    {
        try
        {
            _process.StandardInput.WriteLine(request);
            _process.StandardInput.Flush();
        }
        catch (IOException)
        {
            throw new JudgeException($"{Description} stopped: {LastWords()}");
        }
        string? line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit(5000);
            throw new JudgeException($"{Description} stopped: {LastWords()}");
        }
        string json = line.StartsWith('{') ? line : Encoding.UTF8.GetString(Convert.FromBase64String(line.Trim()));
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement.Clone();
        if (root.TryGetProperty("error", out var error)) throw new JudgeException($"the judge failed: {error.GetString()}");
        return root;
    }

    /// <summary>The interpreter's version (major.minor), asked of the running host; null when it does not answer.</summary>
    public string? Hello()
    {
        try
        {
            var answer = Ask("{\"hello\": true}");
            return answer.GetProperty("implementation").GetString() == "cpython" ? answer.GetProperty("version").GetString() : null;
        }
        catch (Exception e) when (e is JudgeException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private string LastWords()
    {
        string text;
        lock (_stderr) text = _stderr.ToString().Trim();
        var lines = text.Split('\n');
        return text.Length == 0 ? "no message" : lines[^1].Trim();
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(3000)) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }
        _process.Dispose();
    }
}

internal sealed class JudgeException(string message) : Exception(message);

/// <summary>
/// The helper files verify runs (embedded in the tool): the judge (tools/roundtrip/fixture_judge.py), its host
/// (verify_host.py) and the Pyodide runner (tools/pyodide/pyhost.mjs, package.json), written once into a cache
/// folder: $PYRECON_CACHE, else $XDG_CACHE_HOME/pyrecon, else ~/.cache/pyrecon.
/// </summary>
internal static class HelperFiles
{
    public static string CacheRoot()
    {
        var env = Environment.GetEnvironmentVariable("PYRECON_CACHE");
        if (!string.IsNullOrEmpty(env)) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "pyrecon");
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "pyrecon");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pyrecon");
    }

    public static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("PyRecon.Cli.Verify." + name)
                           ?? throw new InvalidOperationException($"resource {name} is missing from the tool");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Writes <paramref name="names"/> into <paramref name="folder"/> unless they are there with the same text.</summary>
    public static void Materialize(string folder, params string[] names)
    {
        Directory.CreateDirectory(folder);
        foreach (var name in names)
        {
            string text = Resource(name);
            string path = Path.Combine(folder, name);
            if (File.Exists(path) && File.ReadAllText(path) == text) continue;
            // Write then move: another pyrecon may be doing the same at this moment.
            string temp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(temp, text, new UTF8Encoding(false));
            File.Move(temp, path, overwrite: true);
        }
    }

    /// <summary>The folder holding the judge scripts, named by their content so versions never mix.</summary>
    public static string JudgeFolder()
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Resource("fixture_judge.py") + Resource("verify_host.py")));
        string folder = Path.Combine(CacheRoot(), "verify", Convert.ToHexString(hash)[..12].ToLowerInvariant());
        Materialize(folder, "fixture_judge.py", "verify_host.py");
        return folder;
    }
}

/// <summary>
/// Finds the CPython of a version: each <c>--python</c> given, <c>PYRECON_PYTHON_3_X</c>, pyenv's builds
/// (<c>$PYENV_ROOT</c> or ~/.pyenv), <c>python3.X</c> / <c>python3</c> / <c>python</c> on PATH; for 3.14, when none
/// of those, Pyodide under node (the repository's tools/pyodide when run from a checkout, else the cache folder;
/// installed with npm on first use). Every candidate is asked its version before it is used.
/// </summary>
internal sealed class Interpreters(IReadOnlyList<string> explicitPythons, TextWriter stderr) : IDisposable
{
    private readonly Dictionary<PythonVersion, (JudgeHost? Host, string? Problem)> _hosts = [];
    private string? _judgeFolder;

    public static readonly string Searched = "--python, PYRECON_PYTHON_3_X, pyenv versions, python3.X/python3/python on PATH";

    public bool SearchDefaults { get; init; } = true;

    /// <summary>The host for <paramref name="version"/>, or null and the reason.</summary>
    public (JudgeHost? Host, string? Problem) For(PythonVersion version)
    {
        if (_hosts.TryGetValue(version, out var known)) return known;
        (JudgeHost?, string?) found;
        try
        {
            found = Find(version);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            found = (null, $"cannot prepare the judge: {e.Message}");
        }
        _hosts[version] = found;
        return found;
    }

    private (JudgeHost?, string?) Find(PythonVersion version)
    {
        _judgeFolder ??= HelperFiles.JudgeFolder();
        string script = Path.Combine(_judgeFolder, "verify_host.py");
        var tried = new List<string>();
        foreach (var python in Candidates(version))
        {
            if (tried.Contains(python)) continue;
            tried.Add(python);
            var host = JudgeHost.Start(python, ["-u", "-E", "-s", script, "--serve"], python);
            if (host is null) continue;
            if (host.Hello() == version.ToString()) return (host, null);
            host.Dispose();
        }
        if (version == PythonVersion.V3_14 && SearchDefaults)
        {
            var (pyodide, problem) = StartPyodide(script);
            if (pyodide is not null) return (pyodide, null);
            return (null, $"no CPython 3.14 found (looked at {Searched}), and {problem}");
        }
        return (null, $"no CPython {version} found (looked at {Searched}); install it (e.g. pyenv install {version}) or pass --python PATH");
    }

    private IEnumerable<string> Candidates(PythonVersion version)
    {
        foreach (var p in explicitPythons) yield return p;
        if (!SearchDefaults) yield break;
        var env = Environment.GetEnvironmentVariable($"PYRECON_PYTHON_{version.Major}_{version.Minor}");
        if (!string.IsNullOrEmpty(env)) yield return env;
        string pyenvRoot = Environment.GetEnvironmentVariable("PYENV_ROOT") is { Length: > 0 } r
            ? r : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv");
        string versions = Path.Combine(pyenvRoot, "versions");
        if (Directory.Exists(versions))
        {
            var builds = Directory.GetDirectories(versions, $"{version}.*")
                .Select(d => (Dir: d, Patch: int.TryParse(Path.GetFileName(d)[(version.ToString().Length + 1)..], out int p) ? p : -1))
                .Where(b => b.Patch >= 0).OrderByDescending(b => b.Patch);
            foreach (var (dir, _) in builds)
            {
                string exe = Path.Combine(dir, "bin", $"python{version}");
                if (File.Exists(exe)) yield return exe;
            }
        }
        foreach (var name in new[] { $"python{version}", "python3", "python" })
            if (OnPath(name) is string path) yield return path;
    }

    internal static string? OnPath(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        string[] exts = OperatingSystem.IsWindows() ? [".exe", ".cmd", ".bat", ""] : [""];
        foreach (var dir in dirs)
            foreach (var ext in exts)
            {
                string path = Path.Combine(dir, name + ext);
                if (File.Exists(path)) return path;
            }
        return null;
    }

    private (JudgeHost?, string) StartPyodide(string script)
    {
        string? node = OnPath("node");
        if (node is null) return (null, "node (which runs 3.14 through Pyodide) is not on PATH");
        string folder = PyodideFolder();
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "pyodide")))
        {
            string? npm = OnPath("npm");
            if (npm is null) return (null, "npm (to install Pyodide for 3.14) is not on PATH");
            stderr.WriteLine($"pyrecon: installing Pyodide (CPython 3.14 for node) into {folder}, once");
            var info = new ProcessStartInfo(npm) { WorkingDirectory = folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "install", "--no-audit", "--no-fund", "--silent" }) info.ArgumentList.Add(a);
            using var npmProcess = Process.Start(info);
            if (npmProcess is null) return (null, "npm could not be started");
            var errors = npmProcess.StandardError.ReadToEndAsync();
            npmProcess.StandardOutput.ReadToEnd();
            npmProcess.WaitForExit();
            if (npmProcess.ExitCode != 0)
                return (null, $"npm install of Pyodide in {folder} failed: {errors.Result.Trim().Split('\n')[^1]}");
        }
        var host = JudgeHost.Start(node, [Path.Combine(folder, "pyhost.mjs"), "--serve", script], $"node {Path.Combine(folder, "pyhost.mjs")} (Pyodide)");
        if (host is null) return (null, "node could not be started");
        if (host.Hello() == "3.14") return (host, "");
        host.Dispose();
        return (null, "Pyodide under node did not answer as CPython 3.14");
    }

    /// <summary>The repository's tools/pyodide when run from a checkout (shared with tools/pyrun), else the cache.</summary>
    private static string PyodideFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tools", "pyodide");
            if (File.Exists(Path.Combine(candidate, "pyhost.mjs")) && File.Exists(Path.Combine(dir.FullName, "tools", "pyrun")))
                return candidate;
        }
        string cache = Path.Combine(HelperFiles.CacheRoot(), "pyodide");
        HelperFiles.Materialize(cache, "package.json", "pyhost.mjs");
        return cache;
    }

    public void Dispose()
    {
        foreach (var (host, _) in _hosts.Values) host?.Dispose();
        _hosts.Clear();
    }
}
