using System.Text;
using PyRecon.Model;
using PyRecon.Syntax;
using PyRecon.Tests.Support;
using Xunit.Abstractions;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>
/// Property: for a random well-formed tree T of version V, CPython V parses PythonFormatter.Format(T, V)
/// to a tree whose ast.dump equals AstDump.Dump(T, V). Failures are shrunk and print a replayable seed.
/// </summary>
public sealed class RoundTripPropertyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("3.8")]
    [InlineData("3.9")]
    [InlineData("3.10")]
    [InlineData("3.11")]
    [InlineData("3.12")]
    [InlineData("3.13")]
    [InlineData("3.14")]
    public void FormattedSourceParsesBackToTheSameTree(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        using var server = new PythonServer(version, Python.ToolPath("syntax", "roundtrip.py"));
        var roundTrip = new RoundTrip(server);
        int cases = SyntaxTestSettings.Cases, first = SyntaxTestSettings.FirstSeed, refused = 0;
        var refusals = new List<string>();
        for (int i = 0; i < cases; i++)
        {
            int seed = first + i;
            var tree = new RandomSyntax(seed, version, SyntaxTestSettings.SizeFor(seed)).Module();
            var outcome = roundTrip.Check(tree);
            if (outcome.FailureKind == "refused" && version < PythonVersion.V3_12)
            {
                // Before 3.12 some f-strings have no quoting at all; the formatter must say so, not print junk.
                refused++;
                if (refusals.Count < 3) refusals.Add(outcome.Actual);
                continue;
            }
            if (outcome.FailureKind is null) continue;
            var small = SyntaxShrinker.Shrink(tree, t => roundTrip.FailureKind(t));
            var shown = roundTrip.Check(small);
            Assert.Fail(new StringBuilder()
                .AppendLine($"Python {version}: {outcome.FailureKind} for seed {seed} (replay: PYRECON_SYNTAX_SEED={seed} PYRECON_SYNTAX_CASES=1)")
                .AppendLine("shrunk source:").AppendLine(shown.Source)
                .AppendLine("AstDump:   " + shown.Expected)
                .AppendLine("CPython:   " + shown.Actual)
                .ToString());
        }
        output.WriteLine($"Python {version}: {cases} cases from seed {first}, {cases - refused} round-tripped, {refused} refused by the formatter");
        foreach (var r in refusals) output.WriteLine("  refused: " + r);
        // Refusals are f-strings no quoting can express before 3.12 (about 1 in 1000 random trees).
        Assert.True(refused <= Math.Max(1, cases / 50), $"the formatter refused {refused} of {cases} trees for {version}");
    }
}
