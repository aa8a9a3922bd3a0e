using System.Text.Json;
using PyRecon.Bytecode;
using PyRecon.Model;
using Xunit.Abstractions;

namespace PyRecon.Tests.Bytecode;

/// <summary>The spec's stack effects, walked over every code object of sample.py, stay within co_stacksize.</summary>
public class StackDepthTests(ITestOutputHelper output)
{
    public static TheoryData<string> Versions => new(PythonVersion.Supported.Select(v => v.ToString()));

    [Theory]
    [MemberData(nameof(Versions))]
    public void MaxDepthWithinCoStacksize(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var root = CodeJson.Run(version, "compile", CodeJson.Fixture("sample.py"));
        int codes = 0, exact = 0;
        void Walk(JsonElement e)
        {
            var code = CodeJson.ToCode(version, e);
            var instructions = Decoder.Decode(code);
            var result = StackDepth.Compute(code, instructions);
            Assert.True(result.Problems.IsEmpty, $"{version} {code.Name}: {string.Join("; ", result.Problems)}");
            Assert.True(result.MaxDepth <= code.StackSize, $"{version} {code.Name}: computed {result.MaxDepth} > co_stacksize {code.StackSize}");
            Assert.NotNull(result.DepthBefore[0]);
            codes++;
            if (result.MaxDepth == code.StackSize) exact++;
            foreach (var child in e.GetProperty("children").EnumerateArray()) Walk(child);
        }
        Walk(root.GetProperty("code"));
        output.WriteLine($"{version}: {codes} code objects, max depth == co_stacksize for {exact}");
        // Seen here: the walk reproduces co_stacksize exactly for every code object of the sample, in every version.
        Assert.True(exact == codes, $"{version}: max depth equals co_stacksize for only {exact} of {codes} code objects");
    }

    /// <summary>The consumed counts a spec gives (<c>.pops</c>) fit its stack effects: what an opcode pushes, its
    /// effect plus what it consumes, is never negative (taken and not taken).</summary>
    [Theory]
    [MemberData(nameof(Versions))]
    public void ConsumedCountsFitTheStackEffects(string versionText)
    {
        var table = OpcodeTable.For(PythonVersion.Parse(versionText));
        int given = 0;
        foreach (var op in table.Opcodes)
            for (int oparg = 0; oparg < 64; oparg++)
            {
                if (table.Pops(op, oparg) is not int pops) continue;
                given++;
                foreach (bool jump in new[] { false, true })
                    if (table.StackEffect(op, oparg, jump) is int effect)
                        Assert.True(effect + pops >= 0, $"{versionText} {op.Name} oparg {oparg}: consumes {pops}, effect {effect}");
            }
        // 3.14's borrow reading needs them; the other versions give none.
        Assert.Equal(versionText == "3.14", given > 0);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void StdlibMaxDepthWithinCoStacksize(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var root = CodeJson.Run(version, "modules", "typing,dataclasses,asyncio.tasks,argparse,ast,inspect,enum,contextlib,zipfile");
        int codes = 0, exact = 0;
        var problems = new List<string>();
        void Walk(JsonElement e)
        {
            var code = CodeJson.ToCode(version, e);
            var result = StackDepth.Compute(code, Decoder.Decode(code));
            problems.AddRange(result.Problems.Select(p => $"{code.QualName ?? code.Name}: {p}"));
            if (result.MaxDepth > code.StackSize) problems.Add($"{code.QualName ?? code.Name}: computed {result.MaxDepth} > co_stacksize {code.StackSize}");
            codes++;
            if (result.MaxDepth == code.StackSize) exact++;
            foreach (var child in e.GetProperty("children").EnumerateArray()) Walk(child);
        }
        foreach (var module in root.GetProperty("modules").EnumerateArray()) Walk(module.GetProperty("code"));
        output.WriteLine($"{version}: {codes} code objects, max depth == co_stacksize for {exact}");
        Assert.True(problems.Count == 0, $"{version}: {problems.Count} problems, first: {string.Join("; ", problems.Take(5))}");
    }
}
