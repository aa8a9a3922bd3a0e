using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace PyRecon.Syntax;

/// <summary>
/// Python's repr() of str, bytes, int, float and complex, and the source text that evaluates back to a
/// value exactly (repr is not always enough: inf, nan, signed zeros in complex numbers).
/// </summary>
public static class PythonLiterals
{
    /// <summary>The quote repr() picks: ' unless the text has ' and no ".</summary>
    public static char ReprQuote(string text) => text.Contains('\'') && !text.Contains('"') ? '"' : '\'';

    /// <summary>repr(str): quotes as Python picks them, escapes as unicode_repr does.</summary>
    public static string StrRepr(string value)
    {
        char q = ReprQuote(value);
        return q + EscapeStr(value, q) + q;
    }

    /// <summary>The body of a str literal delimited by <paramref name="quote"/> (escaped where it appears;
    /// null escapes no quote, for triple-quoted literals).</summary>
    public static string EscapeStr(string value, char? quote)
    {
        // Most literals are printable ASCII without backslashes or the quote: they are their own body.
        int first = FirstToEscape(value, quote);
        if (first < 0) return value;
        var sb = new StringBuilder(value.Length + 8).Append(value, 0, first);
        for (int i = first; i < value.Length; i++)
        {
            char c = value[i];
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                cp = char.ConvertToUtf32(c, value[++i]);
            AppendStrChar(sb, cp, quote);
        }
        return sb.ToString();
    }

    private static readonly SearchValues<char> s_verbatimExceptQuotes = PrintableAscii(except: "\\'\"");

    /// <summary>Printable ASCII (space to tilde) without <paramref name="except"/>, with <paramref name="also"/>: for
    /// checking at once that a text needs no escape.</summary>
    internal static SearchValues<char> PrintableAscii(string except, string also = "")
    {
        var chars = new StringBuilder(also);
        for (char c = ' '; c <= '~'; c++)
            if (!except.Contains(c)) chars.Append(c);
        return SearchValues.Create(chars.ToString());
    }

    /// <summary>The index of the first char <see cref="AppendStrChar"/> would not copy as it is, or -1.</summary>
    private static int FirstToEscape(string value, char? quote)
    {
        int at = value.AsSpan().IndexOfAnyExcept(s_verbatimExceptQuotes);
        // Quotes are verbatim unless they delimit the literal.
        while (at >= 0 && value[at] is '\'' or '"' && value[at] != quote)
        {
            int next = value.AsSpan(at + 1).IndexOfAnyExcept(s_verbatimExceptQuotes);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return at;
    }

    private static void AppendStrChar(StringBuilder sb, int cp, char? quote)
    {
        switch (cp)
        {
            case '\\': sb.Append("\\\\"); return;
            case '\t': sb.Append("\\t"); return;
            case '\n': sb.Append("\\n"); return;
            case '\r': sb.Append("\\r"); return;
        }
        if (cp == quote) { sb.Append('\\').Append(quote.Value); return; }
        if (cp < 0x20 || cp == 0x7f) { sb.Append("\\x").Append(cp.ToString("x2")); return; }
        if (cp < 0x7f) { sb.Append((char)cp); return; }
        if (!IsPrintable(cp))
        {
            if (cp <= 0xff) sb.Append("\\x").Append(cp.ToString("x2"));
            else if (cp <= 0xffff) sb.Append("\\u").Append(cp.ToString("x4"));
            else sb.Append("\\U").Append(cp.ToString("x8"));
            return;
        }
        sb.Append(char.ConvertFromUtf32(cp));
    }

    /// <summary>str.isprintable() for one code point (by Unicode category, as CPython decides it).</summary>
    public static bool IsPrintable(int cp)
    {
        // ASCII first (the Unicode tables cost far more): space to tilde.
        if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
        if (cp >= 0xd800 && cp <= 0xdfff) return false;
        var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
    }

    /// <summary>True when the str needs a backslash inside a literal with that quote.</summary>
    public static bool NeedsBackslash(string value, char quote) => EscapeStr(value, quote).Contains('\\');

    /// <summary>repr(bytes).</summary>
    public static string BytesRepr(ReadOnlySpan<byte> value)
    {
        bool single = value.Contains((byte)'\''), dbl = value.Contains((byte)'"');
        char q = single && !dbl ? '"' : '\'';
        return "b" + q + EscapeBytes(value, q) + q;
    }

    public static string EscapeBytes(ReadOnlySpan<byte> value, char quote)
    {
        var sb = new StringBuilder(value.Length + 3);
        foreach (byte b in value)
        {
            if (b == '\\') sb.Append("\\\\");
            else if (b == quote) sb.Append('\\').Append(quote);
            else if (b == '\t') sb.Append("\\t");
            else if (b == '\n') sb.Append("\\n");
            else if (b == '\r') sb.Append("\\r");
            else if (b < 0x20 || b >= 0x7f) sb.Append("\\x").Append(b.ToString("x2"));
            else sb.Append((char)b);
        }
        return sb.ToString();
    }

    /// <summary>Python refuses decimal int literals longer than this (sys.int_info.str_digits_check_threshold
    /// is 640, the default limit 4300); longer ones are written in hex, which has no limit.</summary>
    private const int MaxDecimalDigits = 4000;

    /// <summary>Source text of a non-negative int (decimal, or hex when very long).</summary>
    public static string IntLiteral(BigInteger value)
    {
        if (value.Sign < 0) throw new ArgumentOutOfRangeException(nameof(value), "a literal is non-negative; negate it");
        if (value.GetBitLength() < MaxDecimalDigits * 3) return value.ToString(CultureInfo.InvariantCulture);
        var hex = value.ToString("x", CultureInfo.InvariantCulture).TrimStart('0');
        return "0x" + (hex.Length == 0 ? "0" : hex);
    }

    /// <summary>repr(int) (decimal; Python itself refuses beyond 4300 digits, this does not).</summary>
    public static string IntRepr(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>repr(float): shortest round-trip digits, Python's layout (1e+16, 1e-05, 0.0001, inf, nan).</summary>
    public static string FloatRepr(double value) => FormatFloat(value, addDotZero: true);

    private static string FormatFloat(double value, bool addDotZero)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        string sign = value < 0 || (value == 0 && double.IsNegative(value)) ? "-" : "";
        if (value == 0) return sign + (addDotZero ? "0.0" : "0");
        // "R" gives the shortest round-trip digits; re-lay them out as Python's float_repr_style 'short'.
        string shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        (string digits, int exp10) = SplitDigits(shortest);
        int decpt = exp10 + 1; // position of the decimal point relative to the digits
        string body;
        if (decpt <= -4 || decpt > 16)
        {
            string mant = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            int e = decpt - 1;
            body = mant + "e" + (e < 0 ? "-" : "+") + Math.Abs(e).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (decpt <= 0) body = "0." + new string('0', -decpt) + digits;
        else if (decpt >= digits.Length) body = digits + new string('0', decpt - digits.Length) + (addDotZero ? ".0" : "");
        else body = digits[..decpt] + "." + digits[decpt..];
        return sign + body;
    }

    /// <summary>Significant digits (no leading/trailing zeros) and the power of ten of the first digit.</summary>
    private static (string Digits, int Exp10) SplitDigits(string roundTrip)
    {
        int e = 0;
        int ePos = roundTrip.IndexOfAny(['E', 'e']);
        string mantissa = roundTrip;
        if (ePos >= 0)
        {
            e = int.Parse(roundTrip[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mantissa = roundTrip[..ePos];
        }
        int dot = mantissa.IndexOf('.');
        string intPart = dot < 0 ? mantissa : mantissa[..dot];
        string frac = dot < 0 ? "" : mantissa[(dot + 1)..];
        string all = intPart + frac;
        int lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0') lead++;
        string digits = all[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int exp10 = intPart.Length - 1 - lead + e;
        return (digits, exp10);
    }

    /// <summary>repr(complex): <c>1j</c>, <c>(1+2j)</c>, <c>(-0-1j)</c>, <c>infj</c>.</summary>
    public static string ComplexRepr(double real, double imag)
    {
        string im = FormatFloat(imag, addDotZero: false);
        if (real == 0 && !double.IsNegative(real)) return im + "j";
        string re = FormatFloat(real, addDotZero: false);
        string sign = im.StartsWith('-') ? "" : "+";
        return "(" + re + sign + im + "j)";
    }

    /// <summary>An overflowing literal: evaluates to inf (ast.unparse uses the same).</summary>
    public const string Infinity = "1e309";

    /// <summary>inf - inf: a float NaN (its sign bit follows the platform; NaN payloads are not kept).</summary>
    public const string NaN = "(1e309-1e309)";

    /// <summary>A non-negative float as source; null for NaN (the caller writes <see cref="NaN"/>).</summary>
    public static string UnsignedFloatLiteral(double magnitude) =>
        double.IsInfinity(magnitude) ? Infinity : FloatRepr(magnitude);
}
