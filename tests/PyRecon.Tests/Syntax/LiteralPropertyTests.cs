using System.Text;
using CsCheck;
using PyRecon.Model;
using PyRecon.Syntax;
using PyRecon.Tests.Support;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>
/// CsCheck properties: our repr() of str, bytes, float and complex equals CPython 3.13's, and our identifier
/// check CPython's, for random values. Cases per property: PYRECON_SYNTAX_CASES (default 300). A failure is shrunk
/// within those cases and prints its seed: <c>CsCheck_Seed=SEED dotnet test --filter ...</c> replays it (with more
/// cases, shrinking goes on from there).
/// </summary>
public sealed class LiteralPropertyTests : IDisposable
{
    private readonly PythonServer _python = new(PythonVersion.V3_13, Python.ToolPath("syntax", "repr.py"));

    public void Dispose() => _python.Dispose();

    /// <summary>Runs a property for PYRECON_SYNTAX_CASES cases on one thread (the server answers one request at a time).</summary>
    private static void Property<T>(Gen<T> gen, Action<T> property, Func<T, string>? print = null) =>
        gen.Sample(property, iter: SyntaxTestSettings.Cases, threads: 1, print: print);

    private string PythonRepr(string json) => Encoding.UTF8.GetString(Convert.FromBase64String(_python.Ask(json)));

    private string PythonAnswer(string json) => _python.Ask(json);

    private static string Bits(double d) => BitConverter.DoubleToInt64Bits(d).ToString("x16");

    // Code points that decide quoting and escaping, plus random BMP and astral ones (lone surrogates included).
    private static readonly Gen<int> CodePoint = Gen.OneOf(
        Gen.OneOf('\'', '"', '\\', '\n', '\r', '\t', '\0', '\x7f', '\x80', '\xa0', '\xad', 'a', ' ', '\u2028', '\u200b', '\ufeff', 'é').Select(c => (int)c),
        Gen.Int[0, 0x2ff],
        Gen.Int[0xd7f0, 0xe010],
        Gen.Int[0, 0xffff],
        Gen.Int[0x10000, 0x10ffff]);

    /// <summary>Random arrays have 0 to this many elements.</summary>
    private const int MaxLength = 100;

    [Fact]
    public void StrReprMatchesPython()
    {
        Property(CodePoint.Array[0, MaxLength], all =>
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
            var ours = PythonLiterals.StrRepr(text);
            var python = PythonRepr(json);
            if (ours != python && !JoinsSurrogates(points)) Assert.Fail($"ours {ours} python {python}");
        }, CodePoints);
    }

    [Fact]
    public void IdentifierCheckMatchesPython()
    {
        // Mostly identifier-like strings: letters, digits, underscores, keywords, and odd Unicode.
        var piece = Gen.OneOf(
            Gen.OneOf("a", "Z", "_", "0", "9", "if", "None", "é", "ß", "µ", "·", "\u0660", "\u2118", "\u212e", "\u309b", "\u00b7", "\u0387", "\u1369", "\u200c", "\u30fb", "\uff65", "\u0300", "\u00aa", "ǅ", "ʰ", "\u16ee", "\u2160"),
            Gen.Int[0x80, 0x3000].Select(c => ((char)c).ToString()),
            Gen.Int[0x10000, 0x1ffff].Select(char.ConvertFromUtf32));
        Property(piece.Array[3].Select(p => string.Concat(p)), text =>
        {
            var points = new List<int>();
            for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1) points.Add(char.ConvertToUtf32(text, i));
            var list = string.Join(",", points);
            if (PythonAnswer("{\"t\":\"unassigned\",\"v\":[" + list + "]}").Length > 0) return; // Unicode-version bound
            var python = PythonAnswer("{\"t\":\"identifier\",\"v\":[" + list + "]}") == "yes";
            // Identifier characters only from 3.13 (Unicode 15.1) are refused on purpose.
            if (points.Skip(1).Any(p => p is 0x200C or 0x200D or 0x30FB or 0xFF65)) python = false;
            if (SyntaxFacts.IsIdentifier(text) != python) Assert.Fail($"{PythonLiterals.StrRepr(text)}: Python says {python}");
        }, PythonLiterals.StrRepr);
    }

    private static bool JoinsSurrogates(int[] points) =>
        points.Zip(points.Skip(1)).Any(p => p.First is >= 0xd800 and < 0xdc00 && p.Second is >= 0xdc00 and < 0xe000);

    private static string CodePoints(int[] points) => "[" + string.Join(", ", points.Select(p => $"0x{p:x}")) + "]";

    [Fact]
    public void BytesReprMatchesPython()
    {
        Property(Gen.Byte.Array[0, MaxLength], bytes =>
        {
            var ours = PythonLiterals.BytesRepr(bytes);
            var python = PythonRepr("{\"t\":\"bytes\",\"v\":\"" + Convert.ToHexString(bytes) + "\"}");
            if (ours != python) Assert.Fail($"ours {ours} python {python}");
        }, Convert.ToHexString);
    }

    // Any bit pattern, plus the values around the repr layout switches (1e16, 1e-4) and integers.
    private static readonly Gen<double> AnyDouble = Gen.OneOf(
        Gen.Long.Uniform.Select(BitConverter.Int64BitsToDouble),
        Gen.OneOf(0.0, -0.0, 1e16, 9999999999999998.0, 1e-4, 0.00009999999999999999, 1e22, 5e-324, double.MaxValue, double.NaN, double.PositiveInfinity, double.NegativeInfinity),
        Gen.Int[-1000000, 1000000].Select(i => (double)i),
        Gen.Int[-300, 300].Select(e => Math.Pow(10, e)));

    [Fact]
    public void FloatReprMatchesPython()
    {
        Property(AnyDouble, d =>
        {
            var ours = PythonLiterals.FloatRepr(d);
            var theirs = PythonRepr("{\"t\":\"float\",\"v\":\"" + Bits(d) + "\"}");
            if (ours != theirs) Assert.Fail($"{Bits(d)}: ours {ours} python {theirs}");
        }, Bits);
    }

    [Fact]
    public void ComplexReprMatchesPython()
    {
        Property(Gen.Select(AnyDouble, AnyDouble), p =>
        {
            var ours = PythonLiterals.ComplexRepr(p.Item1, p.Item2);
            var theirs = PythonRepr("{\"t\":\"complex\",\"re\":\"" + Bits(p.Item1) + "\",\"im\":\"" + Bits(p.Item2) + "\"}");
            if (ours != theirs) Assert.Fail($"ours {ours} python {theirs}");
        }, p => $"{Bits(p.Item1)} {Bits(p.Item2)}");
    }
}
