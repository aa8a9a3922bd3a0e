using System.Text;
using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>
/// Writes f-strings (JoinedStr) and t-strings (TemplateStr). From 3.12 (PEP 701) replacement fields may
/// reuse the enclosing quote and hold backslashes, so the quote is simply repr's choice for the literal
/// parts. Before 3.12 a quote (', ", ''', """) is searched for such that no field contains its character
/// or a backslash; when none works the tree cannot be written for that target and this throws.
/// </summary>
internal sealed class FStringWriter(PythonVersion target, QuoteRules rules)
{
    private static readonly string[] Quotes = ["'", "\"", "'''", "\"\"\""];

    public string Write(string prefix, IReadOnlyList<ExprNode> values)
    {
        var literalText = string.Concat(values.OfType<Constant>().Select(c => (c.Value as PyStr)?.Value));
        char preferred = PythonLiterals.ReprQuote(literalText);
        if (target >= PythonVersion.V3_12)
            return prefix + preferred + Body(values, preferred.ToString(), QuoteRules.Free, QuoteRules.Free) + preferred;

        var candidates = Quotes.OrderBy(q => q[0] == preferred ? 0 : 1).ThenBy(q => q.Length).Where(rules.Allows);
        SyntaxNotSupportedException? last = null;
        foreach (var quote in candidates)
        {
            try
            {
                if (quote.Length == 3 && TripleBody(values, quote) is { } bare) return prefix + quote + bare + quote;
                return prefix + quote + Body(values, quote, rules, rules.InsideField(quote)) + quote;
            }
            catch (SyntaxNotSupportedException e)
            {
                last = e;
            }
        }
        throw new SyntaxNotSupportedException($"cannot write this {prefix}-string for Python {target}: every quote is used inside a replacement field or needs a backslash there ({last?.Message ?? "no quote left"})");
    }

    /// <summary>Triple quotes need no escaped quote characters in literal parts, unless the text would then
    /// contain the closing sequence or end with its character; null when that happens or nothing fits.</summary>
    private string? TripleBody(IReadOnlyList<ExprNode> values, string quote)
    {
        try
        {
            var body = Body(values, quote, rules, rules.InsideField(quote), escapeQuotes: false);
            return body.Contains(quote, StringComparison.Ordinal) || body.EndsWith(quote[0]) ? null : body;
        }
        catch (SyntaxNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The text between the quotes; <paramref name="literalRules"/> apply to literal parts,
    /// <paramref name="fieldRules"/> to the expressions inside replacement fields.</summary>
    private string Body(IReadOnlyList<ExprNode> values, string quote, QuoteRules literalRules, QuoteRules fieldRules, bool escapeQuotes = true)
    {
        var sb = new StringBuilder();
        foreach (var v in values)
        {
            switch (v)
            {
                case Constant { Value: PyStr s }:
                    var text = PythonLiterals.EscapeStr(s.Value, escapeQuotes ? quote[0] : null);
                    if (!literalRules.Permits(text))
                        throw new SyntaxNotSupportedException($"the literal part {PythonLiterals.StrRepr(s.Value)} needs a backslash or an enclosing quote inside a replacement field");
                    sb.Append(text.Replace("{", "{{").Replace("}", "}}"));
                    break;
                default:
                    sb.Append(ReplacementField(v, quote, fieldRules) ?? throw new SyntaxNotSupportedException($"a {v.PythonName} cannot be a part of an f-string or t-string"));
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>The text between the braces of a replacement field: what ast's Interpolation.str holds.</summary>
    public static string FieldExpression(ExprNode value, PythonVersion target, QuoteRules fieldRules)
    {
        var expr = ExpressionWriter.Text(value, Precedence.Test + 1, target, fieldRules);
        // "{{" would be an escaped brace.
        return expr.StartsWith('{') ? " " + expr : expr;
    }

    /// <summary>The {…} text of an f-string (FormattedValue) or t-string (Interpolation) part; null for other nodes.</summary>
    private string? ReplacementField(ExprNode part, string quote, QuoteRules fieldRules) => part switch
    {
        FormattedValue fv => Field(fv.Value, fv.Conversion, fv.FormatSpec, quote, fieldRules),
        Interpolation iv => Field(iv.Value, iv.Conversion, iv.FormatSpec, quote, fieldRules),
        _ => null,
    };

    private string Field(ExprNode value, int conversion, ExprNode? formatSpec, string quote, QuoteRules fieldRules)
    {
        var expression = FieldExpression(value, target, fieldRules);
        if (!fieldRules.Permits(expression))
            throw new SyntaxNotSupportedException($"the replacement field {expression} holds an enclosing quote or a backslash");
        var sb = new StringBuilder("{").Append(expression);
        switch (conversion)
        {
            case -1: break;
            case 's': case 'r': case 'a': sb.Append('!').Append((char)conversion); break;
            default: throw new SyntaxNotSupportedException($"conversion {conversion} is not one of -1, 's', 'r', 'a'");
        }
        if (formatSpec is not null)
        {
            if (formatSpec is not JoinedStr spec) throw new SyntaxNotSupportedException("a format_spec must be a JoinedStr");
            sb.Append(':');
            foreach (var part in spec.Values)
            {
                switch (part)
                {
                    case Constant { Value: PyStr s }:
                        // Literal text of a spec cannot be escaped portably (3.8-3.14 lex it differently).
                        if (s.Value.Any(ch => ch is '{' or '}' or '\\' or '\'' or '"') || PythonLiterals.NeedsBackslash(s.Value, quote[0]))
                            throw new SyntaxNotSupportedException($"format spec text {PythonLiterals.StrRepr(s.Value)} cannot be written");
                        sb.Append(s.Value);
                        break;
                    default:
                        sb.Append(ReplacementField(part, quote, fieldRules) ?? throw new SyntaxNotSupportedException($"a {part.PythonName} cannot be a part of a format spec"));
                        break;
                }
            }
        }
        return sb.Append('}').ToString();
    }
}
