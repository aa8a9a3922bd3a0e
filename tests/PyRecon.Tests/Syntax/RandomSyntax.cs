using System.Collections.Immutable;
using System.Numerics;
using System.Text;
using PyRecon.Model;
using PyRecon.Syntax;
using static PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Tests.Syntax;

/// <summary>
/// Random well-formed modules for one Python version: only syntax that version has, and only trees that
/// ast.parse gives back unchanged (no negative number constants: those parse as UnaryOp; no tuple constants;
/// no adjacent or empty string parts in f-strings; await/async only in async functions; return and yield only
/// in functions; break/continue only in loops). The size is a budget of nodes, so it controls the tree size.
/// </summary>
internal sealed class RandomSyntax(int seed, PythonVersion version, int size)
{
    private readonly Random _r = new(seed);
    private int _budget = size;
    private bool _inFunction, _inAsync, _inLoop, _inComprehension;
    private int _fstringDepth;

    // Soft keywords (match, case, type, _) are plain names outside their statements.
    private static readonly string[] Names = ["a", "b", "c", "x", "y", "z", "f", "g", "value", "é", "match", "case", "type", "_"];
    private static readonly string[] Attrs = ["real", "attr", "b", "x"];

    private bool Chance(double p) => _r.NextDouble() < p;
    private T Pick<T>(IReadOnlyList<T> items) => items[_r.Next(items.Count)];
    private bool Spend(int n = 1) { _budget -= n; return _budget > 0; }
    private bool Since(PythonVersion v) => version >= v;

    public Module Module() => SyntaxFactory.Module(Block(top: true));

    private ImmutableArray<T> Many<T>(int min, int max, Func<T> make)
    {
        int n = _r.Next(min, max + 1);
        var b = ImmutableArray.CreateBuilder<T>(n);
        for (int i = 0; i < n; i++) b.Add(make());
        return b.MoveToImmutable();
    }

    private ImmutableArray<StmtNode> Block(bool top = false) =>
        Many(1, top ? 5 : _budget > 10 ? 3 : 1, Statement);

    // ---- statements -------------------------------------------------------------------------------------

    private StmtNode Statement()
    {
        if (!Spend()) return Chance(0.5) ? Pass() : Expr(Leaf());
        while (true)
        {
            switch (_r.Next(30))
            {
                case 0: return Expr(Chance(0.3) ? Str() : E(2));
                case 1: return Assign(Many(1, 2, () => Target(1)), E(2));
                case 2: return AugAssign(SimpleTarget(), (Operator)_r.Next(13), E(2));
                case 3:
                {
                    var t = SimpleTarget();
                    int simple = t is Name && Chance(0.7) ? 1 : 0;
                    return AnnAssign(t, E(1), Chance(0.5) ? E(1) : null, simple);
                }
                case 4 when _inFunction: return Return(Chance(0.7) ? E(2) : null);
                case 5: return Delete(Many(1, 2, DelTarget));
                case 6: return Pass();
                case 7 when _inLoop: return Chance(0.5) ? Break() : Continue();
                case 8: return Chance(0.5) || !_inFunction ? Global(Many(1, 2, () => Pick(Names))) : Nonlocal(Many(1, 2, () => Pick(Names)));
                case 9: return Assert(E(2), Chance(0.5) ? E(1) : null);
                case 10: return Chance(0.2) ? Raise() : Raise(E(1), Chance(0.4) ? E(1) : null);
                case 11: return Import(Many(1, 2, () => Alias(Pick(["os", "a.b.c", "m"]), Chance(0.4) ? Pick(Names) : null)));
                case 12:
                {
                    int level = _r.Next(0, 3);
                    string? module = level == 0 || Chance(0.5) ? Pick(["os", "a.b", "m"]) : null;
                    var names = Chance(0.15) ? [Alias("*")] : Many(1, 3, () => Alias(Pick(Names), Chance(0.3) ? Pick(Names) : null));
                    return ImportFrom(module, names, level);
                }
                case 13: return If(E(2), Block(), Chance(0.5) ? (Chance(0.5) ? [If(E(1), Block(), Chance(0.5) ? Block() : default)] : Block()) : default);
                case 14: return Loop(() => While(E(2), Block(), Chance(0.3) ? Block() : default));
                case 15: return Loop(() => For(Target(1), E(2), Block(), Chance(0.3) ? Block() : default));
                case 16 when _inAsync: return Loop(() => AsyncFor(Target(1), E(2), Block(), Chance(0.3) ? Block() : default));
                case 17: return With(Many(1, 2, WithItem), Block());
                case 18 when _inAsync: return AsyncWith(Many(1, 2, WithItem), Block());
                case 19:
                {
                    var body = Block();
                    var handlers = Many(Chance(0.3) ? 0 : 1, 2, () => Handler(star: false));
                    var orelse = handlers.IsEmpty || !Chance(0.3) ? default : Block();
                    var finalbody = handlers.IsEmpty || Chance(0.3) ? Block() : default;
                    return Try(body, handlers, orelse, finalbody);
                }
                case 20 when Since(PythonVersion.V3_11):
                    return TryStar(NoJumps(() => Block()), Many(1, 2, () => Handler(star: true)), Chance(0.3) ? NoJumps(() => Block()) : default, Chance(0.3) ? NoJumps(() => Block()) : default);
                case 21: case 22: return Function(async: false);
                case 23: return Function(async: true);
                case 24: return Class();
                case 25 when Since(PythonVersion.V3_10): return MatchStatement();
                case 26 when Since(PythonVersion.V3_12): return TypeAlias(Name(Pick(Names), ExprContext.Store), TypeParams(), E(2));
                case 27: return Expr(Str());
                default: continue;
            }
        }
    }

    private StmtNode Loop(Func<StmtNode> make)
    {
        bool saved = _inLoop;
        _inLoop = true;
        try { return make(); } finally { _inLoop = saved; }
    }

    private ImmutableArray<StmtNode> NoJumps(Func<ImmutableArray<StmtNode>> make)
    {
        // break/continue/return cannot appear in except* blocks (a compile-time error we keep away from).
        (bool f, bool l, bool a) = (_inFunction, _inLoop, _inAsync);
        _inFunction = _inLoop = _inAsync = false;
        try { return make(); } finally { (_inFunction, _inLoop, _inAsync) = (f, l, a); }
    }

    private Withitem WithItem() => Withitem(E(2), Chance(0.4) ? Target(1) : null);

    private ExcepthandlerNode Handler(bool star)
    {
        ExprNode? type = star || Chance(0.7) ? (Chance(0.3) ? Tuple([Name("A"), Name("B")]) : Name(Pick(["E", "A"]))) : null;
        var body = star ? NoJumps(() => Block()) : Block();
        return ExceptHandler(type, type is not null && Chance(0.5) ? Pick(Names) : null, body);
    }

    private StmtNode Function(bool async)
    {
        var decorators = Many(0, 2, Decorator);
        var name = Pick(Names);
        var args = Args(lambda: false);
        var returns = Chance(0.3) ? E(1) : null;
        var typeParams = TypeParams();
        (bool f, bool l, bool a) = (_inFunction, _inLoop, _inAsync);
        (_inFunction, _inLoop, _inAsync) = (true, false, async);
        try
        {
            var body = Block();
            return async ? AsyncFunctionDef(name, args, body, decorators, returns, null, typeParams)
                         : FunctionDef(name, args, body, decorators, returns, null, typeParams);
        }
        finally { (_inFunction, _inLoop, _inAsync) = (f, l, a); }
    }

    private ExprNode Decorator() =>
        Since(PythonVersion.V3_9) ? E(2)
        : Chance(0.5) ? Attribute(Name("a"), Pick(Attrs)) : Call(Name(Pick(Names)), Many(0, 2, () => E(1)));

    private StmtNode Class()
    {
        var decorators = Many(0, 2, Decorator);
        var bases = Many(0, 2, () => Chance(0.2) ? Starred(Name(Pick(Names))) : E(1));
        var keywords = Keywords();
        var typeParams = TypeParams();
        (bool f, bool l, bool a) = (_inFunction, _inLoop, _inAsync);
        (_inFunction, _inLoop, _inAsync) = (false, false, false);
        try { return ClassDef(Pick(["C", "D"]), bases, keywords, Block(), decorators, typeParams); }
        finally { (_inFunction, _inLoop, _inAsync) = (f, l, a); }
    }

    private ImmutableArray<TypeParamNode> TypeParams()
    {
        if (!Since(PythonVersion.V3_12) || !Chance(0.3)) return [];
        var names = new[] { "T", "U", "P", "Ts" }.OrderBy(_ => _r.Next()).Take(_r.Next(1, 4)).ToList();
        bool defaults = false;
        var list = new List<TypeParamNode>();
        foreach (var n in names)
        {
            // Defaults (3.13+) must be trailing.
            defaults |= Since(PythonVersion.V3_13) && Chance(0.3);
            var d = defaults ? E(1) : null;
            list.Add(_r.Next(3) switch
            {
                0 => TypeVar(n, Chance(0.3) ? E(1) : null, d),
                1 => ParamSpec(n, d),
                _ => TypeVarTuple(n, d),
            });
        }
        return [.. list];
    }

    private Arguments Args(bool lambda)
    {
        var pool = new Queue<string>(new[] { "p", "q", "r", "s", "t", "u", "v", "w", "k", "m" }.OrderBy(_ => _r.Next()));
        Arg A() => Arg(pool.Dequeue(), !lambda && Chance(0.3) ? E(1) : null);
        var posonly = Many(0, Chance(0.3) ? 2 : 0, A);
        var args = Many(0, 2, A);
        var vararg = Chance(0.3) ? A() : null;
        // *args: *Ts (3.11+) annotates with a starred expression.
        if (vararg is not null && !lambda && Since(PythonVersion.V3_11) && Chance(0.3)) vararg = vararg.WithAnnotation(Starred(Name("Ts")));
        var kwonly = Many(0, 2, A);
        var kwDefaults = kwonly.Select(_ => Chance(0.5) ? E(1) : null).ToImmutableArray();
        var kwarg = Chance(0.3) ? A() : null;
        int positional = posonly.Length + args.Length;
        var defaults = Many(0, positional, () => E(1));
        return Arguments(posonly, args, vararg, kwonly, kwDefaults, kwarg, defaults);
    }

    private ImmutableArray<Keyword> Keywords()
    {
        var names = new[] { "key", "metaclass", "n" }.OrderBy(_ => _r.Next()).Take(_r.Next(0, 3));
        var list = names.Select(n => Keyword(n, E(1))).ToList();
        if (Chance(0.2)) list.Add(Keyword(null, E(1)));
        return [.. list];
    }

    // ---- match ------------------------------------------------------------------------------------------

    private StmtNode MatchStatement() =>
        Match(E(1), Many(1, 3, () => MatchCase(Pattern(2, top: true), Chance(0.3) ? E(1) : null, Block())));

    private PatternNode Pattern(int depth, bool top = false)
    {
        Spend();
        if (depth <= 0 || _budget <= 0) return PatternLeaf();
        switch (_r.Next(7))
        {
            case 0: return MatchSequence(Many(0, 3, () => Pattern(depth - 1)).AddRange(Chance(0.3) ? ImmutableArray.Create<PatternNode>(MatchStar(Chance(0.5) ? "rest" : null)) : ImmutableArray<PatternNode>.Empty));
            case 1:
            {
                var keys = new[] { 1, 2, 3 }.Take(_r.Next(0, 3)).Select(k => (ExprNode)Constant(new PyInt(k))).ToImmutableArray();
                return MatchMapping(keys, keys.Select(_ => Pattern(depth - 1)).ToImmutableArray(), Chance(0.3) ? "rest" : null);
            }
            case 2:
            {
                var attrs = new[] { "x", "y" }.Take(_r.Next(0, 3)).ToImmutableArray();
                return MatchClass(Chance(0.5) ? Name("C") : Attribute(Name("m"), "C"), Many(0, 2, () => Pattern(depth - 1)), attrs, attrs.Select(_ => Pattern(depth - 1)).ToImmutableArray());
            }
            case 3: return MatchAs(Pattern(depth - 1), Pick(["n", "m2"]));
            case 4: return MatchOr(Many(2, 3, () => Pattern(depth - 1)));
            default: return PatternLeaf();
        }
    }

    private PatternNode PatternLeaf() => _r.Next(7) switch
    {
        0 => MatchValue(Constant(new PyInt(_r.Next(100)))),
        1 => MatchValue(UnaryOp(Unaryop.USub, Constant(new PyInt(_r.Next(100))))),
        2 => MatchValue(Constant(new PyStr(RandomText(4, simple: true)))),
        3 => MatchValue(Attribute(Name("m"), Pick(Attrs))),
        4 => MatchSingleton(Pick<PyObject>([PyNone.Instance, PyBool.True, PyBool.False])),
        5 => MatchAs(null, Pick(["n", "m2", "cap"])),
        _ => MatchValue(BinOp(Constant(new PyInt(1)), Operator.Add, Constant(new PyComplex(0, 2)))),
    };

    // ---- targets ----------------------------------------------------------------------------------------

    private ExprNode SimpleTarget() => _r.Next(3) switch
    {
        0 => Attribute(E(1, atom: true), Pick(Attrs), ExprContext.Store),
        1 => Subscript(E(1, atom: true), E(1), ExprContext.Store),
        _ => Name(Pick(Names), ExprContext.Store),
    };

    private ExprNode Target(int depth)
    {
        if (depth <= 0 || !Chance(0.3)) return SimpleTarget();
        var items = Many(1, 3, () => Target(depth - 1)).ToList();
        if (Chance(0.3)) items.Insert(_r.Next(items.Count + 1), Starred(Name(Pick(Names), ExprContext.Store), ExprContext.Store));
        return Chance(0.5) ? Tuple([.. items], ExprContext.Store) : List([.. items], ExprContext.Store);
    }

    private ExprNode DelTarget() => _r.Next(4) switch
    {
        0 => Attribute(E(1, atom: true), Pick(Attrs), ExprContext.Del),
        1 => Subscript(E(1, atom: true), E(1), ExprContext.Del),
        2 => Tuple([Name("a", ExprContext.Del), Name("b", ExprContext.Del)], ExprContext.Del),
        _ => Name(Pick(Names), ExprContext.Del),
    };

    // ---- expressions ------------------------------------------------------------------------------------

    private ExprNode Leaf() => _r.Next(10) switch
    {
        < 5 => Name(Pick(Names)),
        _ => Constant(ConstantValue()),
    };

    private PyObject ConstantValue()
    {
        bool inField = _fstringDepth > 0 && !Since(PythonVersion.V3_12);
        switch (_r.Next(12))
        {
            case 0: return new PyInt(_r.Next(0, 1000));
            case 1: return new PyInt(BigInteger.Pow(10, _r.Next(10, 60)) + _r.Next(1000));
            case 2: return new PyFloat(Pick(new[] { 0.0, 1.5, 1e16, 1e-5, 1e22, 0.1, 123456.789, double.PositiveInfinity, double.Epsilon, double.MaxValue }));
            case 3:
                double d;
                do d = BitConverter.Int64BitsToDouble(_r.NextInt64() & long.MaxValue); while (!double.IsFinite(d));
                return new PyFloat(d);
            case 4: return new PyComplex(0, Pick(new[] { 0.0, 1.0, 2.5, 1e300, double.PositiveInfinity }));
            case 5: return Pick<PyObject>([PyNone.Instance, PyBool.True, PyBool.False, PyEllipsis.Instance]);
            case 6: case 7: return new PyStr(RandomText(8, simple: inField));
            case 8 when !inField || _fstringDepth < 2:
                return new PyBytes([.. Enumerable.Range(0, _r.Next(6)).Select(_ => inField ? (byte)_r.Next('a', 'z') : (byte)_r.Next(256))]);
            default: return new PyInt(_r.Next(0, 10));
        }
    }

    private static readonly string[] Pieces = ["a", "b", "Z", " ", "'", "\"", "\\", "\n", "\t", "\0", "é", "中", "😀", "\u200b", "\ud800", "{", "}", "\x7f", "'''", "\r"];

    private string RandomText(int max, bool simple)
    {
        var sb = new StringBuilder();
        int n = _r.Next(max + 1);
                // "simple" text (for replacement fields before 3.12) still has quotes, which decide the quoting there.
        for (int i = 0; i < n; i++) sb.Append(simple ? Pick(new[] { "a", "b", " ", "x", "é", "{", "}", "'", "\"" }) : Pick(Pieces));
        return sb.ToString();
    }

    private ExprNode Str()
    {
        bool inField = _fstringDepth > 0 && !Since(PythonVersion.V3_12);
        if (inField && _fstringDepth >= 2) return Name("s");
        // kind 'u' is what ast.parse records for a u'' literal.
        return Constant(new PyStr(RandomText(12, simple: inField)), Chance(0.1) ? "u" : null);
    }

    /// <summary>An expression; <paramref name="atom"/> keeps it simple (for attribute owners and such).</summary>
    private ExprNode E(int depth, bool atom = false)
    {
        if (depth <= 0 || !Spend()) return Leaf();
        if (atom) return _r.Next(3) switch { 0 => Name(Pick(Names)), 1 => Call(Name("f"), []), _ => Attribute(Name("a"), "b") };
        while (true)
        {
            switch (_r.Next(34))
            {
                case 0: case 1: return Leaf();
                case 2: return UnaryOp((Unaryop)_r.Next(4), E(depth - 1));
                case 3: case 4: return BinOp(E(depth - 1), (Operator)_r.Next(13), E(depth - 1));
                case 5: return BoolOp((Boolop)_r.Next(2), Many(2, 3, () => E(depth - 1)));
                case 6:
                {
                    var ops = Many(1, 3, () => (Cmpop)_r.Next(10));
                    return Compare(E(depth - 1), ops, ops.Select(_ => E(depth - 1)).ToImmutableArray());
                }
                case 7: return IfExp(E(depth - 1), E(depth - 1), E(depth - 1));
                case 8: return Lambda(Args(lambda: true), E(depth - 1));
                case 9: return NamedExpr(Name(Pick(Names), ExprContext.Store), E(depth - 1));
                case 10: case 11:
                {
                    var args = Many(0, 3, () => Chance(0.2) ? Starred(E(depth - 1)) : E(depth - 1));
                    if (args.Length == 0 && Chance(0.3)) args = [Comprehension(depth, (elt, gens) => GeneratorExp(elt, gens))];
                    return Call(E(depth - 1, atom: Chance(0.5)), args, Keywords());
                }
                case 12: return Attribute(E(depth - 1), Pick(Attrs));
                case 13: case 14: return Subscript(E(depth - 1), SliceExpr(depth - 1));
                case 15: return List(Elements(depth));
                case 16: return Tuple(Elements(depth));
                case 17:
                    var elts = Elements(depth);
                    return elts.IsEmpty ? Set([E(depth - 1)]) : Set(elts);
                case 18:
                {
                    var keys = Many(0, 3, () => Chance(0.2) ? null : E(depth - 1));
                    return Dict(keys, keys.Select(_ => E(depth - 1)).ToImmutableArray());
                }
                case 19: return Comprehension(depth, (elt, gens) => ListComp(elt, gens));
                case 20: return Comprehension(depth, (elt, gens) => SetComp(elt, gens));
                case 21: return Comprehension(depth, (elt, gens) => GeneratorExp(elt, gens));
                case 22:
                {
                    var key = E(depth - 1);
                    return Comprehension(depth, (value, gens) => DictComp(key, value, gens));
                }
                case 23: case 24: return FString(depth);
                case 25 when Since(PythonVersion.V3_14): return TString(depth);
                case 26 when _inAsync: return Await(E(depth - 1));
                case 27 when _inFunction && !_inComprehension: return Chance(0.5) ? Yield(Chance(0.7) ? E(depth - 1) : null) : YieldFrom(E(depth - 1));
                case 28: return Constant(ConstantValue());
                case 29: return Attribute(Constant(new PyInt(_r.Next(10))), "real");
                case 30: return Str();
                default: continue;
            }
        }
    }

    private ImmutableArray<ExprNode> Elements(int depth) => Many(0, 3, () => Chance(0.2) ? Starred(E(depth - 1)) : E(depth - 1));

    private ExprNode SliceExpr(int depth)
    {
        ExprNode Part() => _r.Next(4) switch
        {
            0 => Slice(Chance(0.5) ? E(depth) : null, Chance(0.5) ? E(depth) : null, Chance(0.3) ? E(depth) : null),
            1 when Since(PythonVersion.V3_11) => Starred(E(depth)),
            _ => E(depth),
        };
        if (!Chance(0.4)) return Chance(0.5) ? Slice(Chance(0.5) ? E(depth) : null, Chance(0.5) ? E(depth) : null, Chance(0.3) ? E(depth) : null) : E(depth);
        return Tuple(Many(1, 3, Part));
    }

    private ExprNode Comprehension(int depth, Func<ExprNode, ImmutableArray<Comprehension>, ExprNode> make)
    {
        bool saved = _inComprehension;
        _inComprehension = true;
        try
        {
            var elt = E(depth - 1);
            var gens = Many(1, 2, () => SyntaxFactory.Comprehension(
                Chance(0.7) ? Name(Pick(Names), ExprContext.Store) : Tuple([Name("i", ExprContext.Store), Name("j", ExprContext.Store)], ExprContext.Store),
                E(depth - 1), Many(0, 2, () => E(depth - 1)), _inAsync && Chance(0.3) ? 1 : 0));
            return make(elt, gens);
        }
        finally { _inComprehension = saved; }
    }

    private ExprNode FString(int depth) => JoinedStr(TemplateParts(depth, template: false));

    private ExprNode TString(int depth) => TemplateStr(TemplateParts(depth, template: true));

    private ImmutableArray<ExprNode> TemplateParts(int depth, bool template)
    {
        var parts = new List<ExprNode>();
        int n = _r.Next(0, 4);
        bool lastWasText = false;
        bool nested = _fstringDepth > 0;
        for (int i = 0; i < n; i++)
        {
            if (!lastWasText && Chance(0.5))
            {
                var text = RandomText(6, simple: nested && !Since(PythonVersion.V3_12));
                if (text.Length > 0) { parts.Add(Constant(new PyStr(text))); lastWasText = true; continue; }
            }
            parts.Add(Field(depth, template));
            lastWasText = false;
        }
        return [.. parts];
    }

    private ExprNode Field(int depth, bool template)
    {
        _fstringDepth++;
        try
        {
            // Before 3.12 a field nested two f-strings deep has no quote left for strings: keep it to names.
            var value = _fstringDepth > 2 || (_fstringDepth > 1 && !Since(PythonVersion.V3_12)) ? Name(Pick(Names)) : E(depth - 1);
            int conversion = Pick(new[] { -1, -1, 's', 'r', 'a' });
            JoinedStr? spec = _r.Next(6) switch
            {
                0 => JoinedStr([Constant(new PyStr(">10"))]),
                // 3.12 (only) parses a spec ending in a field with an extra Constant(''); avoid that shape there.
                1 when version != PythonVersion.V3_12 => JoinedStr([Constant(new PyStr(">")), FormattedValue(Name("w"), -1)]),
                2 => JoinedStr([FormattedValue(Name("w"), -1), Constant(new PyStr("<"))]),
                _ => null,
            };
            if (template)
            {
                // CPython 3.14.2 cuts Interpolation.str at a "!=" when a format spec follows and there is no
                // conversion (t'{a != b:>10}' gets str='a'): keep that shape out.
                if (spec is not null && conversion == -1 && PythonFormatter.InterpolationText(value).Contains("!=")) value = Name(Pick(Names));
                var text = PythonFormatter.InterpolationText(value);
                // Fields nested in a t-string's format spec are FormattedValue, as CPython parses them.
                return Interpolation(value, new PyStr(text), conversion, spec);
            }
            return FormattedValue(value, conversion, spec);
        }
        finally { _fstringDepth--; }
    }
}
