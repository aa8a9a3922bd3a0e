using System.Globalization;
using System.Text;

namespace PyRecon.Model;

/// <summary>
/// Python's <c>repr()</c> of marshal values, character for character (Objects/unicodeobject.c,
/// bytesobject.c, floatobject.c via PyOS_double_to_string, complexobject.c). Printability of non-ASCII
/// characters follows .NET's Unicode tables, which can differ from an interpreter's for characters
/// assigned in between.
/// </summary>
public static class PyRepr
{
    public static string Repr(PyObject value) => value switch
    {
        PyNone => "None",
        PyBool b => b.Value ? "True" : "False",
        PyEllipsis => "Ellipsis",
        PyStopIteration => "<class 'StopIteration'>",
        PyInt i => i.Value.ToString(CultureInfo.InvariantCulture),
        PyFloat f => Float(f.Value),
        PyComplex c => Complex(c.Real, c.Imag),
        PyStr s => Str(s.Value),
        PyBytes b => Bytes(b.Value.AsSpan()),
        PyTuple t => t.Items.Length == 1 ? $"({Repr(t.Items[0])},)" : $"({string.Join(", ", t.Items.Select(Repr))})",
        PyList l => $"[{string.Join(", ", l.Items.Select(Repr))}]",
        PySet s => s.Items.Length == 0 ? "set()" : $"{{{string.Join(", ", s.Items.Select(Repr))}}}",
        PyFrozenSet s => s.Items.Length == 0 ? "frozenset()" : $"frozenset({{{string.Join(", ", s.Items.Select(Repr))}}})",
        PyDict d => $"{{{string.Join(", ", d.Entries.Select(e => Repr(e.Key) + ": " + Repr(e.Value)))}}}",
        PySlice s => $"slice({Repr(s.Start)}, {Repr(s.Stop)}, {Repr(s.Step)})",
        PyCode c => $"<code object {c.Code.Name} at 0x0, file \"{c.Code.FileName}\", line {c.Code.FirstLineNo}>",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value.GetType().Name),
    };

    /// <summary><c>repr(float)</c>: shortest round-trip digits, exponent form outside 1e-4 &lt;= |x| &lt; 1e16.</summary>
    public static string Float(double value) => FormatDouble(value, addDotZero: true, forceSign: false);

    /// <summary><c>repr(complex)</c>.</summary>
    public static string Complex(double real, double imag)
    {
        if (real == 0 && !double.IsNegative(real))
            return FormatDouble(imag, addDotZero: false, forceSign: false) + "j";
        return "(" + FormatDouble(real, addDotZero: false, forceSign: false) + FormatDouble(imag, addDotZero: false, forceSign: true) + "j)";
    }

    /// <summary>PyOS_double_to_string(x, 'r', 0, flags): the 'r' (repr) format code.</summary>
    public static string FormatDouble(double value, bool addDotZero, bool forceSign)
    {
        string sign = double.IsNegative(value) ? "-" : forceSign ? "+" : "";
        if (double.IsNaN(value)) return (forceSign ? "+" : "") + "nan"; // CPython never prints -nan
        if (double.IsInfinity(value)) return sign + "inf";
        if (value == 0) return sign + (addDotZero ? "0.0" : "0");
        var (digits, decimalPoint) = ShortestDigits(Math.Abs(value));
        var sb = new StringBuilder(sign);
        if (decimalPoint <= -4 || decimalPoint > 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            int exponent = decimalPoint - 1;
            sb.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (decimalPoint <= 0)
        {
            sb.Append("0.").Append('0', -decimalPoint).Append(digits);
        }
        else if (decimalPoint >= digits.Length)
        {
            sb.Append(digits).Append('0', decimalPoint - digits.Length);
            if (addDotZero) sb.Append(".0");
        }
        else
        {
            sb.Append(digits, 0, decimalPoint).Append('.').Append(digits, decimalPoint, digits.Length - decimalPoint);
        }
        return sb.ToString();
    }

    /// <summary>Shortest round-trip significant digits and the decimal point position (0.d1d2.. x 10^point).</summary>
    private static (string Digits, int DecimalPoint) ShortestDigits(double positive)
    {
        // .NET Core's "R" is the shortest round-trippable text, e.g. "1.5E-05" or "123.25".
        string r = positive.ToString("R", CultureInfo.InvariantCulture);
        int exponent = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int dot = r.IndexOf('.');
        string intPart = dot >= 0 ? r[..dot] : r;
        string fracPart = dot >= 0 ? r[(dot + 1)..] : "";
        string all = intPart + fracPart;
        int point = intPart.Length + exponent;
        int lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0') { lead++; point--; }
        all = all[lead..].TrimEnd('0');
        if (all.Length == 0) all = "0";
        return (all, point);
    }

    /// <summary><c>repr(str)</c>.</summary>
    public static string Str(string value)
    {
        char quote = value.Contains('\'') && !value.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(value.Length + 2).Append(quote);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                cp = char.ConvertToUtf32(c, value[i + 1]);
                i++;
            }
            if (cp == quote || cp == '\\') sb.Append('\\').Append((char)cp);
            else if (cp == '\t') sb.Append("\\t");
            else if (cp == '\n') sb.Append("\\n");
            else if (cp == '\r') sb.Append("\\r");
            else if (cp < ' ' || cp == 0x7f) sb.Append("\\x").Append(cp.ToString("x2", CultureInfo.InvariantCulture));
            else if (cp < 0x7f) sb.Append((char)cp);
            else if (IsPrintable(cp)) sb.Append(char.ConvertFromUtf32(cp));
            else if (cp <= 0xff) sb.Append("\\x").Append(cp.ToString("x2", CultureInfo.InvariantCulture));
            else if (cp <= 0xffff) sb.Append("\\u").Append(cp.ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
        }
        return sb.Append(quote).ToString();
    }

    /// <summary>str.isprintable for one code point: everything but categories Cc Cf Cs Co Cn Zl Zp Zs (space excepted).</summary>
    public static bool IsPrintable(int codePoint)
    {
        if (codePoint == ' ') return true;
        if (codePoint >= 0xD800 && codePoint <= 0xDFFF) return false;
        var category = CharUnicodeInfo.GetUnicodeCategory(codePoint);
        return category is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
    }

    /// <summary><c>repr(bytes)</c>.</summary>
    public static string Bytes(ReadOnlySpan<byte> value)
    {
        char quote = value.Contains((byte)'\'') && !value.Contains((byte)'"') ? '"' : '\'';
        var sb = new StringBuilder(value.Length + 3).Append('b').Append(quote);
        foreach (byte b in value)
        {
            if (b == quote || b == '\\') sb.Append('\\').Append((char)b);
            else if (b == '\t') sb.Append("\\t");
            else if (b == '\n') sb.Append("\\n");
            else if (b == '\r') sb.Append("\\r");
            else if (b < ' ' || b >= 0x7f) sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append((char)b);
        }
        return sb.Append(quote).ToString();
    }
}

/// <summary>Parses Python's float text (marshal's old 'f'/'x' codes): decimal, exponent, inf, nan.</summary>
public static class PyFloatParser
{
    public static bool TryParse(string text, out double value)
    {
        var t = text.Trim().ToLowerInvariant();
        switch (t)
        {
            case "inf" or "+inf" or "infinity" or "+infinity": value = double.PositiveInfinity; return true;
            case "-inf" or "-infinity": value = double.NegativeInfinity; return true;
            case "nan" or "+nan" or "-nan": value = double.NaN; return true;
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
