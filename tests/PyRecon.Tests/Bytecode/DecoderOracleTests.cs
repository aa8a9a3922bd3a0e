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
        int checkedInstructions = 0, extendedArgs = 0, jumps = 0;
        void Walk(JsonElement e)
        {
            var code = CodeJson.ToCode(version, e);
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
                        jumps++;
                        break;
                    case NameArgument n: Assert.Equal(argval.GetString(), n.Name); break;
                    case LocalArgument l: Assert.Equal(argval.GetString(), l.Name); break;
                    case FreeArgument f: Assert.Equal(argval.GetString(), f.Name); break;
                    case LocalPairArgument p: Assert.Equal(argrepr, p.ToString()); break;
                    case CompareArgument c:
                        Assert.Equal(argval.GetString(), c.Operator);
                        if (version >= PythonVersion.V3_13) Assert.Equal(argrepr, c.ToString());
                        break;
                    case TableArgument t when t.Table == "nb_op": Assert.Equal(argrepr, t.Value); break;
                    case ConstArgument k: Assert.Equal(ins.Arg, k.Index); break;
                }
                if (ins.Name == "EXTENDED_ARG") extendedArgs++;
                if (ins.Prefixes.IsEmpty)
                    Assert.True(d.GetProperty("starts_line").GetBoolean() == ins.IsLineStart, $"{at}: line start");
                if (version >= PythonVersion.V3_13)
                {
                    var line = d.GetProperty("line");
                    Assert.Equal(line.ValueKind == JsonValueKind.Null ? null : line.GetInt32(), ins.Line);
                }
                checkedInstructions++;
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
            foreach (var child in e.GetProperty("children").EnumerateArray()) Walk(child);
        }
        Walk(root.GetProperty("code"));
        Assert.True(checkedInstructions > 300, $"only {checkedInstructions} instructions checked");
        Assert.True(extendedArgs > 0, "the sample should need EXTENDED_ARG");
        Assert.True(jumps > 10, "the sample should have jumps");
    }
}
