using System.Collections.Immutable;
using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>
/// Writes expressions, patterns, arguments and f-/t-strings into a <see cref="SourceBuilder"/>, left to right.
/// Parentheses come from one place, <see cref="Expr"/>: a child is wrapped exactly when its level is below
/// what its position requires. With a <see cref="LineMap"/>, a node whose line is below the cursor is moved
/// down to it (<see cref="At"/>) where a break is allowed: inside brackets, or, when the statement writer can
/// still parenthesize the enclosing expression, by asking it to (<see cref="SourceBuilder.ParenthesesWanted"/>).
/// </summary>
internal sealed class ExpressionWriter
{
    private readonly PythonVersion _target;
    private readonly QuoteRules _rules;
    private readonly ConstantWriter _constants;
    private readonly SourceBuilder _out;
    private readonly LineMap? _lines;

    public ExpressionWriter(PythonVersion target, QuoteRules rules, SourceBuilder output, LineMap? lines = null)
    {
        _target = target;
        _rules = rules;
        _constants = new ConstantWriter(rules);
        _out = output;
        _lines = lines;
    }

    /// <summary>The text of <paramref name="e"/> alone (no line map) in a position that requires <paramref name="context"/>.</summary>
    public static string Text(ExprNode e, Precedence context, PythonVersion target, QuoteRules rules)
    {
        var output = new SourceBuilder();
        new ExpressionWriter(target, rules, output).Expr(e, context);
        return output.ToString();
    }

    private void W(string text) => _out.Append(text);

    /// <summary>Moves <paramref name="node"/> down to its known line when the cursor is above it and a break is
    /// possible here; otherwise it is written where the cursor is.</summary>
    public void At(SyntaxNode node)
    {
        if (_lines is null) return;
        int line = _lines.Of(node);
        if (line <= _out.Line) return;
        if (_out.Depth > 0) _out.BreakTo(line);
        else if (_out.CanParenthesize) _out.ParenthesesWanted = true;
    }

    /// <summary>The node whose text starts <paramref name="e"/>'s, among those with a line (a.b.c: a), else <paramref name="e"/>.</summary>
    private ExprNode Leftmost(ExprNode e)
    {
        var inner = e switch { Attribute a => a.Value, Subscript s => s.Value, Call c => c.Func, _ => null };
        return inner is not null && Leftmost(inner) is var left && _lines!.Of(left) > 0 ? left : e;
    }

    /// <summary>Writes <paramref name="e"/> in a position that requires at least <paramref name="context"/>.</summary>
    public void Expr(ExprNode e, Precedence context)
    {
        if (e is Constant c)
        {
            var (text, constantLevel) = _constants.Write(c.Value, c.Kind);
            bool wrapped = OpenWrapped(e, constantLevel < context);
            W(text);
            CloseWrapped(wrapped);
            return;
        }
        bool parenthesized = OpenWrapped(e, Level(e) < context, parenthesesAreItsOwn: e is Tuple);
        Write(e);
        CloseWrapped(parenthesized);
    }

    // Opening and closing are two calls around the node's own writing (no delegate per expression written).
    /// <summary>Places <paramref name="node"/> and opens its parentheses when it needs them; returns whether it did.</summary>
    private bool OpenWrapped(SyntaxNode node, bool parenthesize, bool parenthesesAreItsOwn = false)
    {
        bool atStart = !IsPlacedByItsName(node);
        if (!parenthesize)
        {
            if (atStart) At(node);
            return false;
        }
        // A parenthesized node starts after its parenthesis (as in CPython's positions; a break after "(" is
        // always allowed), except a tuple display, whose parentheses are part of it.
        if (parenthesesAreItsOwn && atStart) At(node);
        _out.Open('(');
        if (!parenthesesAreItsOwn && atStart) At(node);
        return true;
    }

    private void CloseWrapped(bool parenthesized)
    {
        if (parenthesized) _out.Close(')');
    }

    /// <summary>Expressions separated by commas, each in a <see cref="Precedence.Test"/> position.</summary>
    private void Tests(ImmutableArray<ExprNode> items) => Tests(items.AsSpan());

    private void Tests(IReadOnlyList<ExprNode> items)
    {
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) W(", ");
            Test(items[i]);
        }
    }

    private void Tests(ReadOnlySpan<ExprNode> items)
    {
        for (int i = 0; i < items.Length; i++)
        {
            if (i > 0) W(", ");
            Test(items[i]);
        }
    }

    /// <summary>
    /// An attribute, and a method call, carry the line of the attribute's name (3.11+ move their location there; in
    /// 3.8-3.10 the name's op comes after the value's, so it has the value's last line): their value is placed by its
    /// own line and the break, when there is one, goes before the dot.
    /// </summary>
    private static bool IsPlacedByItsName(SyntaxNode node) => node is Attribute or Call { Func: Attribute };

    private void Test(ExprNode e) => Expr(e, Precedence.Test);

    private void Join<T>(IReadOnlyList<T> items, Action<T> write, string separator = ", ")
    {
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) W(separator);
            write(items[i]);
        }
    }

    private void Bracketed(char open, char close, Action write)
    {
        _out.Open(open);
        write();
        _out.Close(close);
    }

    /// <summary>The binding level of an expression's own text (constants decide theirs when written).</summary>
    private static Precedence Level(ExprNode e) => e switch
    {
        BinOp b => Operators.Level(b.Op),
        UnaryOp u => Operators.Level(u.Op),
        BoolOp bo => Operators.Level(bo.Op),
        Compare => Precedence.Cmp,
        IfExp or Lambda => Precedence.Test,
        NamedExpr => Precedence.NamedExpr,
        Await => Precedence.Await,
        Yield or YieldFrom => Precedence.Yield,
        Tuple t => t.Elts.IsEmpty ? Precedence.Atom : Precedence.Tuple,
        _ => Precedence.Atom,
    };

    private void Write(ExprNode e)
    {
        switch (e)
        {
            case Name n: W(n.Id); break;
            case Attribute a:
                // 1.real would lex as the float "1."; an int literal needs parentheses.
                if (a.Value is Constant { Value: PyInt { Value.Sign: >= 0 } })
                {
                    _out.Open('(');
                    Expr(a.Value, Precedence.Atom);
                    _out.Close(')');
                }
                else Expr(a.Value, Precedence.Atom);
                At(a);
                W(".");
                W(a.Attr);
                break;
            case Call call:
                Expr(call.Func, Precedence.Atom);
                // f(x for x in y): the generator expression starts at the call's parenthesis.
                if (call.Args is [GeneratorExp sole] && call.Keywords.IsEmpty) At(sole);
                _out.Open('(');
                CallArguments(call.Args, call.Keywords);
                _out.Close(')');
                break;
            case Subscript s:
                Expr(s.Value, Precedence.Atom);
                _out.Open('[');
                SubscriptSlice(s.Slice);
                _out.Close(']');
                break;
            case Starred st:
                // Without a line of its own, the star goes where its value's text starts.
                if (_lines is not null && _lines.Of(st) == 0) At(Leftmost(st.Value));
                W("*");
                Expr(st.Value, Precedence.BitOr);
                break;
            case BinOp b:
            {
                var level = Operators.Level(b.Op);
                // ** groups to the right and its right operand may be a unary expression (2 ** -x);
                // every other operator groups to the left.
                bool pow = b.Op == Operator.Pow;
                Expr(b.Left, pow ? Precedence.Await : level);
                W(" " + Operators.Text(b.Op) + " ");
                Expr(b.Right, pow ? Precedence.Factor : level + 1);
                break;
            }
            case UnaryOp u: W(Operators.Text(u.Op)); Expr(u.Operand, Operators.Level(u.Op)); break;
            case BoolOp bo:
            {
                if (bo.Values.Length < 2) throw new SyntaxNotSupportedException("BoolOp needs at least two values");
                var level = Operators.Level(bo.Op);
                // a or b or c is one BoolOp; a nested BoolOp of the same kind needs parentheses to stay nested.
                var separator = " " + Operators.Text(bo.Op) + " ";
                for (int i = 0; i < bo.Values.Length; i++)
                {
                    if (i > 0) W(separator);
                    Expr(bo.Values[i], level + 1);
                }
                break;
            }
            case Compare cmp:
                Expr(cmp.Left, Precedence.Cmp + 1);
                for (int i = 0; i < cmp.Ops.Length; i++)
                {
                    W(" " + Operators.Text(cmp.Ops[i]) + " ");
                    Expr(cmp.Comparators[i], Precedence.Cmp + 1);
                }
                break;
            case IfExp ie:
                Expr(ie.Body, Precedence.Test + 1);
                W(" if ");
                Expr(ie.Test, Precedence.Test + 1);
                W(" else ");
                Test(ie.Orelse);
                break;
            case Lambda l:
                W(HasParameters(l.Args) ? "lambda " : "lambda");
                Arguments(l.Args, lambda: true);
                W(": ");
                Test(l.Body);
                break;
            case NamedExpr ne: Expr(ne.Target, Precedence.Atom); W(" := "); Test(ne.Value); break;
            case Await aw: W("await "); Expr(aw.Value, Precedence.Atom); break;
            case Yield y:
                W("yield");
                if (y.Value is not null) { W(" "); Test(y.Value); }
                break;
            case YieldFrom yf: W("yield from "); Test(yf.Value); break;
            case Tuple t:
                if (t.Elts.IsEmpty) W("()");
                else TupleItems(t.Elts);
                break;
            case List l: _out.Open('['); Tests(l.Elts); _out.Close(']'); break;
            case Set s:
                // {} is a dict; an empty set display does not exist (and Set([]) never comes from parsing).
                if (s.Elts.IsEmpty) W("{*()}");
                else { _out.Open('{'); Tests(s.Elts); _out.Close('}'); }
                break;
            case Dict d: _out.Open('{'); DictItems(d); _out.Close('}'); break;
            case ListComp lc: _out.Open('['); Test(lc.Elt); Comprehensions(lc.Generators); _out.Close(']'); break;
            case SetComp sc: _out.Open('{'); Test(sc.Elt); Comprehensions(sc.Generators); _out.Close('}'); break;
            case GeneratorExp ge: _out.Open('('); GeneratorBody(ge); _out.Close(')'); break;
            case DictComp dc:
                _out.Open('{');
                Test(dc.Key);
                W(": ");
                Test(dc.Value);
                Comprehensions(dc.Generators);
                _out.Close('}');
                break;
            // F-strings are written whole: no line break inside one.
            case JoinedStr js: W(new FStringWriter(_target, _rules).Write("f", js.Values)); break;
            case TemplateStr ts:
                SyntaxNotSupportedException.RequireVersion(_target, PythonVersion.V3_14, "a t-string");
                W(new FStringWriter(_target, _rules).Write("t", ts.Values));
                break;
            case FormattedValue or Interpolation:
                throw new SyntaxNotSupportedException($"{e.PythonName} can only appear inside an f-string or t-string");
            case Slice:
                throw new SyntaxNotSupportedException("a Slice can only appear as a subscript (or an item of a subscript tuple)");
            default:
                throw new SyntaxNotSupportedException($"cannot write {e.PythonName}");
        }
    }

    private void TupleItems(ImmutableArray<ExprNode> elts)
    {
        if (elts.Length == 1)
        {
            Test(elts[0]);
            W(",");
        }
        else Tests(elts);
    }

    private void GeneratorBody(GeneratorExp ge)
    {
        Test(ge.Elt);
        Comprehensions(ge.Generators);
    }

    private void DictItems(Dict d)
    {
        if (d.Keys.Length != d.Values.Length) throw new SyntaxNotSupportedException("Dict keys and values differ in length");
        for (int i = 0; i < d.Keys.Length; i++)
        {
            if (i > 0) W(", ");
            if (d.Keys[i] is { } key)
            {
                Test(key);
                W(": ");
                Test(d.Values[i]);
            }
            else
            {
                W("**");
                Expr(d.Values[i], Precedence.BitOr);
            }
        }
    }

    private void Comprehensions(ImmutableArray<Comprehension> generators)
    {
        if (generators.Length == 0) throw new SyntaxNotSupportedException("a comprehension needs at least one 'for'");
        foreach (var g in generators)
        {
            W(" ");
            At(g);
            W(g.IsAsync != 0 ? "async for " : "for ");
            Expr(g.Target, Precedence.Tuple);
            W(" in ");
            Expr(g.Iter, Precedence.Test + 1);
            foreach (var cond in g.Ifs)
            {
                W(" if ");
                Expr(cond, Precedence.Test + 1);
            }
        }
    }

    /// <summary>The arguments between a call's parentheses (or a class's bases and keywords).</summary>
    public void CallArguments(ImmutableArray<ExprNode> args, ImmutableArray<Keyword> keywords, bool soleGeneratorBare = true)
    {
        // A call's sole generator expression argument needs no parentheses of its own: f(x for x in y)
        // (class bases do not have that form).
        if (soleGeneratorBare && args.Length == 1 && keywords.Length == 0 && args[0] is GeneratorExp ge)
        {
            GeneratorBody(ge);
            return;
        }
        int split = TrailingStarredStart(args);
        int early = KeywordsBeforeStarred(args, split, keywords);
        int positional = early > 0 ? split : args.Length;
        Tests(args.AsSpan(0, positional));
        for (int i = 0; i < keywords.Length; i++)
        {
            if (i > 0 || positional > 0) W(", ");
            var k = keywords[i];
            // A keyword has no op of its own: it goes where its value starts, so `name=` and value stay together.
            At(KeywordPlace(k));
            W(k.Arg is null ? "**" : k.Arg + "=");
            Test(k.Value);
            if (i == early - 1)
                for (int a = split; a < args.Length; a++)
                {
                    W(", ");
                    Test(args[a]);
                }
        }
    }

    private SyntaxNode KeywordPlace(Keyword k) => _lines is not null && _lines.Of(k) == 0 && !IsPlacedByItsName(k.Value) ? k.Value : k;

    /// <summary>Where the starred arguments that end <paramref name="args"/> start (its length when it ends otherwise).</summary>
    private static int TrailingStarredStart(ImmutableArray<ExprNode> args)
    {
        int split = args.Length;
        while (split > 0 && args[split - 1] is Starred) split--;
        return split;
    }

    /// <summary>
    /// How many named keywords go before the starred arguments that end the positional ones: `f(a, k=v, *rest)` keeps
    /// the order of its lines. The call is the same either way (keywords are evaluated after every positional
    /// argument), but a keyword's value written after the starred argument would move below its line.
    /// </summary>
    private int KeywordsBeforeStarred(ImmutableArray<ExprNode> args, int split, ImmutableArray<Keyword> keywords)
    {
        if (_lines is null || split == args.Length) return 0;
        int starredLine = _lines.Of(args[split]) is > 0 and var own ? own : _lines.Of(((Starred)args[split]).Value);
        if (starredLine <= 0) return 0;
        int early = 0;
        while (early < keywords.Length && keywords[early].Arg is not null && _lines.Of(KeywordPlace(keywords[early])) is > 0 and var line && line < starredLine)
            early++;
        return early;
    }

    private void SubscriptSlice(ExprNode slice)
    {
        if (slice is Slice s)
        {
            At(s);
            SliceText(s);
            return;
        }
        if (slice is Tuple { Elts.IsEmpty: false } t)
        {
            // x[a, b] and x[a:b, c] need no parentheses; *a inside needs 3.11 unless parenthesized (then no slices).
            bool starred = t.Elts.Any(x => x is Starred);
            bool slices = t.Elts.Any(x => x is Slice);
            if (starred && _target < PythonVersion.V3_11)
            {
                if (slices) SyntaxNotSupportedException.RequireVersion(_target, PythonVersion.V3_11, "a starred item next to a slice in a subscript");
                At(t);
                Bracketed('(', ')', () => TupleItems(t.Elts));
                return;
            }
            At(t);
            Join(t.Elts, x =>
            {
                if (x is Slice sl)
                {
                    At(sl);
                    SliceText(sl);
                }
                else Test(x);
            });
            if (t.Elts.Length == 1) W(",");
            return;
        }
        if (slice is Constant { Value: PyTuple { Items.Length: > 0 } folded })
        {
            // x[1, 2] as the compiler folded it: the items without the tuple's parentheses, as written.
            At(slice);
            Join(folded.Items, item => Expr(SyntaxFactory.Constant(item), Precedence.Test));
            if (folded.Items.Length == 1) W(",");
            return;
        }
        Expr(slice, Precedence.Test);
    }

    private void SliceText(Slice s)
    {
        if (s.Lower is not null) Test(s.Lower);
        W(":");
        if (s.Upper is not null) Test(s.Upper);
        if (s.Step is not null)
        {
            W(":");
            Test(s.Step);
        }
    }

    private static bool HasParameters(Arguments a) =>
        a.Posonlyargs.Length + a.Args.Length + a.Kwonlyargs.Length > 0 || a.Vararg is not null || a.Kwarg is not null;

    /// <summary>Parameters: <c>a, /, b=1, *args, c, d=2, **kw</c>; lambdas have no annotations.</summary>
    public void Arguments(Arguments a, bool lambda)
    {
        var all = a.Posonlyargs.AddRange(a.Args);
        if (a.Defaults.Length > all.Length) throw new SyntaxNotSupportedException("more defaults than positional parameters");
        if (a.KwDefaults.Length != a.Kwonlyargs.Length) throw new SyntaxNotSupportedException("kw_defaults and kwonlyargs differ in length");
        bool first = true;
        void Next()
        {
            if (!first) W(", ");
            first = false;
        }
        int firstDefault = all.Length - a.Defaults.Length;
        for (int i = 0; i < all.Length; i++)
        {
            Next();
            if (i >= firstDefault) AtDefault(all[i], a.Defaults[i - firstDefault]);
            Param(all[i], lambda);
            if (i >= firstDefault)
            {
                W(all[i].Annotation is null ? "=" : " = ");
                Test(a.Defaults[i - firstDefault]);
            }
            if (i == a.Posonlyargs.Length - 1)
            {
                Next();
                W("/");
            }
        }
        if (a.Vararg is not null)
        {
            Next();
            At(a.Vararg);
            W("*");
            Param(a.Vararg, lambda);
        }
        else if (a.Kwonlyargs.Length > 0)
        {
            Next();
            W("*");
        }
        for (int i = 0; i < a.Kwonlyargs.Length; i++)
        {
            Next();
            if (a.KwDefaults[i] is { } kd) AtDefault(a.Kwonlyargs[i], kd);
            Param(a.Kwonlyargs[i], lambda);
            if (a.KwDefaults[i] is { } d)
            {
                W(a.Kwonlyargs[i].Annotation is null ? "=" : " = ");
                Test(d);
            }
        }
        if (a.Kwarg is not null)
        {
            Next();
            At(a.Kwarg);
            W("**");
            Param(a.Kwarg, lambda);
        }
    }

    /// <summary>A parameter without a line of its own goes where its default starts, so `name=value` stays together.</summary>
    private void AtDefault(Arg p, ExprNode value)
    {
        if (_lines is not null && p.Annotation is null && _lines.Of(p) == 0 && !IsPlacedByItsName(value)) At(value);
    }

    private void Param(Arg p, bool lambda)
    {
        if (p.Annotation is not null && lambda) throw new SyntaxNotSupportedException("lambda parameters cannot have annotations");
        At(p);
        W(p.ArgName);
        if (p.Annotation is null) return;
        // *args: *Ts is an annotation form (3.11+) that is a Starred; it needs no parentheses.
        W(": ");
        Test(p.Annotation);
    }

    public void TypeParams(IReadOnlyList<TypeParamNode> ps)
    {
        if (ps.Count == 0) return;
        SyntaxNotSupportedException.RequireVersion(_target, PythonVersion.V3_12, "type parameters");
        Bracketed('[', ']', () => Join(ps, TypeParam));
    }

    private void TypeParam(TypeParamNode p)
    {
        At(p);
        ExprNode? dflt;
        switch (p)
        {
            case TypeVar tv:
                W(tv.Name);
                if (tv.Bound is not null)
                {
                    W(": ");
                    Test(tv.Bound);
                }
                dflt = tv.DefaultValue;
                break;
            case ParamSpec ps: W("**" + ps.Name); dflt = ps.DefaultValue; break;
            case TypeVarTuple tvt: W("*" + tvt.Name); dflt = tvt.DefaultValue; break;
            default: throw new SyntaxNotSupportedException($"cannot write {p.PythonName}");
        }
        if (dflt is null) return;
        SyntaxNotSupportedException.RequireVersion(_target, PythonVersion.V3_13, "type parameter defaults");
        W(" = ");
        Test(dflt);
    }

    /// <summary>A case pattern (top level: <c>p as x</c> and <c>a | b</c> without parentheses).</summary>
    public void Pattern(PatternNode p) => Pattern(p, Precedence.NamedExpr);

    /// <summary>Patterns: <c>a | b</c> binds at BitOr, <c>p as x</c> at Test; sub-patterns need more.</summary>
    private void Pattern(PatternNode p, Precedence context)
    {
        var level = p switch
        {
            MatchAs { Pattern: not null, Name: null } => throw new SyntaxNotSupportedException("MatchAs with a pattern needs a name"),
            MatchAs { Pattern: not null } => Precedence.Test,
            MatchOr { Patterns.Length: < 2 } => throw new SyntaxNotSupportedException("MatchOr needs at least two patterns"),
            MatchOr => Precedence.BitOr,
            _ => Precedence.Atom,
        };
        bool parenthesized = OpenWrapped(p, level < context);
        switch (p)
        {
            case MatchValue v: Expr(v.Value, Precedence.BitOr + 1); break;
            case MatchSingleton s: W(_constants.Write(s.Value).Text); break;
            case MatchSequence s: Bracketed('[', ']', () => Join(s.Patterns, x => Pattern(x, Precedence.Test))); break;
            case MatchStar s: W("*" + (s.Name ?? "_")); break;
            case MatchMapping m: Bracketed('{', '}', () => MappingItems(m)); break;
            case MatchClass c: ClassPattern(c); break;
            case MatchAs { Pattern: null } a: W(a.Name ?? "_"); break;
            case MatchAs a: Pattern(a.Pattern!, Precedence.BitOr); W(" as " + a.Name); break;
            case MatchOr o: Join(o.Patterns, x => Pattern(x, Precedence.BitOr + 1), " | "); break;
            default: throw new SyntaxNotSupportedException($"cannot write {p.PythonName}");
        }
        CloseWrapped(parenthesized);
    }

    private void MappingItems(MatchMapping m)
    {
        if (m.Keys.Length != m.Patterns.Length) throw new SyntaxNotSupportedException("MatchMapping keys and patterns differ in length");
        for (int i = 0; i < m.Keys.Length; i++)
        {
            if (i > 0) W(", ");
            Expr(m.Keys[i], Precedence.BitOr + 1);
            W(": ");
            Pattern(m.Patterns[i], Precedence.Test);
        }
        if (m.Rest is not null) W((m.Keys.Length > 0 ? ", **" : "**") + m.Rest);
    }

    private void ClassPattern(MatchClass c)
    {
        if (c.KwdAttrs.Length != c.KwdPatterns.Length) throw new SyntaxNotSupportedException("MatchClass kwd_attrs and kwd_patterns differ in length");
        Expr(c.Cls, Precedence.Atom);
        Bracketed('(', ')', () =>
        {
            Join(c.Patterns, x => Pattern(x, Precedence.Test));
            for (int i = 0; i < c.KwdAttrs.Length; i++)
            {
                if (i > 0 || c.Patterns.Length > 0) W(", ");
                W(c.KwdAttrs[i] + "=");
                Pattern(c.KwdPatterns[i], Precedence.Test);
            }
        });
    }
}
