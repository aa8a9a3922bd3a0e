using System.Text.Json;
using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Tests.Bytecode;

/// <summary>
/// Quickened bytecode (<c>_co_code_adaptive</c> of warmed-up functions, captured from 3.11-3.14 into
/// Fixtures/adaptive-3.X.json by Fixtures/capture_adaptive.sh) decodes to the same instructions as co_code:
/// specialized opcodes map to their family base, and the (different) inline cache contents are skipped.
/// Needs no interpreter.
/// </summary>
public class AdaptiveBytecodeTests
{
    public static TheoryData<string> Versions => new("3.11", "3.12", "3.13", "3.14");

    [Theory]
    [MemberData(nameof(Versions))]
    public void QuickenedBytecodeDecodesLikeCoCode(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var root = JsonDocument.Parse(File.ReadAllText(CodeJson.Fixture($"adaptive-{version}.json"))).RootElement;
        Assert.Equal(versionText, root.GetProperty("version").GetString());
        int specialized = 0, cachesDiffer = 0, instructions = 0;
        var specializedNames = new HashSet<string>();
        foreach (var fn in root.GetProperty("functions").EnumerateArray())
        {
            var code = CodeJson.ToCode(version, fn);
            var adaptiveBytes = CodeJson.Hex(fn.GetProperty("adaptive").GetString()!);
            Assert.Equal(code.Code.Length, adaptiveBytes.Length);
            var plain = Decoder.Decode(code);
            var quick = Decoder.Decode(code, adaptiveBytes);
            Assert.Equal(plain.Length, quick.Length);
            for (int i = 0; i < plain.Length; i++)
            {
                var (p, q) = (plain[i], quick[i]);
                var at = $"{version} {code.Name} @{p.Offset}: {p.RawOpcode.Name} vs {q.RawOpcode.Name}";
                Assert.True(p.Offset == q.Offset && p.StartOffset == q.StartOffset, at);
                Assert.True(ReferenceEquals(p.Opcode, q.Opcode), at);
                Assert.True(p.Arg == q.Arg, $"{at}: arg {p.Arg} vs {q.Arg}");
                Assert.True(p.Argument.GetType() == q.Argument.GetType() && p.Argument.ToString() == q.Argument.ToString(), $"{at}: {p.Argument} vs {q.Argument}");
                Assert.Equal(p.CacheCount, q.CacheCount);
                Assert.False(p.IsSpecialized, at);
                if (q.IsSpecialized) { specialized++; specializedNames.Add(q.RawOpcode.Name); }
                if (q.CacheCount > 0 && !code.Code.AsSpan(q.CacheOffset, 2 * q.CacheCount).SequenceEqual(adaptiveBytes.AsSpan(q.CacheOffset, 2 * q.CacheCount))) cachesDiffer++;
                instructions++;
            }
        }
        // The fixtures must really be quickened, or this test proves nothing.
        Assert.True(specialized > 50, $"{version}: only {specialized} specialized instructions in the fixture");
        Assert.True(specializedNames.Count > 15, $"{version}: only {string.Join(", ", specializedNames)}");
        Assert.True(cachesDiffer > 10, $"{version}: inline caches should differ in adaptive code ({cachesDiffer})");
        Assert.True(instructions > 300);
    }
}
