using System.Text.Json;
using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Tests.Bytecode;

/// <summary>
/// Compiles Fixtures/sample.py with each interpreter and checks the decoder against <c>dis.get_instructions</c>
/// instruction by instruction: offsets, (deoptimized) names, folded args, EXTENDED_ARG prefixes, jump targets,
/// names of locals/globals/attributes/cells, comparison and binary operators, line starts.
/// </summary>
public class DecoderOracleTests
{
    public static TheoryData<string> Versions => new(PythonVersion.Supported.Select(v => v.ToString()));

    [Theory]
    [MemberData(nameof(Versions))]
    public void DecodesLikeDis(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var root = CodeJson.Run(version, "compile", CodeJson.Fixture("sample.py"));
        var stats = new Stats();
        CompareWithDis(version, root.GetProperty("code"), stats);
        Assert.True(stats.Instructions > 300, $"only {stats.Instructions} instructions checked");
        Assert.True(stats.ExtendedArgs > 0, "the sample should need EXTENDED_ARG");
        Assert.True(stats.Jumps > 10, "the sample should have jumps");
        var expectedTables = version >= PythonVersion.V3_14 ? new[] { "nb_op", "intrinsic1", "function_flags", "common_const", "special_method", "conversion" }
            : version >= PythonVersion.V3_13 ? ["nb_op", "intrinsic1", "function_flags", "conversion"]
            : version >= PythonVersion.V3_12 ? ["nb_op", "intrinsic1", "function_flags", "format"]
            : version >= PythonVersion.V3_11 ? ["nb_op", "function_flags", "format"]
            : ["function_flags", "format"];
        foreach (var t in expectedTables) Assert.True(stats.Tables.Contains(t), $"{version}: the sample exercises no {t} argument");
        if (version >= PythonVersion.V3_12) Assert.True(stats.Tables.Contains("method") && stats.Tables.Contains("push_null"), $"{version}: no method/NULL flag seen");
    }

    /// <summary>Standard-library modules, compiled from source by each interpreter: a broader mix of opcodes.</summary>
    [Theory]
    [MemberData(nameof(Versions))]
    public void StdlibModulesDecodeLikeDis(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var root = CodeJson.Run(version, "modules", "typing,dataclasses,asyncio.tasks,argparse,ast,inspect,enum,contextlib,zipfile");
        var stats = new Stats();
        foreach (var module in root.GetProperty("modules").EnumerateArray())
            CompareWithDis(version, module.GetProperty("code"), stats);
        Assert.True(stats.Codes > 500 && stats.Instructions > 20000, $"{version}: {stats.Codes} code objects, {stats.Instructions} instructions");
    }

    private sealed class Stats
    {
        public int Codes, Instructions, ExtendedArgs, Jumps;
        public HashSet<string> Tables { get; } = [];
    }

    private static void CompareWithDis(PythonVersion version, JsonElement e, Stats stats)
    {
        var code = CodeJson.ToCode(version, e);
        stats.Codes++;
        var kept = Decoder.Decode(code, new DecodeOptions { KeepExtendedArgs = true });
        var dis = e.GetProperty("dis").EnumerateArray().ToList();
        var where = $"{version} {code.Name}";
        Assert.True(dis.Count == kept.Length, $"{where}: dis has {dis.Count} instructions, decoder {kept.Length}");
        for (int i = 0; i < dis.Count; i++)
        {
            var d = dis[i];
            var ins = kept[i];
            var at = $"{where} @{ins.Offset} {ins.Name}";
            Assert.Equal(d.GetProperty("offset").GetInt32(), ins.Offset);
            Assert.Equal(d.GetProperty("opname").GetString(), ins.Name);
            var arg = d.GetProperty("arg");
            if (arg.ValueKind == JsonValueKind.Null) Assert.False(ins.HasArg, at);
            else
            {
                Assert.True(ins.HasArg, at);
                Assert.Equal(arg.GetInt32(), ins.Arg);
            }
            Assert.False(ins.Argument is InvalidArgument, $"{at}: {ins.Argument}");
            var argval = d.GetProperty("argval");
            var argrepr = d.GetProperty("argrepr").GetString();
            switch (ins.Argument)
            {
                case JumpArgument j:
                    Assert.Equal(argval.GetInt32(), j.Target);
                    Assert.True(j.TargetIndex >= 0 && kept[j.TargetIndex].Offset == j.Target, $"{at}: target index");
                    stats.Jumps++;
                    break;
                case NameArgument n:
                    Assert.Equal(argval.GetString(), n.Name);
                    // dis marks the flag bits as "NULL + name" / "name + NULL" / "NULL|self" (wording varies by version).
                    if (ins.Opcode.ArgKind is ArgKind.GlobalName or ArgKind.AttrName or ArgKind.SuperAttrName)
                    {
                        Assert.True((n.PushNull || n.IsMethod) == argrepr!.Contains("NULL"), $"{at}: {argrepr} vs {n}");
                        stats.Tables.Add(n.PushNull ? "push_null" : n.IsMethod ? "method" : "plain_name");
                    }
                    break;
                case LocalArgument l: Assert.Equal(argval.GetString(), l.Name); break;
                case FreeArgument f: Assert.Equal(argval.GetString(), f.Name); break;
                case LocalPairArgument p: Assert.Equal(argrepr, p.ToString()); break;
                case CompareArgument c:
                    Assert.Equal(argval.GetString(), c.Operator);
                    if (version >= PythonVersion.V3_13) Assert.Equal(argrepr, c.ToString());
                    break;
                case TableArgument t: Assert.Equal(argrepr, t.Value); stats.Tables.Add(t.Table); break;
                case FunctionFlagsArgument ff: Assert.Equal(argrepr, ff.ToString()); stats.Tables.Add("function_flags"); break;
                case FormatArgument fv: Assert.Equal(argrepr, fv.ToString()); stats.Tables.Add("format"); break;
                case InvertArgument inv when version >= PythonVersion.V3_14:
                    Assert.Equal(argrepr, (ins.Name == "IS_OP" ? (inv.Inverted ? "is not" : "is") : (inv.Inverted ? "not in" : "in")));
                    break;
                case ConstArgument k: Assert.Equal(ins.Arg, k.Index); break;
            }
            if (ins.Name == "EXTENDED_ARG") stats.ExtendedArgs++;
            if (ins.Prefixes.IsEmpty)
                Assert.True(d.GetProperty("starts_line").GetBoolean() == ins.IsLineStart, $"{at}: line start");
            if (version >= PythonVersion.V3_13)
            {
                var line = d.GetProperty("line");
                Assert.Equal(line.ValueKind == JsonValueKind.Null ? null : line.GetInt32(), ins.Line);
            }
            stats.Instructions++;
        }

        // Folded: no EXTENDED_ARG left, same real instructions with the same folded args.
        var folded = Decoder.Decode(code);
        Assert.DoesNotContain(folded, x => x.Name == "EXTENDED_ARG");
        Assert.Equal(kept.Where(x => x.Name != "EXTENDED_ARG").Select(x => (x.Offset, x.Name, x.Arg, x.StartOffset)),
                     folded.Select(x => (x.Offset, x.Name, x.Arg, x.StartOffset)));
        foreach (var x in folded.Where(x => x.Prefixes.Length > 0))
            Assert.Equal(x.StartOffset, x.Prefixes[0].Offset);
        foreach (var x in folded)
            if (x.Argument is JumpArgument j) Assert.True(j.TargetIndex >= 0 && (folded[j.TargetIndex].StartOffset == j.Target), $"{where} @{x.Offset}: folded target");
        foreach (var child in e.GetProperty("children").EnumerateArray()) CompareWithDis(version, child, stats);
    }
}
