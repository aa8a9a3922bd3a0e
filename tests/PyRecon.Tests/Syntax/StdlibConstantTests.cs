using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using PyRecon.Model;
using PyRecon.Syntax;
using PyRecon.Tests.Support;
using Xunit.Abstractions;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>
/// Every distinct constant in the code objects of CPython 3.12's standard library, formatted as a Constant
/// expression, evaluates (in 3.12) to a value of the same type that is identical: floats bit for bit
/// (NaN as NaN), str code point for code point, containers recursively. PYRECON_STDLIB_CONSTANTS=N checks
/// only every k-th constant so that about N are checked (default: all).
/// </summary>
public sealed class StdlibConstantTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryStdlibConstantFormatsToTextThatEvaluatesToIt()
    {
        var v = PythonVersion.V3_12;
        Python.Require(v);
        var dir = Directory.CreateTempSubdirectory("pyrecon-constants-");
        try
        {
            var collected = Path.Combine(dir.FullName, "constants.jsonl");
            var (exit, stdout, stderr) = Python.RunScript(v, Python.ToolPath("syntax", "stdlib_constants.py"), [collected]);
            Assert.True(exit == 0, stderr);
            output.WriteLine(stdout.Trim());

            var lines = File.ReadAllLines(collected);
            int stride = int.TryParse(Environment.GetEnvironmentVariable("PYRECON_STDLIB_CONSTANTS"), out var n) && n > 0 ? Math.Max(1, lines.Length / n) : 1;
            var cases = Path.Combine(dir.FullName, "cases.jsonl");
            int count = 0;
            var kinds = new Dictionary<string, int>();
            using (var writer = new StreamWriter(cases, false, new UTF8Encoding(false)))
            {
                for (int i = 0; i < lines.Length; i += stride)
                {
                    using var doc = JsonDocument.Parse(lines[i]);
                    var value = Decode(doc.RootElement);
                    kinds[value.TypeName] = kinds.GetValueOrDefault(value.TypeName) + 1;
                    var text = PythonFormatter.FormatExpression(SyntaxFactory.Constant(value), v);
                    writer.Write("{\"text\":");
                    writer.Write(JsonSerializer.Serialize(text));
                    writer.Write(",\"expect\":");
                    writer.Write(lines[i]);
                    writer.Write("}\n");
                    count++;
                }
                // Values the stdlib lacks but a decompiler meets: write their encoding from C#.
                foreach (var value in EdgeValues)
                {
                    writer.Write("{\"text\":" + JsonSerializer.Serialize(PythonFormatter.FormatExpression(SyntaxFactory.Constant(value), v)));
                    writer.Write(",\"expect\":" + Encode(value) + "}\n");
                    count++;
                }
            }
            (exit, stdout, stderr) = Python.RunScript(v, Python.ToolPath("syntax", "eval_constants.py"), [cases]);
            Assert.True(exit == 0, stderr);
            using var result = JsonDocument.Parse(stdout.Trim().Split('\n').Last());
            int checkedCount = result.RootElement.GetProperty("checked").GetInt32();
            output.WriteLine($"{checkedCount} checked ({lines.Length} stdlib constants, {EdgeValues.Length} edge values): " + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
            Assert.Equal(count, checkedCount);
            Assert.True(lines.Length > 10000, $"only {lines.Length} constants collected");
            Assert.True(result.RootElement.GetProperty("failed").GetInt32() == 0, result.RootElement.GetProperty("failures").ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static readonly PyObject[] EdgeValues =
    [
        new PyFloat(double.PositiveInfinity), new PyFloat(double.NegativeInfinity), new PyFloat(double.NaN), new PyFloat(-0.0),
        new PyFloat(double.Epsilon), new PyFloat(-double.MaxValue), new PyFloat(1e16), new PyFloat(1e-5), new PyFloat(123e-310),
        new PyComplex(0, 1), new PyComplex(-0.0, -1), new PyComplex(0, -1), new PyComplex(1.5, -0.0), new PyComplex(-0.0, 0),
        new PyComplex(-0.0, 2), new PyComplex(double.PositiveInfinity, double.NegativeInfinity), new PyComplex(double.NaN, 0),
        new PyComplex(-2, 3), new PyComplex(0, double.PositiveInfinity), new PyComplex(0, -0.0),
        new PyInt(-5), new PyInt(BigInteger.Pow(2, 20000) + 1), new PyInt(-BigInteger.Pow(10, 5000)),
        new PyStr("\ud800\udfff\udc00x\u2028\u00a0\U0001F600'\"\\\0\x7f\x80"), new PyStr("'"), new PyStr("'\""), new PyStr(""),
        new PyBytes([0, 39, 34, 92, 127, 128, 255]),
        new PyTuple([new PyFloat(-0.0), new PyTuple([new PyInt(-1)]), PyTuple.Empty, new PyFrozenSet([new PyFrozenSet([]), new PyInt(1)])]),
        new PyFrozenSet([]), new PyTuple([new PyComplex(-0.0, -1)]),
    ];

    /// <summary>The encoding of constants_codec.py, for values made in C#.</summary>
    private static string Encode(PyObject value)
    {
        static string F(double d) => double.IsNaN(d) ? "nan" : Convert.ToHexString(BitConverter.GetBytes(BitConverter.DoubleToInt64Bits(d)).Reverse().ToArray()).ToLowerInvariant();
        static string H(BigInteger i) => (i.Sign < 0 ? "-0x" : "0x") + BigInteger.Abs(i).ToString("x").TrimStart('0').PadLeft(1, '0');
        return value switch
        {
            PyInt i => $"{{\"t\": \"int\", \"v\": \"{H(i.Value)}\"}}",
            PyFloat f => $"{{\"t\": \"float\", \"v\": \"{F(f.Value)}\"}}",
            PyComplex c => $"{{\"t\": \"complex\", \"re\": \"{F(c.Real)}\", \"im\": \"{F(c.Imag)}\"}}",
            PyStr s => "{\"t\": \"str\", \"v\": [" + string.Join(", ", s.Value.Select(ch => (int)ch).Aggregate(new List<int>(), (acc, u) =>
            {
                // UTF-16 pairs are one code point, lone surrogates their own.
                if (acc.Count > 0 && char.IsLowSurrogate((char)u) && char.IsHighSurrogate((char)acc[^1])) acc[^1] = char.ConvertToUtf32((char)acc[^1], (char)u);
                else acc.Add(u);
                return acc;
            })) + "]}",
            PyBytes b => $"{{\"t\": \"bytes\", \"v\": \"{Convert.ToHexString(b.Value.AsSpan()).ToLowerInvariant()}\"}}",
            PyTuple t => "{\"t\": \"tuple\", \"v\": [" + string.Join(", ", t.Items.Select(Encode)) + "]}",
            PyFrozenSet fs => "{\"t\": \"frozenset\", \"v\": [" + string.Join(", ", fs.Items.Select(Encode)) + "]}",
            _ => throw new ArgumentException(value.TypeName),
        };
    }

    /// <summary>The JSON encoding of tools/syntax/constants_codec.py back to a PyObject.</summary>
    private static PyObject Decode(JsonElement e)
    {
        var v = e.TryGetProperty("v", out var value) ? value : default;
        return e.GetProperty("t").GetString() switch
        {
            "none" => PyNone.Instance,
            "ellipsis" => PyEllipsis.Instance,
            "bool" => v.GetBoolean() ? PyBool.True : PyBool.False,
            "int" => new PyInt(Hex(v.GetString()!)),
            "float" => new PyFloat(Bits(v.GetString()!)),
            "complex" => new PyComplex(Bits(e.GetProperty("re").GetString()!), Bits(e.GetProperty("im").GetString()!)),
            "str" => new PyStr(CodePoints(v)),
            "bytes" => new PyBytes([.. Convert.FromHexString(v.GetString()!)]),
            "tuple" => new PyTuple([.. v.EnumerateArray().Select(Decode)]),
            "frozenset" => new PyFrozenSet([.. v.EnumerateArray().Select(Decode)]),
            var t => throw new InvalidDataException("unknown constant kind " + t),
        };
    }

    private static BigInteger Hex(string text)
    {
        bool negative = text.StartsWith('-');
        var digits = text[(negative ? 3 : 2)..];
        var magnitude = BigInteger.Parse("0" + digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return negative ? -magnitude : magnitude;
    }

    private static double Bits(string text) =>
        text == "nan" ? double.NaN : BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Convert.FromHexString(text)));

    private static string CodePoints(JsonElement points)
    {
        var sb = new StringBuilder();
        foreach (var p in points.EnumerateArray())
        {
            int cp = p.GetInt32();
            if (cp > 0xffff) sb.Append(char.ConvertFromUtf32(cp));
            else sb.Append((char)cp); // lone surrogates stay lone UTF-16 code units
        }
        return sb.ToString();
    }
}
