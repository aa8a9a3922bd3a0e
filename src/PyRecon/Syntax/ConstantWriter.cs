using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>
/// Source text for constant values, choosing text that evaluates back to the identical value:
/// negative numbers as unary minus, inf as 1e309, nan as (1e309-1e309), complex numbers by arithmetic that
/// keeps signed zeros (falling back to <c>complex(re, im)</c> where no literal arithmetic can), tuples as
/// tuple displays and frozensets as <c>frozenset({...})</c> (both only arise from constant folding).
/// </summary>
internal sealed class ConstantWriter(QuoteRules rules)
{
    public (string Text, Precedence Level) Write(PyObject value, string? kind = null) => value switch
    {
        PyNone => ("None", Precedence.Atom),
        PyBool b => (b.Value ? "True" : "False", Precedence.Atom),
        PyEllipsis => ("...", Precedence.Atom),
        PyInt i => i.Value.Sign < 0
            ? ("-" + PythonLiterals.IntLiteral(-i.Value), Precedence.Factor)
            : (PythonLiterals.IntLiteral(i.Value), Precedence.Atom),
        PyFloat f => Float(f.Value),
        PyComplex c => Complex(c.Real, c.Imag),
        PyStr s => ((kind == "u" ? "u" : "") + Str(s.Value), Precedence.Atom),
        PyBytes b => (Bytes(b.Value.AsSpan()), Precedence.Atom),
        PyTuple t => (Tuple(t), Precedence.Atom),
        PyFrozenSet s => (s.Items.Length == 0 ? "frozenset()" : "frozenset({" + Items(s.Items) + "})", Precedence.Atom),
        _ => throw new SyntaxNotSupportedException($"a {value.TypeName} value cannot be written as a constant"),
    };

    private string Items(IEnumerable<PyObject> items) => string.Join(", ", items.Select(i => Write(i).Text));

    private string Tuple(PyTuple t) => t.Items.Length == 1 ? "(" + Write(t.Items[0]).Text + ",)" : "(" + Items(t.Items) + ")";

    public static (string, Precedence) Float(double v)
    {
        if (double.IsNaN(v)) return (PythonLiterals.NaN, Precedence.Atom);
        if (double.IsNegative(v)) return ("-" + PythonLiterals.UnsignedFloatLiteral(-v), Precedence.Factor);
        return (PythonLiterals.UnsignedFloatLiteral(v), Precedence.Atom);
    }

    private static string Imag(double magnitude)
    {
        if (double.IsInfinity(magnitude)) return PythonLiterals.Infinity + "j";
        var text = PythonLiterals.FloatRepr(magnitude);
        return (text.EndsWith(".0", StringComparison.Ordinal) ? text[..^2] : text) + "j";
    }

    private static (string, Precedence) Complex(double re, double im)
    {
        if (!double.IsNaN(re) && !double.IsNaN(im))
        {
            bool reNeg = double.IsNegative(re), imNeg = double.IsNegative(im);
            string imText = Imag(Math.Abs(im));
            if (re == 0 && !reNeg && !imNeg) return (imText, Precedence.Atom);           // 1j = complex(0.0, 1.0)
            if (re == 0 && reNeg && imNeg) return ("-" + imText, Precedence.Factor);      // -1j = complex(-0.0, -1.0)
            if (re == 0 && !reNeg && im != 0) return ("(0-" + imText + ")", Precedence.Atom);
            if (re != 0 && !imNeg) return ("(" + Float(re).Item1 + "+" + imText + ")", Precedence.Atom);
            if (re != 0 && im != 0) return ("(" + Float(re).Item1 + "-" + imText + ")", Precedence.Atom);
        }
        // Signed zeros next to a non-zero part, and NaNs, have no literal arithmetic that keeps them.
        return ("complex(" + Float(re).Item1 + ", " + Float(im).Item1 + ")", Precedence.Atom);
    }

    /// <summary>The quote a literal tries first (repr's) and then the other one.</summary>
    private static char QuoteToTry(char preferred, int attempt) => attempt == 0 ? preferred : preferred == '\'' ? '"' : '\'';

    /// <summary>A str literal obeying the quote rules; repr's choice of quote when it is free.</summary>
    public string Str(string value)
    {
        char preferred = PythonLiterals.ReprQuote(value);
        for (int k = 0; k < 2; k++)
        {
            char q = QuoteToTry(preferred, k);
            var literal = q + PythonLiterals.EscapeStr(value, q) + q;
            if (rules.Allows(q.ToString()) && rules.Permits(literal)) return literal;
        }
        // Inside a replacement field before 3.12 a triple-quoted literal can hold both quote characters.
        var body = PythonLiterals.EscapeStr(value, null);
        foreach (var q3 in new[] { "'''", "\"\"\"" })
        {
            if (body.Contains(q3, StringComparison.Ordinal) || body.EndsWith(q3[0])) continue; // it would end early
            var tripleQuoted = q3 + body + q3;
            if (rules.Allows(q3) && rules.Permits(tripleQuoted)) return tripleQuoted;
        }
        throw new SyntaxNotSupportedException($"cannot write {PythonLiterals.StrRepr(value)} inside an f-string replacement field before Python 3.12 (no usable quote without backslashes)");
    }

    public string Bytes(ReadOnlySpan<byte> value)
    {
        var repr = PythonLiterals.BytesRepr(value);
        char preferred = repr[1];
        for (int k = 0; k < 2; k++)
        {
            char q = QuoteToTry(preferred, k);
            var literal = "b" + q + PythonLiterals.EscapeBytes(value, q) + q;
            if (rules.Allows(q.ToString()) && rules.Permits(literal)) return literal;
        }
        throw new SyntaxNotSupportedException($"cannot write {repr} inside an f-string replacement field before Python 3.12");
    }
}
