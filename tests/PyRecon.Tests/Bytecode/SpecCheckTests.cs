using System.Text.Json;
using PyRecon.Bytecode;
using PyRecon.Model;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Bytecode;

/// <summary>
/// Each committed spec/opcodes/3.X.spec agrees with its interpreter (tools/opcodes/extract_opcodes.py --check),
/// and the generated C# tables agree with the interpreter's own facts: numbers, cache entries, families, and
/// <c>dis.stack_effect</c> for every oparg the extractor samples, jump taken or not.
/// </summary>
public class SpecCheckTests
{
    public static TheoryData<string> Versions => new(PythonVersion.Supported.Select(v => v.ToString()));

    private static string Extractor => Python.ToolPath("opcodes", "extract_opcodes.py");
    private static string SpecPath(PythonVersion v) => Path.Combine(Python.RepoRoot, "spec", "opcodes", $"{v}.spec");

    [Theory]
    [MemberData(nameof(Versions))]
    public void CommittedSpecAgreesWithInterpreter(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        Python.Require(version);
        var (exit, stdout, stderr) = Python.RunScript(version, Extractor, ["--check", SpecPath(version)]);
        Assert.True(exit == 0, $"extract_opcodes.py --check {version}:\n{stdout}\n{stderr}");
        Assert.Contains("0 problems", stdout);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void GeneratedTableMatchesInterpreterFacts(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        Python.Require(version);
        var outFile = Path.Combine(Path.GetTempPath(), $"pyrecon-facts-{Guid.NewGuid():N}.json");
        JsonElement facts;
        try
        {
            var (exit, _, stderr) = Python.RunScript(version, Extractor, ["--facts", "--out", outFile]);
            Assert.True(exit == 0, stderr);
            facts = JsonDocument.Parse(File.ReadAllText(outFile)).RootElement.Clone();
        }
        finally { File.Delete(outFile); }

        var table = OpcodeTable.For(version);
        var opargs = facts.GetProperty("opargs").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        int compared = 0;
        foreach (var op in facts.GetProperty("ops").EnumerateArray())
        {
            var name = op.GetProperty("name").GetString()!;
            var info = table.ByName(name);
            Assert.True(info is not null, $"{version}: {name} missing from the generated table");
            Assert.Equal(op.GetProperty("num").GetInt32(), info.Number);
            Assert.Equal(op.GetProperty("cache").GetInt32(), info.CacheEntries);
            var baseName = op.GetProperty("base");
            if (baseName.ValueKind == JsonValueKind.Null)
            {
                Assert.Null(info.BaseName);
                // Specialized opcodes decode with their base's argument kind, so only base opcodes are compared.
                Assert.True(op.GetProperty("has_arg").GetBoolean() == info.HasArg, $"{version} {name}: has_arg");
            }
            else Assert.Equal(baseName.GetString(), info.BaseName);
            var stack = op.GetProperty("stack");
            if (stack.ValueKind == JsonValueKind.Null) continue;
            bool hasArg = op.GetProperty("has_arg").GetBoolean();
            foreach (var (key, jump) in new[] { ("jump", true), ("fall", false) })
            {
                var values = stack.GetProperty(key).EnumerateArray().ToArray();
                for (int i = 0; i < values.Length; i++)
                {
                    if (values[i].ValueKind == JsonValueKind.Null) continue;
                    int oparg = hasArg ? opargs[i] : 0;
                    var effect = table.StackEffect(info, oparg, jump);
                    Assert.True(effect == values[i].GetInt32(), $"{version} {name} oparg={oparg} jump={jump}: dis.stack_effect {values[i].GetInt32()}, generated {effect?.ToString() ?? "none"}");
                    compared++;
                }
            }
        }
        Assert.True(compared > 1000, $"only {compared} stack effects compared");
        Assert.Equal(table.Opcodes.Length, facts.GetProperty("ops").GetArrayLength());
    }
}
