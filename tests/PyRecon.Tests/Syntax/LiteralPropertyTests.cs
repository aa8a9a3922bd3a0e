using System.Text;
using FsCheck;
using FsCheck.Fluent;
using PyRecon.Model;
using PyRecon.Syntax;
using PyRecon.Tests.Support;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>
/// FsCheck properties: our repr() of str, bytes, float and complex equals CPython 3.13's, for random values
/// (shrunk by FsCheck to a minimal counterexample). Cases per property: PYRECON_SYNTAX_CASES (default 300).
/// </summary>
public sealed class LiteralPropertyTests : IDisposable
{
    private readonly PythonServer _python = new(PythonVersion.V3_13, Python.ToolPath("syntax", "repr.py"));

    public void Dispose() => _python.Dispose();

    private static Config Config => Config.QuickThrowOnFailure.WithMaxTest(SyntaxTestSettings.Cases);

    private string PythonRepr(string json) => Encoding.UTF8.GetString(Convert.FromBase64String(_python.Ask(json)));

    private string PythonAnswer(string json) => _python.Ask(json);

    private static string Bits(double d) => BitConverter.DoubleToInt64Bits(d).ToString("x16");

    // Code points that decide quoting and escaping, plus random BMP and astral ones (lone surrogates included).
    private static readonly Gen<int> CodePoint = Gen.OneOf(
        Gen.Elements('\'', '"', '\\', '\n', '\r', '\t', '\0', '\x7f', '\x80', '\xa0', '\xad', 'a', ' ', '\u2028', '\u200b', '\ufeff', 'é').Select(c => (int)c),
        Gen.Choose(0, 0x2ff),
        Gen.Choose(0xd7f0, 0xe010),
        Gen.Choose(0, 0xffff),
        Gen.Choose(0x10000, 0x10ffff));

    [Fact]
    public void StrReprMatchesPython()
    {
        var arb = Arb.From(Gen.ArrayOf(CodePoint), Shrink);
        Check.One(Config, Prop.ForAll(arb, all =>
        {
            // Code points unassigned in Python's Unicode database (older than .NET's) print differently by
            // version; they are left out here (the stdlib constant test checks that any choice evaluates right).
            var unassigned = PythonAnswer("{\"t\":\"unassigned\",\"v\":[" + string.Join(",", all) + "]}");
            var skip = unassigned.Length == 0 ? [] : unassigned.Split(',').Select(int.Parse).ToHashSet();
            var points = all.Where(p => !skip.Contains(p)).ToArray();
            var sb = new StringBuilder();
            foreach (var cp in points) sb.Append(cp > 0xffff ? char.ConvertFromUtf32(cp) : ((char)cp).ToString());
            // Two code points that are a high and a low surrogate would join into one UTF-16 pair: skip those.
            var text = sb.ToString();
            var json = "{\"t\":\"str\",\"v\":[" + string.Join(",", points) + "]}";
            return Prop.Label(PythonLiterals.StrRepr(text) == PythonRepr(json) || JoinsSurrogates(points), $"ours {PythonLiterals.StrRepr(text)} python {PythonRepr(json)}");
        }));
    }

    [Fact]
    public void IdentifierCheckMatchesPython()
    {
        // Mostly identifier-like strings: letters, digits, underscores, keywords, and odd Unicode.
        var piece = Gen.OneOf(
            Gen.Elements("a", "Z", "_", "0", "9", "if", "None", "é", "ß", "µ", "·", "\u0660", "\u2118", "\u212e", "\u309b", "\u00b7", "\u0387", "\u1369", "\u200c", "\u30fb", "\uff65", "\u0300", "\u00aa", "ǅ", "ʰ", "\u16ee", "\u2160"),
            Gen.Choose(0x80, 0x3000).Select(c => ((char)c).ToString()),
            Gen.Choose(0x10000, 0x1ffff).Select(char.ConvertFromUtf32));
        var arb = Arb.From(Gen.ListOf(piece, 3).Select(p => string.Concat(p)));
        Check.One(Config, Prop.ForAll(arb, text =>
        {
            var points = new List<int>();
            for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1) points.Add(char.ConvertToUtf32(text, i));
            var list = string.Join(",", points);
            if (PythonAnswer("{\"t\":\"unassigned\",\"v\":[" + list + "]}").Length > 0) return Prop.Label(true, "Unicode-version bound");
            var python = PythonAnswer("{\"t\":\"identifier\",\"v\":[" + list + "]}") == "yes";
            // Identifier characters only from 3.13 (Unicode 15.1) are refused on purpose.
            if (points.Skip(1).Any(p => p is 0x200C or 0x200D or 0x30FB or 0xFF65)) python = false;
            return Prop.Label(SyntaxFacts.IsIdentifier(text) == python, $"{PythonLiterals.StrRepr(text)}: Python says {python}");
        }));
    }

    private static bool JoinsSurrogates(int[] points) =>
        points.Zip(points.Skip(1)).Any(p => p.First is >= 0xd800 and < 0xdc00 && p.Second is >= 0xdc00 and < 0xe000);

    private static IEnumerable<int[]> Shrink(int[] items) =>
        Enumerable.Range(0, items.Length).Select(i => items.Take(i).Concat(items.Skip(i + 1)).ToArray());

    [Fact]
    public void BytesReprMatchesPython()
    {
        var arb = Arb.From(Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)));
        Check.One(Config, Prop.ForAll(arb, bytes =>
            PythonLiterals.BytesRepr(bytes) == PythonRepr("{\"t\":\"bytes\",\"v\":\"" + Convert.ToHexString(bytes) + "\"}")));
    }

    // Any bit pattern, plus the values around the repr layout switches (1e16, 1e-4) and integers.
    private static readonly Gen<double> AnyDouble = Gen.OneOf(
        Gen.Choose(int.MinValue, int.MaxValue).Two().Select(t => BitConverter.Int64BitsToDouble(((long)t.Item1 << 32) | (uint)t.Item2)),
        Gen.Elements(0.0, -0.0, 1e16, 9999999999999998.0, 1e-4, 0.00009999999999999999, 1e22, 5e-324, double.MaxValue, double.NaN, double.PositiveInfinity, double.NegativeInfinity),
        Gen.Choose(-1000000, 1000000).Select(i => (double)i),
        Gen.Choose(-300, 300).Select(e => Math.Pow(10, e)));

    [Fact]
    public void FloatReprMatchesPython()
    {
        Check.One(Config, Prop.ForAll(Arb.From(AnyDouble), d =>
        {
            var ours = PythonLiterals.FloatRepr(d);
            var theirs = PythonRepr("{\"t\":\"float\",\"v\":\"" + Bits(d) + "\"}");
            return Prop.Label(ours == theirs, $"{Bits(d)}: ours {ours} python {theirs}");
        }));
    }

    [Fact]
    public void ComplexReprMatchesPython()
    {
        Check.One(Config, Prop.ForAll(Arb.From(AnyDouble.Two()), p =>
        {
            var ours = PythonLiterals.ComplexRepr(p.Item1, p.Item2);
            var theirs = PythonRepr("{\"t\":\"complex\",\"re\":\"" + Bits(p.Item1) + "\",\"im\":\"" + Bits(p.Item2) + "\"}");
            return Prop.Label(ours == theirs, $"ours {ours} python {theirs}");
        }));
    }
}
