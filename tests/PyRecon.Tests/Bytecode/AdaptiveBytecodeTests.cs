using System.Text.Json;
using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Tests.Bytecode;

/// <summary>
/// Quickened bytecode (<c>_co_code_adaptive</c> of warmed-up functions, captured from 3.11-3.14 into
/// Fixtures/adaptive-3.X.json by Fixtures/capture_adaptive.sh) decodes to the same instructions as co_code:
/// specialized opcodes map to their family base, and the (different) inline cache contents are skipped.
/// Fixtures/instrumented-3.X.json hold the same with sys.monitoring events on (INSTRUMENTED_* opcodes).
/// Needs no interpreter.
/// </summary>
public class AdaptiveBytecodeTests
{
    public static TheoryData<string> Versions => new("3.11", "3.12", "3.13", "3.14");

    [Theory]
    [MemberData(nameof(Versions))]
    public void QuickenedBytecodeDecodesLikeCoCode(string versionText)
    {
        var seen = DecodeBoth($"adaptive-{versionText}.json", versionText);
        // The fixtures must really be quickened, or this test proves nothing.
        Assert.True(seen.Specialized > 50, $"{versionText}: only {seen.Specialized} specialized instructions in the fixture");
        Assert.True(seen.SpecializedNames.Count > 15, $"{versionText}: only {string.Join(", ", seen.SpecializedNames)}");
        Assert.True(seen.CachesDiffer > 10, $"{versionText}: inline caches should differ in adaptive code ({seen.CachesDiffer})");
    }

    public static TheoryData<string> MonitoredVersions => new("3.12", "3.13", "3.14");

    /// <summary>With sys.monitoring events on, the code holds INSTRUMENTED_* opcodes; they decode to their base.</summary>
    [Theory]
    [MemberData(nameof(MonitoredVersions))]
    public void InstrumentedBytecodeDecodesLikeCoCode(string versionText)
    {
        var seen = DecodeBoth($"instrumented-{versionText}.json", versionText);
        Assert.True(seen.Instrumented > 20, $"{versionText}: only {seen.Instrumented} instrumented instructions in the fixture");
        Assert.True(seen.InstrumentedNames.Count >= 6, $"{versionText}: only {string.Join(", ", seen.InstrumentedNames)}");
    }

    private sealed class Seen
    {
        public int Specialized, Instrumented, CachesDiffer, Instructions;
        public HashSet<string> SpecializedNames { get; } = [];
        public HashSet<string> InstrumentedNames { get; } = [];
    }

    private static Seen DecodeBoth(string fixture, string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var root = JsonDocument.Parse(File.ReadAllText(CodeJson.Fixture(fixture))).RootElement;
        Assert.Equal(versionText, root.GetProperty("version").GetString());
        var seen = new Seen();
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
                if (q.RawOpcode.IsInstrumented) { seen.Instrumented++; seen.InstrumentedNames.Add(q.RawOpcode.Name); }
                else if (q.IsSpecialized) { seen.Specialized++; seen.SpecializedNames.Add(q.RawOpcode.Name); }
                if (q.CacheCount > 0 && !code.Code.AsSpan(q.CacheOffset, 2 * q.CacheCount).SequenceEqual(adaptiveBytes.AsSpan(q.CacheOffset, 2 * q.CacheCount))) seen.CachesDiffer++;
                seen.Instructions++;
            }
        }
        Assert.True(seen.Instructions > 300);
        return seen;
    }
}
