using System.Text;
using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>
/// Writes expressions, patterns, arguments and f-/t-strings. Parentheses come from one place,
/// <see cref="Expr"/>: a child is wrapped exactly when its level is below what its position requires.
/// </summary>
internal sealed class ExpressionWriter
{
    private readonly PythonVersion _target;
    private readonly QuoteRules _rules;
    private readonly ConstantWriter _constants;

    public ExpressionWriter(PythonVersion target, QuoteRules rules)
    {
        _target = target;
        _rules = rules;
        _constants = new ConstantWriter(rules);
    }

    /// <summary>The text of <paramref name="e"/> in a position that requires at least <paramref name="context"/>.</summary>
    public string Expr(ExprNode e, Precedence context)
    {
        var (text, level) = Write(e);
        return level < context ? "(" + text + ")" : text;
    }

    private string Test(ExprNode e) => Expr(e, Precedence.Test);

    private (string, Precedence) Write(ExprNode e)
    {
        switch (e)
        {
            case Name n: return (n.Id, Precedence.Atom);
            case Constant c: return _constants.Write(c.Value, c.Kind);
            case Attribute a:
                // 1.real would lex as the float "1."; an int literal needs parentheses.
                var owner = a.Value is Constant { Value: PyInt { Value.Sign: >= 0 } } ? "(" + Expr(a.Value, Precedence.Atom) + ")" : Expr(a.Value, Precedence.Atom);
                return (owner + "." + a.Attr, Precedence.Atom);
            case Call call: return (Expr(call.Func, Precedence.Atom) + "(" + CallArguments(call.Args, call.Keywords) + ")", Precedence.Atom);
            case Subscript s: return (Expr(s.Value, Precedence.Atom) + "[" + SubscriptSlice(s.Slice) + "]", Precedence.Atom);
            case Starred st: return ("*" + Expr(st.Value, Precedence.BitOr), Precedence.Atom);
            case BinOp b:
            {
                var level = Operators.Level(b.Op);
                // ** groups to the right and its right operand may be a unary expression (2 ** -x);
                // every other operator groups to the left.
                bool pow = b.Op == Operator.Pow;
                var left = Expr(b.Left, pow ? Precedence.Await : level);
                var rhs = Expr(b.Right, pow ? Precedence.Factor : level + 1);
                return (left + " " + Operators.Text(b.Op) + " " + rhs, level);
            }
            case UnaryOp u:
            {
                var level = Operators.Level(u.Op);
                return (Operators.Text(u.Op) + Expr(u.Operand, level), level);
            }
            case BoolOp bo:
            {
                if (bo.Values.Length < 2) throw new SyntaxNotSupportedException("BoolOp needs at least two values");
                var level = Operators.Level(bo.Op);
                // a or b or c is one BoolOp; a nested BoolOp of the same kind needs parentheses to stay nested.
                var parts = bo.Values.Select(v => Expr(v, level + 1));
                return (string.Join(" " + Operators.Text(bo.Op) + " ", parts), level);
            }
            case Compare cmp:
            {
                var sb = new StringBuilder(Expr(cmp.Left, Precedence.Cmp + 1));
                for (int i = 0; i < cmp.Ops.Length; i++)
                    sb.Append(' ').Append(Operators.Text(cmp.Ops[i])).Append(' ').Append(Expr(cmp.Comparators[i], Precedence.Cmp + 1));
                return (sb.ToString(), Precedence.Cmp);
            }
            case IfExp ie:
                return (Expr(ie.Body, Precedence.Test + 1) + " if " + Expr(ie.Test, Precedence.Test + 1) + " else " + Test(ie.Orelse), Precedence.Test);
            case Lambda l:
            {
                var args = Arguments(l.Args, lambda: true);
                return ("lambda" + (args.Length > 0 ? " " + args : "") + ": " + Test(l.Body), Precedence.Test);
            }
            case NamedExpr ne: return (Expr(ne.Target, Precedence.Atom) + " := " + Test(ne.Value), Precedence.NamedExpr);
            case Await aw: return ("await " + Expr(aw.Value, Precedence.Atom), Precedence.Await);
            case Yield y: return (y.Value is null ? "yield" : "yield " + Test(y.Value), Precedence.Yield);
            case YieldFrom yf: return ("yield from " + Test(yf.Value), Precedence.Yield);
            case Tuple t:
                if (t.Elts.IsEmpty) return ("()", Precedence.Atom);
                return (TupleItems(t.Elts), Precedence.Tuple);
            case List l: return ("[" + string.Join(", ", l.Elts.Select(Test)) + "]", Precedence.Atom);
            case Set s:
                // {} is a dict; an empty set display does not exist (and Set([]) never comes from parsing).
                if (s.Elts.IsEmpty) return ("{*()}", Precedence.Atom);
                return ("{" + string.Join(", ", s.Elts.Select(Test)) + "}", Precedence.Atom);
            case Dict d: return ("{" + DictItems(d) + "}", Precedence.Atom);
            case ListComp lc: return ("[" + Test(lc.Elt) + Comprehensions(lc.Generators) + "]", Precedence.Atom);
            case SetComp sc: return ("{" + Test(sc.Elt) + Comprehensions(sc.Generators) + "}", Precedence.Atom);
            case GeneratorExp ge: return ("(" + GeneratorBody(ge) + ")", Precedence.Atom);
            case DictComp dc: return ("{" + Test(dc.Key) + ": " + Test(dc.Value) + Comprehensions(dc.Generators) + "}", Precedence.Atom);
            case JoinedStr js: return (new FStringWriter(_target, _rules).Write("f", js.Values), Precedence.Atom);
            case TemplateStr ts:
                SyntaxNotSupportedException.RequireVersion(_target, PythonVersion.V3_14, "a t-string");
                return (new FStringWriter(_target, _rules).Write("t", ts.Values), Precedence.Atom);
            case FormattedValue or Interpolation:
                throw new SyntaxNotSupportedException($"{e.PythonName} can only appear inside an f-string or t-string");
            case Slice:
                throw new SyntaxNotSupportedException("a Slice can only appear as a subscript (or an item of a subscript tuple)");
            default:
                throw new SyntaxNotSupportedException($"cannot write {e.PythonName}");
        }
    }

    private string TupleItems(IReadOnlyList<ExprNode> elts) =>
        elts.Count == 1 ? Test(elts[0]) + "," : string.Join(", ", elts.Select(Test));

    private string GeneratorBody(GeneratorExp ge) => Test(ge.Elt) + Comprehensions(ge.Generators);

    private string DictItems(Dict d)
    {
        if (d.Keys.Length != d.Values.Length) throw new SyntaxNotSupportedException("Dict keys and values differ in length");
        return string.Join(", ", d.Keys.Select((k, i) => k is null ? "**" + Expr(d.Values[i], Precedence.BitOr) : Test(k) + ": " + Test(d.Values[i])));
    }

    private string Comprehensions(IReadOnlyList<Comprehension> generators)
    {
        if (generators.Count == 0) throw new SyntaxNotSupportedException("a comprehension needs at least one 'for'");
        var sb = new StringBuilder();
        foreach (var g in generators)
        {
            sb.Append(g.IsAsync != 0 ? " async for " : " for ").Append(Expr(g.Target, Precedence.Tuple))
              .Append(" in ").Append(Expr(g.Iter, Precedence.Test + 1));
            foreach (var cond in g.Ifs) sb.Append(" if ").Append(Expr(cond, Precedence.Test + 1));
        }
        return sb.ToString();
    }

    public string CallArguments(IReadOnlyList<ExprNode> args, IReadOnlyList<Keyword> keywords, bool soleGeneratorBare = true)
    {
        // A call's sole generator expression argument needs no parentheses of its own: f(x for x in y)
        // (class bases do not have that form).
        if (soleGeneratorBare && args.Count == 1 && keywords.Count == 0 && args[0] is GeneratorExp ge) return GeneratorBody(ge);
        return string.Join(", ", args.Select(Test).Concat(keywords.Select(KeywordText)));
    }

    private string KeywordText(Keyword k) => (k.Arg is null ? "**" : k.Arg + "=") + Test(k.Value);

    private string SubscriptSlice(ExprNode slice)
    {
        if (slice is Slice s) return SliceText(s);
        if (slice is Tuple { Elts.IsEmpty: false } t)
        {
            // x[a, b] and x[a:b, c] need no parentheses; *a inside needs 3.11 unless parenthesized (then no slices).
            bool starred = t.Elts.Any(x => x is Starred);
            bool slices = t.Elts.Any(x => x is Slice);
            if (starred && _target < PythonVersion.V3_11)
            {
                if (slices) SyntaxNotSupportedException.RequireVersion(_target, PythonVersion.V3_11, "a starred item next to a slice in a subscript");
                return "(" + TupleItems(t.Elts) + ")";
            }
            var items = t.Elts.Select(x => x is Slice sl ? SliceText(sl) : Test(x)).ToList();
            return t.Elts.Length == 1 ? items[0] + "," : string.Join(", ", items);
        }
        return Expr(slice, Precedence.Test);
    }

    private string SliceText(Slice s) =>
        (s.Lower is null ? "" : Test(s.Lower)) + ":" + (s.Upper is null ? "" : Test(s.Upper)) + (s.Step is null ? "" : ":" + Test(s.Step));

    /// <summary>Parameters: <c>a, /, b=1, *args, c, d=2, **kw</c>; lambdas have no annotations.</summary>
    public string Arguments(Arguments a, bool lambda)
    {
        var all = a.Posonlyargs.AddRange(a.Args);
        if (a.Defaults.Length > all.Length) throw new SyntaxNotSupportedException("more defaults than positional parameters");
        if (a.KwDefaults.Length != a.Kwonlyargs.Length) throw new SyntaxNotSupportedException("kw_defaults and kwonlyargs differ in length");
        var parts = new List<string>();
        int firstDefault = all.Length - a.Defaults.Length;
        for (int i = 0; i < all.Length; i++)
        {
            var text = Param(all[i], lambda);
            if (i >= firstDefault) text += (all[i].Annotation is null ? "=" : " = ") + Test(a.Defaults[i - firstDefault]);
            parts.Add(text);
            if (i == a.Posonlyargs.Length - 1) parts.Add("/");
        }
        if (a.Vararg is not null) parts.Add("*" + Param(a.Vararg, lambda));
        else if (a.Kwonlyargs.Length > 0) parts.Add("*");
        for (int i = 0; i < a.Kwonlyargs.Length; i++)
        {
            var text = Param(a.Kwonlyargs[i], lambda);
            var d = a.KwDefaults[i];
            if (d is not null) text += (a.Kwonlyargs[i].Annotation is null ? "=" : " = ") + Test(d);
            parts.Add(text);
        }
        if (a.Kwarg is not null) parts.Add("**" + Param(a.Kwarg, lambda));
        return string.Join(", ", parts);
    }

    private string Param(Arg p, bool lambda)
    {
        if (p.Annotation is null) return p.ArgName;
        if (lambda) throw new SyntaxNotSupportedException("lambda parameters cannot have annotations");
        // *args: *Ts is an annotation form (3.11+) that is a Starred; it needs no parentheses.
        return p.ArgName + ": " + Test(p.Annotation);
    }

    public string TypeParams(IReadOnlyList<TypeParamNode> ps)
    {
        if (ps.Count == 0) return "";
        SyntaxNotSupportedException.RequireVersion(_target, PythonVersion.V3_12, "type parameters");
        return "[" + string.Join(", ", ps.Select(TypeParam)) + "]";
    }

    private string TypeParam(TypeParamNode p)
    {
        var (text, dflt) = p switch
        {
            TypeVar tv => (tv.Name + (tv.Bound is null ? "" : ": " + Test(tv.Bound)), tv.DefaultValue),
            ParamSpec ps => ("**" + ps.Name, ps.DefaultValue),
            TypeVarTuple tvt => ("*" + tvt.Name, tvt.DefaultValue),
            _ => throw new SyntaxNotSupportedException($"cannot write {p.PythonName}"),
        };
        if (dflt is null) return text;
        SyntaxNotSupportedException.RequireVersion(_target, PythonVersion.V3_13, "type parameter defaults");
        return text + " = " + Test(dflt);
    }

    public string Pattern(PatternNode p, bool top = true) => Pattern(p, top ? Precedence.NamedExpr : Precedence.BitOr + 1);

    /// <summary>Patterns: <c>a | b</c> binds at BitOr, <c>p as x</c> at Test; sub-patterns need more.</summary>
    private string Pattern(PatternNode p, Precedence context)
    {
        var (text, level) = p switch
        {
            MatchValue v => (Expr(v.Value, Precedence.BitOr + 1), Precedence.Atom),
            MatchSingleton s => (_constants.Write(s.Value).Text, Precedence.Atom),
            MatchSequence s => ("[" + string.Join(", ", s.Patterns.Select(x => Pattern(x, Precedence.Test))) + "]", Precedence.Atom),
            MatchStar s => ("*" + (s.Name ?? "_"), Precedence.Atom),
            MatchMapping m => ("{" + MappingItems(m) + "}", Precedence.Atom),
            MatchClass c => (ClassPattern(c), Precedence.Atom),
            MatchAs { Pattern: null } a => (a.Name ?? "_", Precedence.Atom),
            MatchAs a => (a.Name is null ? throw new SyntaxNotSupportedException("MatchAs with a pattern needs a name")
                : Pattern(a.Pattern!, Precedence.BitOr) + " as " + a.Name, Precedence.Test),
            MatchOr o => o.Patterns.Length < 2 ? throw new SyntaxNotSupportedException("MatchOr needs at least two patterns")
                : (string.Join(" | ", o.Patterns.Select(x => Pattern(x, Precedence.BitOr + 1))), Precedence.BitOr),
            _ => throw new SyntaxNotSupportedException($"cannot write {p.PythonName}"),
        };
        return level < context ? "(" + text + ")" : text;
    }

    private string MappingItems(MatchMapping m)
    {
        if (m.Keys.Length != m.Patterns.Length) throw new SyntaxNotSupportedException("MatchMapping keys and patterns differ in length");
        var items = m.Keys.Select((k, i) => Expr(k, Precedence.BitOr + 1) + ": " + Pattern(m.Patterns[i], Precedence.Test)).ToList();
        if (m.Rest is not null) items.Add("**" + m.Rest);
        return string.Join(", ", items);
    }

    private string ClassPattern(MatchClass c)
    {
        if (c.KwdAttrs.Length != c.KwdPatterns.Length) throw new SyntaxNotSupportedException("MatchClass kwd_attrs and kwd_patterns differ in length");
        var items = c.Patterns.Select(x => Pattern(x, Precedence.Test))
            .Concat(c.KwdAttrs.Select((a, i) => a + "=" + Pattern(c.KwdPatterns[i], Precedence.Test)));
        return Expr(c.Cls, Precedence.Atom) + "(" + string.Join(", ", items) + ")";
    }

    public string Constant(PyObject value, string? kind = null) => _constants.Write(value, kind).Text;

    public string StrLiteral(string value) => _constants.Str(value);
}
