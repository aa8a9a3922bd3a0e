using PyRecon.Model;
using PyRecon.Tests.Support;
using Xunit.Abstractions;

namespace PyRecon.Tests.Decompilation;

/// <summary>
/// The construct fixtures decompiled with the library API and compared with their own source text (no Python
/// needed), plus the bookkeeping: committed .pyc files, source hashes and the expected-failure list agree.
/// </summary>
public sealed class ConstructFixtureTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() => ConstructFixtures.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecompiledTextMatchesTheFixture(string versionText, string name)
    {
        var version = PythonVersion.Parse(versionText);
        var decompiled = ConstructFixtures.Decompile(version, name);
        string? failure;
        if (decompiled.Crash is not null) failure = decompiled.Reported;
        else
        {
            var difference = ConstructFixtures.FirstTextDifference(File.ReadAllText(ConstructFixtures.SourcePath(name)), decompiled.Result!.Source);
            failure = difference is null ? null : Decompiled.OneLine(difference) + (decompiled.Reported is { } r ? "; " + r : "");
            if (difference is not null) output.WriteLine(decompiled.Result.Source);
        }
        ExpectedFailures.Check(ExpectedFailures.Text, version, name, failure);
    }

    [Fact]
    public void EveryFixtureIsCompiledForExactlyTheVersionsItClaims()
    {
        var names = ConstructFixtures.Names();
        Assert.NotEmpty(names);
        var problems = new List<string>();
        foreach (var name in names)
            foreach (var version in PythonVersion.Supported)
            {
                bool claimed = ConstructFixtures.Versions(name).Contains(version), present = File.Exists(ConstructFixtures.PycPath(version, name));
                if (claimed != present) problems.Add(claimed ? $"{version}/{name}.pyc is missing" : $"{version}/{name}.pyc is not claimed by its header");
            }
        foreach (var row in ConstructFixtures.Cases())
            if (!names.Contains((string)row[1])) problems.Add($"{row[0]}/{row[1]}.pyc has no source");
        var hashes = ConstructFixtures.CompiledSourceHashes();
        foreach (var name in names)
            if (!hashes.TryGetValue(name, out var hash) || hash != ConstructFixtures.SourceHash(name))
                problems.Add($"{name}.py changed since its .pyc files were compiled");
        Assert.True(problems.Count == 0, "run tools/fixtures/make_decompile_fixtures:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void ExpectedFailureListNamesExistingCasesOnce()
    {
        var problems = new List<string>();
        var seen = new HashSet<(string, PythonVersion, string)>();
        foreach (var e in ExpectedFailures.All)
        {
            if (!seen.Add((e.Check, e.Version, e.Name))) problems.Add("listed twice: " + e.ToLine());
            if (!File.Exists(ConstructFixtures.PycPath(e.Version, e.Name))) problems.Add("no such fixture case: " + e.ToLine());
        }
        Assert.True(problems.Count == 0, "tests/fixtures/decompile/expected-failures.txt:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void TextNormalizationDropsCommentsTrailingBlanksAndBlankLines()
    {
        const string expected = "# pyrecon-fixture: min=3.10\nx = 1\n\n\ndef f():\n    return x\n";
        Assert.Null(ConstructFixtures.FirstTextDifference(expected, "x = 1   \ndef f():\n    # PYRECON: note\n    return x\n\n"));
        Assert.NotNull(ConstructFixtures.FirstTextDifference(expected, "x = 1\ndef f():\n  return x\n"));
        Assert.NotNull(ConstructFixtures.FirstTextDifference(expected, "x = 1\n"));
    }

    [Fact]
    public void ExpectedFailureLinesParse()
    {
        var entries = ExpectedFailures.Parse(["# comment", "", "roundtrip 3.12 calls: mismatch: instr 3: a != b"]);
        Assert.Equal(new ExpectedFailures.Entry("roundtrip", PythonVersion.V3_12, "calls", "mismatch: instr 3: a != b"), Assert.Single(entries));
        Assert.Throws<InvalidDataException>(() => ExpectedFailures.Parse(["bytecode 3.12 calls: x"]));
        Assert.Throws<InvalidDataException>(() => ExpectedFailures.Parse(["text 3.12 calls:"]));
    }
}
