using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Decompilation;

/// <summary>
/// The decompiler's construct fixtures: tests/fixtures/decompile/src/NAME.py, each its own expected decompiler
/// output, compiled by tools/fixtures/make_decompile_fixtures into tests/fixtures/decompile/pyc/3.X/NAME.pyc for
/// every version its header (<c># pyrecon-fixture: min=3.N max=3.N</c>) admits.
/// </summary>
public static partial class ConstructFixtures
{
    public static string Root => Path.Combine(Fixtures.Root, "decompile");
    public static string SourceFolder => Path.Combine(Root, "src");
    public static string PycRoot => Path.Combine(Root, "pyc");
    public static string ExpectedFailuresFile => Path.Combine(Root, "expected-failures.txt");

    public static string SourcePath(string name) => Path.Combine(SourceFolder, name + ".py");
    public static string PycPath(PythonVersion version, string name) => Path.Combine(PycRoot, version.ToString(), name + ".pyc");

    /// <summary>Fixture names (file names without .py), sorted.</summary>
    public static IReadOnlyList<string> Names() =>
        [.. Directory.EnumerateFiles(SourceFolder, "*.py").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    /// <summary>The versions a fixture claims: 3.8-3.14 narrowed by its header.</summary>
    public static IReadOnlyList<PythonVersion> Versions(string name)
    {
        PythonVersion low = PythonVersion.V3_8, high = PythonVersion.V3_14;
        foreach (var line in File.ReadLines(SourcePath(name)))
        {
            if (!line.StartsWith('#')) break;
            var m = Header().Match(line.Trim());
            if (!m.Success) continue;
            foreach (var item in m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var (key, value) = (item.Split('=')[0], PythonVersion.Parse(item.Split('=')[1]));
                if (key == "min") low = value;
                else if (key == "max") high = value;
                else throw new InvalidDataException($"{name}.py: unknown pyrecon-fixture setting {item}");
            }
        }
        return [.. PythonVersion.Supported.Where(v => v >= low && v <= high)];
    }

    [GeneratedRegex(@"^#\s*pyrecon-fixture:(.*)$")]
    private static partial Regex Header();

    /// <summary>Every committed (version, fixture) .pyc, as theory data: version first, then name.</summary>
    public static IEnumerable<object[]> Cases() =>
        from version in PythonVersion.Supported
        let folder = Path.Combine(PycRoot, version.ToString())
        where Directory.Exists(folder)
        from file in Directory.EnumerateFiles(folder, "*.pyc").Order(StringComparer.Ordinal)
        select new object[] { version.ToString(), Path.GetFileNameWithoutExtension(file) };

    /// <summary>
    /// What the text test compares, for both the fixture and the decompiler's output: comment lines (the
    /// fixture header, the decompiler's failure notes) are removed and trailing whitespace is ignored.
    /// FOR NOW blank lines are dropped too, since line layout is being added to the decompiler separately;
    /// tighten this (keep blank lines) once the formatter lays out blank lines like the fixtures do.
    /// </summary>
    public static string[] NormalizeForTextComparison(string text) =>
        [.. text.Replace("\r\n", "\n").Split('\n')
            .Select(line => line.TrimEnd())
            .Where(line => !line.TrimStart().StartsWith('#'))
            .Where(line => line.Length > 0)];

    /// <summary>Null when the normalized texts are equal, else the first differing line of each.</summary>
    public static string? FirstTextDifference(string expected, string actual)
    {
        var e = NormalizeForTextComparison(expected);
        var a = NormalizeForTextComparison(actual);
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string el = i < e.Length ? e[i] : "<end>";
            string al = i < a.Length ? a[i] : "<end>";
            if (el != al) return $"line {i + 1} (blank and comment lines not counted): expected `{el.Trim()}`, got `{al.Trim()}`";
        }
        return null;
    }

    /// <summary>SHA-256 (hex) of a fixture source as sha256sum prints it.</summary>
    public static string SourceHash(string name) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(SourcePath(name))));

    /// <summary>tests/fixtures/decompile/pyc/sources.sha256: name → hash of the source the .pyc files were compiled from.</summary>
    public static IReadOnlyDictionary<string, string> CompiledSourceHashes() =>
        File.ReadLines(Path.Combine(PycRoot, "sources.sha256"))
            .Where(l => l.Length > 0)
            .Select(l => l.Split("  ", 2))
            .ToDictionary(p => Path.GetFileNameWithoutExtension(p[1]), p => p[0]);

    /// <summary>The decompiler's answer for one committed .pyc, computed once per run (shared by the text and round-trip tests).</summary>
    public static Decompiled Decompile(PythonVersion version, string name) =>
        s_decompiled.GetOrAdd((version, name), key =>
        {
            try
            {
                return new Decompiled(Decompiler.DecompileFile(PycPath(key.Version, key.Name)), null);
            }
            catch (Exception e)
            {
                return new Decompiled(null, e);
            }
        });

    private static readonly ConcurrentDictionary<(PythonVersion Version, string Name), Decompiled> s_decompiled = new();

    /// <summary>When PYRECON_FIXTURE_FAILURES names a file, every failing case appends its expected-failure line
    /// there (listed or not), so the list can be rebuilt: sort the file and replace the entries with it.</summary>
    public static void RecordObservedFailure(ExpectedFailures.Entry entry)
    {
        var path = Environment.GetEnvironmentVariable("PYRECON_FIXTURE_FAILURES");
        if (string.IsNullOrEmpty(path)) return;
        lock (s_recordGate) File.AppendAllText(path, entry.ToLine() + "\n", new UTF8Encoding(false));
    }

    private static readonly object s_recordGate = new();
}

/// <summary>A decompiled fixture: the result, or the exception the decompiler threw.</summary>
public sealed record Decompiled(DecompileResult? Result, Exception? Crash)
{
    /// <summary>A one-line summary of what the decompiler reported, or null when it reported nothing.</summary>
    public string? Reported => Crash is not null
        ? $"crash: {Crash.GetType().Name}: {OneLine(Crash.Message)}"
        : Result!.Diagnostics.IsEmpty ? null
        : "reported: " + OneLine(Result.Diagnostics[0].ToString()) + (Result.Diagnostics.Length > 1 ? $" (+{Result.Diagnostics.Length - 1} more)" : "");

    public static string OneLine(string text, int max = 200)
    {
        var one = text.Replace("\r", " ").Replace("\n", " ");
        return one.Length <= max ? one : one[..max] + "...";
    }
}

/// <summary>
/// tests/fixtures/decompile/expected-failures.txt: the cases that fail today, one line each:
/// <c>CHECK VERSION FIXTURE: reason</c> with CHECK <c>text</c> or <c>roundtrip</c>. Strict both ways: a listed
/// case must fail, an unlisted one must pass.
/// </summary>
public static class ExpectedFailures
{
    public const string Text = "text";
    public const string RoundTrip = "roundtrip";

    public sealed record Entry(string Check, PythonVersion Version, string Name, string Reason)
    {
        public string ToLine() => $"{Check} {Version} {Name}: {Reason}";
    }

    private static readonly Lazy<IReadOnlyList<Entry>> s_entries = new(() => Parse(File.ReadAllLines(ConstructFixtures.ExpectedFailuresFile)));

    public static IReadOnlyList<Entry> All => s_entries.Value;

    public static IReadOnlyList<Entry> Parse(IEnumerable<string> lines)
    {
        var result = new List<Entry>();
        int number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var colon = line.IndexOf(':');
            var head = (colon < 0 ? line : line[..colon]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (colon < 0 || head.Length != 3 || head[0] is not (Text or RoundTrip) || !PythonVersion.TryParse(head[1], out var version))
                throw new InvalidDataException($"expected-failures.txt line {number}: want 'text|roundtrip 3.X NAME: reason', got: {raw}");
            var reason = line[(colon + 1)..].Trim();
            if (reason.Length == 0) throw new InvalidDataException($"expected-failures.txt line {number}: a reason is required");
            result.Add(new Entry(head[0], version, head[2], reason));
        }
        return result;
    }

    public static Entry? Find(string check, PythonVersion version, string name) =>
        All.FirstOrDefault(e => e.Check == check && e.Version == version && e.Name == name);

    /// <summary>Applies the list to one case: passes when the outcome is what the list says, fails otherwise.</summary>
    public static void Check(string check, PythonVersion version, string name, string? failure)
    {
        var listed = Find(check, version, name);
        if (failure is not null) ConstructFixtures.RecordObservedFailure(new Entry(check, version, name, failure));
        if (failure is null && listed is not null)
            Assert.Fail($"{check} {version} {name} now passes: remove it from the list (tests/fixtures/decompile/expected-failures.txt: `{listed.ToLine()}`)");
        if (failure is not null && listed is null)
            Assert.Fail($"{check} {version} {name} fails and is not in tests/fixtures/decompile/expected-failures.txt:\n  {failure}\n"
                + $"(a regression, or a new fixture: fix it, or add the line `{new Entry(check, version, name, failure).ToLine()}`)");
    }
}
