using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using System.Text;
using PyRecon.Model;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Syntax;

/// <summary>
/// Parses one Python expression from source text into a syntax tree. It exists for the text the compiler itself
/// writes: under `from __future__ import annotations` every annotation is stored as CPython's unparse of its
/// expression, and the decompiler must give back the expression, not the string. It covers what that unparser
/// writes (operators, calls, subscripts and slices, displays, comprehensions, conditional expressions, literals
/// in repr form); f-strings, t-strings, lambdas and yield are refused (null), and so is anything malformed, so a
/// caller can report the annotation instead of guessing.
/// </summary>
public sealed class ExpressionParser
{
    private readonly List<Token> _tokens;
    private int _at;

    private enum Kind { Name, Number, String, Op, End }

    private readonly record struct Token(Kind Kind, string Text, PyObject? Value = null);

    private sealed class Refused : Exception;

    private ExpressionParser(List<Token> tokens) => _tokens = tokens;

    /// <summary>The expression <paramref name="text"/> holds, or null when it is not one this parser reads.</summary>
    public static ExprNode? TryParse(string text)
    {
        try
        {
            var parser = new ExpressionParser(Tokenize(text));
            var result = parser.TestOrStarredList();
            return parser.Peek.Kind == Kind.End ? result : null;
        }
        catch (Refused) { return null; }
        catch (ArgumentException) { return null; } // a factory refused the node (e.g. a keyword used as a name)
        catch (FormatException) { return null; }
        catch (OverflowException) { return null; }
    }

    // ---- tokens ----

    private static readonly string[] s_operators =
        ["**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=",
         "+", "-", "*", "/", "%", "@", "|", "^", "&", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", "=", ";"];

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c is ' ' or '\t') { i++; continue; }
            if (c is '\n' or '\r' or '\\' or '#') throw new Refused();
            int quote = StringStart(text, i);
            if (quote >= 0) { tokens.Add(StringToken(text, ref i, quote)); continue; }
            if (char.IsDigit(c) || (c == '.' && i + 1 < text.Length && char.IsDigit(text[i + 1])))
            {
                int start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '.' or '_'
                       || (text[i] is '+' or '-' && text[i - 1] is 'e' or 'E' && !IsRadixPrefixed(text, start))))
                    i++;
                tokens.Add(new Token(Kind.Number, text[start..i], Number(text[start..i].Replace("_", ""))));
                continue;
            }
            if (char.IsLetter(c) || c == '_' || c > 127)
            {
                int start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_' || text[i] > 127)) i++;
                tokens.Add(new Token(Kind.Name, text[start..i]));
                continue;
            }
            var op = s_operators.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0) ?? throw new Refused();
            tokens.Add(new Token(Kind.Op, op));
            i += op.Length;
        }
        tokens.Add(new Token(Kind.End, ""));
        return tokens;
    }

    private static bool IsRadixPrefixed(string text, int start) =>
        start + 1 < text.Length && text[start] == '0' && text[start + 1] is 'x' or 'X' or 'o' or 'O' or 'b' or 'B';

    /// <summary>The index of the opening quote when a string literal (with its prefix) starts at i, else -1.</summary>
    private static int StringStart(string text, int i)
    {
        int j = i;
        while (j < text.Length && j - i < 2 && "rRbBuUfFtT".Contains(text[j])) j++;
        for (int k = i; k <= j && k < text.Length; k++)
            if (text[k] is '\'' or '"') return k == i || IsPrefix(text[i..k]) ? k : -1;
        return -1;
    }

    private static bool IsPrefix(string prefix) => prefix.ToLowerInvariant() is "r" or "b" or "u" or "br" or "rb" or "f" or "rf" or "fr" or "t" or "rt" or "tr";

    private static Token StringToken(string text, ref int i, int quoteAt)
    {
        string prefix = text[i..quoteAt].ToLowerInvariant();
        if (prefix.Contains('f') || prefix.Contains('t')) throw new Refused();
        char quote = text[quoteAt];
        bool triple = quoteAt + 2 < text.Length && text[quoteAt + 1] == quote && text[quoteAt + 2] == quote;
        int open = triple ? 3 : 1;
        int j = quoteAt + open;
        var raw = new StringBuilder();
        while (true)
        {
            if (j >= text.Length) throw new Refused();
            if (text[j] == '\\' && j + 1 < text.Length) { raw.Append(text, j, 2); j += 2; continue; }
            if (text[j] == quote && (!triple || (j + 2 < text.Length && text[j + 1] == quote && text[j + 2] == quote))) break;
            raw.Append(text[j++]);
        }
        i = j + open;
        bool isRaw = prefix.Contains('r');
        string body = raw.ToString();
        PyObject value = prefix.Contains('b')
            ? new PyBytes([.. Unescape(body, isRaw, bytes: true).Select(ch => ch <= 0xFF ? (byte)ch : throw new Refused())])
            : new PyStr(Unescape(body, isRaw, bytes: false));
        return new Token(Kind.String, text[quoteAt..i], value);
    }

    private static string Unescape(string body, bool raw, bool bytes)
    {
        if (raw) return body;
        var sb = new StringBuilder(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\') { sb.Append(body[i]); continue; }
            char e = body[++i];
            switch (e)
            {
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break;
                case 'x': sb.Append((char)Hex(body, ref i, 2)); break;
                case 'u' when !bytes: sb.Append((char)Hex(body, ref i, 4)); break;
                case 'U' when !bytes: sb.Append(char.ConvertFromUtf32(Hex(body, ref i, 8))); break;
                case >= '0' and <= '7':
                {
                    int value = 0, n = 0;
                    while (n < 3 && i < body.Length && body[i] is >= '0' and <= '7') { value = value * 8 + (body[i++] - '0'); n++; }
                    i--;
                    sb.Append((char)value);
                    break;
                }
                default: throw new Refused(); // \N{...} and invalid escapes: not what repr writes
            }
        }
        return sb.ToString();
    }

    private static int Hex(string body, ref int i, int digits)
    {
        if (i + digits >= body.Length) throw new Refused();
        int value = int.Parse(body.AsSpan(i + 1, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        i += digits;
        return value;
    }

    private static PyObject Number(string text)
    {
        string lower = text.ToLowerInvariant();
        if (lower.EndsWith('j')) return new PyComplex(0, ParseFloat(lower[..^1]));
        if (lower.StartsWith("0x")) return new PyInt(BigInteger.Parse("0" + lower[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        if (lower.StartsWith("0o")) return new PyInt(Radix(lower[2..], 8));
        if (lower.StartsWith("0b")) return new PyInt(Radix(lower[2..], 2));
        if (lower.Contains('.') || lower.Contains('e') || lower is "inf" or "nan") return new PyFloat(ParseFloat(lower));
        if (!lower.All(char.IsAsciiDigit)) throw new Refused();
        return new PyInt(BigInteger.Parse(lower, CultureInfo.InvariantCulture));
    }

    private static double ParseFloat(string text) =>
        double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static BigInteger Radix(string digits, int radix)
    {
        if (digits.Length == 0) throw new Refused();
        BigInteger value = 0;
        foreach (char d in digits)
        {
            int v = d - '0';
            if (v < 0 || v >= radix) throw new Refused();
            value = value * radix + v;
        }
        return value;
    }

    // ---- grammar ----

    private Token Peek => _tokens[_at];

    private bool IsOp(string op) => Peek.Kind == Kind.Op && Peek.Text == op;

    private bool IsKeyword(string word) => Peek.Kind == Kind.Name && Peek.Text == word;

    private bool Accept(string op)
    {
        if (!IsOp(op)) return false;
        _at++;
        return true;
    }

    private bool AcceptKeyword(string word)
    {
        if (!IsKeyword(word)) return false;
        _at++;
        return true;
    }

    private void Expect(string op)
    {
        if (!Accept(op)) throw new Refused();
    }

    private bool AtExpressionEnd => Peek.Kind == Kind.End || (Peek.Kind == Kind.Op && Peek.Text is ")" or "]" or "}" or ":" or "=" or ",")
        || IsKeyword("for") || IsKeyword("async") || IsKeyword("if") || IsKeyword("else") || IsKeyword("in");

    /// <summary>`a, *b` as a tuple (no parentheses), or one expression.</summary>
    private ExprNode TestOrStarredList()
    {
        var first = TestOrStarred();
        if (!IsOp(",")) return first;
        var items = ImmutableArray.CreateBuilder<ExprNode>();
        items.Add(first);
        while (Accept(","))
        {
            if (AtExpressionEnd) break;
            items.Add(TestOrStarred());
        }
        return S.Tuple(items.ToImmutable());
    }

    private ExprNode TestOrStarred() => Accept("*") ? S.Starred(BitOr()) : Test();

    private ExprNode Test()
    {
        if (IsKeyword("lambda") || IsKeyword("yield")) throw new Refused();
        var body = OrTest();
        if (!AcceptKeyword("if")) return body;
        var test = OrTest();
        if (!AcceptKeyword("else")) throw new Refused();
        return S.IfExp(test, body, Test());
    }

    /// <summary>`name := value` where a named expression may stand (parenthesized, call arguments, subscripts).</summary>
    private ExprNode NamedOrTest()
    {
        if (Peek.Kind == Kind.Name && _tokens[_at + 1] is { Kind: Kind.Op, Text: ":=" })
        {
            var target = S.Name(Peek.Text, ExprContext.Store);
            _at += 2;
            return S.NamedExpr(target, Test());
        }
        return Test();
    }

    private ExprNode OrTest() => BoolChain("or", Boolop.Or, AndTest);

    private ExprNode AndTest() => BoolChain("and", Boolop.And, NotTest);

    private ExprNode BoolChain(string word, Boolop op, Func<ExprNode> operand)
    {
        var first = operand();
        if (!IsKeyword(word)) return first;
        var values = ImmutableArray.CreateBuilder<ExprNode>();
        values.Add(first);
        while (AcceptKeyword(word)) values.Add(operand());
        return S.BoolOp(op, values.ToImmutable());
    }

    private ExprNode NotTest() => AcceptKeyword("not") ? S.UnaryOp(Unaryop.Not, NotTest()) : Comparison();

    private ExprNode Comparison()
    {
        var left = BitOr();
        var ops = ImmutableArray.CreateBuilder<Cmpop>();
        var comparators = ImmutableArray.CreateBuilder<ExprNode>();
        while (CompareOp() is { } op)
        {
            ops.Add(op);
            comparators.Add(BitOr());
        }
        return ops.Count == 0 ? left : S.Compare(left, ops.ToImmutable(), comparators.ToImmutable());
    }

    private Cmpop? CompareOp()
    {
        if (Peek.Kind == Kind.Op)
        {
            Cmpop? op = Peek.Text switch
            {
                "==" => Cmpop.Eq, "!=" => Cmpop.NotEq, "<" => Cmpop.Lt, "<=" => Cmpop.LtE, ">" => Cmpop.Gt, ">=" => Cmpop.GtE,
                _ => null,
            };
            if (op is not null) _at++;
            return op;
        }
        if (AcceptKeyword("in")) return Cmpop.In;
        if (AcceptKeyword("is")) return AcceptKeyword("not") ? Cmpop.IsNot : Cmpop.Is;
        if (IsKeyword("not") && _tokens[_at + 1] is { Kind: Kind.Name, Text: "in" }) { _at += 2; return Cmpop.NotIn; }
        return null;
    }

    private static readonly (string Op, Operator Value)[][] s_binaryLevels =
    [
        [("|", Operator.BitOr)],
        [("^", Operator.BitXor)],
        [("&", Operator.BitAnd)],
        [("<<", Operator.LShift), (">>", Operator.RShift)],
        [("+", Operator.Add), ("-", Operator.Sub)],
        [("*", Operator.Mult), ("/", Operator.Div), ("//", Operator.FloorDiv), ("%", Operator.Mod), ("@", Operator.MatMult)],
    ];

    private ExprNode BitOr() => Binary(0);

    private ExprNode Binary(int level)
    {
        if (level == s_binaryLevels.Length) return Factor();
        var left = Binary(level + 1);
        while (true)
        {
            var match = s_binaryLevels[level].FirstOrDefault(p => IsOp(p.Op));
            if (match.Op is null) return left;
            _at++;
            left = S.BinOp(left, match.Value, Binary(level + 1));
        }
    }

    private ExprNode Factor()
    {
        if (Accept("-")) return S.UnaryOp(Unaryop.USub, Factor());
        if (Accept("+")) return S.UnaryOp(Unaryop.UAdd, Factor());
        if (Accept("~")) return S.UnaryOp(Unaryop.Invert, Factor());
        var primary = AcceptKeyword("await") ? S.Await(Primary()) : Primary();
        return Accept("**") ? S.BinOp(primary, Operator.Pow, Factor()) : primary;
    }

    private ExprNode Primary()
    {
        var value = Atom();
        while (true)
        {
            if (Accept("."))
            {
                if (Peek.Kind != Kind.Name) throw new Refused();
                value = S.Attribute(value, _tokens[_at++].Text);
            }
            else if (Accept("(")) value = CallArguments(value);
            else if (Accept("[")) { value = S.Subscript(value, SubscriptSlice()); Expect("]"); }
            else return value;
        }
    }

    private ExprNode Atom()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case Kind.Number: _at++; return S.Constant(token.Value!);
            case Kind.String:
            {
                _at++;
                var value = token.Value!;
                while (Peek.Kind == Kind.String)
                {
                    value = (value, Peek.Value) switch
                    {
                        (PyStr a, PyStr b) => new PyStr(a.Value + b.Value),
                        (PyBytes a, PyBytes b) => new PyBytes(a.Value.AddRange(b.Value)),
                        _ => throw new Refused(),
                    };
                    _at++;
                }
                return S.Constant(value);
            }
            case Kind.Name:
                _at++;
                return token.Text switch
                {
                    "None" => S.Constant(PyNone.Instance),
                    "True" => S.Constant(PyBool.True),
                    "False" => S.Constant(PyBool.False),
                    _ when SyntaxFacts.Keywords.Contains(token.Text) => throw new Refused(),
                    _ => S.Name(token.Text),
                };
            case Kind.Op when token.Text == "...": _at++; return S.Constant(PyEllipsis.Instance);
            case Kind.Op when token.Text == "(": _at++; return Parenthesized();
            case Kind.Op when token.Text == "[": _at++; return ListDisplay();
            case Kind.Op when token.Text == "{": _at++; return BraceDisplay();
            default: throw new Refused();
        }
    }

    private ExprNode Parenthesized()
    {
        if (Accept(")")) return S.Tuple([]);
        var first = Accept("*") ? S.Starred(BitOr()) : NamedOrTest();
        if (IsComprehensionStart) { var gen = S.GeneratorExp(first, Comprehensions()); Expect(")"); return gen; }
        if (Accept(")")) return first;
        var items = ImmutableArray.CreateBuilder<ExprNode>();
        items.Add(first);
        while (Accept(","))
        {
            if (IsOp(")")) break;
            items.Add(TestOrStarred());
        }
        Expect(")");
        return S.Tuple(items.ToImmutable());
    }

    private ExprNode ListDisplay()
    {
        if (Accept("]")) return S.List([]);
        var first = TestOrStarred();
        if (IsComprehensionStart) { var comp = S.ListComp(first, Comprehensions()); Expect("]"); return comp; }
        var items = Rest(first, "]");
        return S.List(items);
    }

    private ExprNode BraceDisplay()
    {
        if (Accept("}")) return S.Dict([], []);
        if (Accept("**")) return DictRest(null, BitOr());
        var first = TestOrStarred();
        if (Accept(":"))
        {
            var value = Test();
            if (IsComprehensionStart) { var comp = S.DictComp(first, value, Comprehensions()); Expect("}"); return comp; }
            return DictRest(first, value);
        }
        if (IsComprehensionStart) { var comp = S.SetComp(first, Comprehensions()); Expect("}"); return comp; }
        return S.Set(Rest(first, "}"));
    }

    private ExprNode DictRest(ExprNode? firstKey, ExprNode firstValue)
    {
        var keys = ImmutableArray.CreateBuilder<ExprNode?>();
        var values = ImmutableArray.CreateBuilder<ExprNode>();
        keys.Add(firstKey);
        values.Add(firstValue);
        while (Accept(","))
        {
            if (IsOp("}")) break;
            if (Accept("**")) { keys.Add(null); values.Add(BitOr()); continue; }
            keys.Add(Test());
            Expect(":");
            values.Add(Test());
        }
        Expect("}");
        return S.Dict(keys.ToImmutable(), values.ToImmutable());
    }

    /// <summary>The items after the first of a list or set display, up to the closing bracket.</summary>
    private ImmutableArray<ExprNode> Rest(ExprNode first, string close)
    {
        var items = ImmutableArray.CreateBuilder<ExprNode>();
        items.Add(first);
        while (Accept(","))
        {
            if (IsOp(close)) break;
            items.Add(TestOrStarred());
        }
        Expect(close);
        return items.ToImmutable();
    }

    private bool IsComprehensionStart => IsKeyword("for") || (IsKeyword("async") && _tokens[_at + 1] is { Kind: Kind.Name, Text: "for" });

    private ImmutableArray<Comprehension> Comprehensions()
    {
        var generators = ImmutableArray.CreateBuilder<Comprehension>();
        while (IsComprehensionStart)
        {
            int isAsync = AcceptKeyword("async") ? 1 : 0;
            AcceptKeyword("for");
            var target = Store(TargetList());
            if (!AcceptKeyword("in")) throw new Refused();
            var iter = OrTest();
            var ifs = ImmutableArray.CreateBuilder<ExprNode>();
            while (AcceptKeyword("if")) ifs.Add(OrTest());
            generators.Add(S.Comprehension(target, iter, ifs.ToImmutable(), isAsync));
        }
        return generators.ToImmutable();
    }

    private ExprNode TargetList()
    {
        var first = Accept("*") ? S.Starred(BitOr()) : BitOr();
        if (!IsOp(",")) return first;
        var items = ImmutableArray.CreateBuilder<ExprNode>();
        items.Add(first);
        while (Accept(","))
        {
            if (IsKeyword("in")) break;
            items.Add(Accept("*") ? S.Starred(BitOr()) : BitOr());
        }
        return S.Tuple(items.ToImmutable());
    }

    /// <summary>A comprehension target in store context, as the parser of CPython gives it.</summary>
    private static ExprNode Store(ExprNode target) => target switch
    {
        Name n => S.Name(n.Id, ExprContext.Store),
        Tuple t => S.Tuple([.. t.Elts.Select(Store)], ExprContext.Store),
        List l => S.List([.. l.Elts.Select(Store)], ExprContext.Store),
        Starred st => S.Starred(Store(st.Value), ExprContext.Store),
        Attribute a => S.Attribute(a.Value, a.Attr, ExprContext.Store),
        Subscript sub => S.Subscript(sub.Value, sub.Slice, ExprContext.Store),
        _ => throw new Refused(),
    };

    private ExprNode CallArguments(ExprNode func)
    {
        var args = ImmutableArray.CreateBuilder<ExprNode>();
        var keywords = ImmutableArray.CreateBuilder<Keyword>();
        while (!Accept(")"))
        {
            if (Accept("*")) args.Add(S.Starred(Test()));
            else if (Accept("**")) keywords.Add(S.Keyword(null, Test()));
            else if (Peek.Kind == Kind.Name && _tokens[_at + 1] is { Kind: Kind.Op, Text: "=" })
            {
                string name = Peek.Text;
                _at += 2;
                keywords.Add(S.Keyword(name, Test()));
            }
            else
            {
                var arg = NamedOrTest();
                if (IsComprehensionStart) arg = S.GeneratorExp(arg, Comprehensions());
                args.Add(arg);
            }
            if (!Accept(",")) { Expect(")"); break; }
        }
        return S.Call(func, args.ToImmutable(), keywords.ToImmutable());
    }

    private ExprNode SubscriptSlice()
    {
        var first = SliceItem();
        if (!IsOp(",")) return first;
        var items = ImmutableArray.CreateBuilder<ExprNode>();
        items.Add(first);
        while (Accept(","))
        {
            if (IsOp("]")) break;
            items.Add(SliceItem());
        }
        return S.Tuple(items.ToImmutable());
    }

    private ExprNode SliceItem()
    {
        if (Accept("*")) return S.Starred(BitOr());
        ExprNode? lower = IsOp(":") ? null : NamedOrTest();
        if (!Accept(":")) return lower!;
        ExprNode? upper = IsOp(":") || IsOp("]") || IsOp(",") ? null : Test();
        ExprNode? step = null;
        if (Accept(":") && !(IsOp("]") || IsOp(","))) step = Test();
        return S.Slice(lower, upper, step);
    }
}
