using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using PyRecon.Model;
using PyRecon.Tests.Support;
using Xunit.Abstractions;

namespace PyRecon.Tests.Decompilation;

/// <summary>One long-lived judge (tools/roundtrip/fixture_judge.py) per interpreter version, shared by the round-trip cases.</summary>
public sealed class FixtureJudges : IDisposable
{
    private readonly ConcurrentDictionary<PythonVersion, Lazy<PythonServer>> _servers = new();

    public PythonServer For(PythonVersion version) =>
        _servers.GetOrAdd(version, v => new Lazy<PythonServer>(() => new PythonServer(v, Python.ToolPath("roundtrip", "fixture_judge.py")))).Value;

    public void Dispose()
    {
        foreach (var server in _servers.Values)
            if (server.IsValueCreated) server.Value.Dispose();
    }
}

/// <summary>The judge's verdict for one decompiled module (see tools/roundtrip/fixture_judge.py).</summary>
public sealed record JudgeVerdict(string Verdict, string Detail, bool LineExact)
{
    public static JudgeVerdict Ask(PythonServer judge, string pycPath, string source)
    {
        var request = JsonSerializer.Serialize(new Dictionary<string, string> { ["pyc"] = pycPath, ["source"] = source });
        var answer = judge.Ask(request);
        string json;
        try { json = Encoding.UTF8.GetString(Convert.FromBase64String(answer)); }
        catch (FormatException) { throw new InvalidOperationException($"the judge ({judge.Version}) answered: {answer}"); }
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("error", out var error)) throw new InvalidOperationException($"the judge ({judge.Version}) failed: {error}");
        return new JudgeVerdict(root.GetProperty("verdict").GetString()!, root.GetProperty("detail").GetString()!, root.GetProperty("line_exact").GetBoolean());
    }
}

/// <summary>
/// Every committed construct fixture is decompiled and its source recompiled by the matching interpreter, whose
/// code objects must equal the .pyc's by the round-trip judge's rule; the expected-failure list names the cases
/// that do not yet. Source that does not compile while the decompiler reported nothing is always a failure.
/// </summary>
public sealed class ConstructRoundTripTests(FixtureJudges judges, ITestOutputHelper output) : IClassFixture<FixtureJudges>
{
    public static IEnumerable<object[]> Cases() => ConstructFixtures.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecompiledSourceRecompilesToTheSameBytecode(string versionText, string name)
    {
        var (version, decompiled) = DecompileWithInterpreter(versionText, name);
        string? failure = decompiled.Reported;
        if (decompiled.Result is { } result)
        {
            var pyc = ConstructFixtures.PycPath(version, name);
            var verdict = JudgeVerdict.Ask(judges.For(version), pyc, result.Source);
            output.WriteLine($"{version} {name}: {verdict.Verdict}{(verdict.LineExact ? " (line-exact)" : "")} {verdict.Detail}");
            if (verdict.Verdict == "recompile-error" && decompiled.Reported is null)
            {
                output.WriteLine(result.Source);
                Assert.Fail($"wrong output without a diagnostic: {version} {name}: the decompiled source does not compile ({verdict.Detail}) "
                    + "and the decompiler reported nothing. This is never an expected failure.");
            }
            failure = verdict.Verdict == "equal" ? null
                : decompiled.Reported is { } reported ? $"{verdict.Verdict}; {reported}"
                : Decompiled.OneLine($"silent {verdict.Verdict}: {verdict.Detail}");
            if (failure is not null) output.WriteLine(result.Source);
        }
        ExpectedFailures.Check(ExpectedFailures.RoundTrip, version, name, failure);
    }

    /// <summary>The fixture decompiled, once the interpreter that judges it is known to be here.</summary>
    private static (PythonVersion Version, Decompiled Decompiled) DecompileWithInterpreter(string versionText, string name)
    {
        var version = PythonVersion.Parse(versionText);
        Python.Require(version);
        return (version, ConstructFixtures.Decompile(version, name));
    }

    /// <summary>Fixtures whose decompiled source must also put every statement on its original line (the judge's
    /// line-exact verdict): layouts a pass once lost.</summary>
    public static IEnumerable<object[]> LineExactCases() =>
        ConstructFixtures.Cases().Where(c => (string)c[1] is "class_private_names");

    [Theory]
    [MemberData(nameof(LineExactCases))]
    public void DecompiledSourceKeepsEveryLine(string versionText, string name)
    {
        var (version, decompiled) = DecompileWithInterpreter(versionText, name);
        Assert.Null(decompiled.Reported);
        var verdict = JudgeVerdict.Ask(judges.For(version), ConstructFixtures.PycPath(version, name), decompiled.Result!.Source);
        output.WriteLine(decompiled.Result.Source);
        Assert.Equal("equal", verdict.Verdict);
        Assert.True(verdict.LineExact, $"{version} {name}: not line-exact ({verdict.Detail})");
    }
}
