using System.Collections.Immutable;
using System.Numerics;
using PyRecon.Model;
using PyRecon.Syntax;
using static PyRecon.Syntax.SyntaxFactory;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>Exact text for the cases where parentheses, quotes or literals are easy to get wrong.
/// (That the text parses back to the same tree is the round-trip property's job.)</summary>
public sealed class PythonFormatterTests
{
    private static readonly PythonVersion V314 = PythonVersion.V3_14, V311 = PythonVersion.V3_11;
    private static ExprNode N(string id) => Name(id);
    private static ExprNode I(long v) => Constant(new PyInt(v));
    private static string F(ExprNode e, PythonVersion? v = null) => PythonFormatter.FormatExpression(e, v ?? V314);
    private static string S(PythonVersion v, params StmtNode[] body) => PythonFormatter.Format(Module([.. body]), v);

    public static TheoryData<string, ExprNode> Parentheses => new()
    {
        { "-x ** 2", UnaryOp(Unaryop.USub, BinOp(N("x"), Operator.Pow, I(2))) },
        { "(-x) ** 2", BinOp(UnaryOp(Unaryop.USub, N("x")), Operator.Pow, I(2)) },
        { "(-1) ** 2", BinOp(I(-1), Operator.Pow, I(2)) },
        { "2 ** -x", BinOp(I(2), Operator.Pow, UnaryOp(Unaryop.USub, N("x"))) },
        { "(a ** b) ** c", BinOp(BinOp(N("a"), Operator.Pow, N("b")), Operator.Pow, N("c")) },
        { "a ** b ** c", BinOp(N("a"), Operator.Pow, BinOp(N("b"), Operator.Pow, N("c"))) },
        { "a - (b - c)", BinOp(N("a"), Operator.Sub, BinOp(N("b"), Operator.Sub, N("c"))) },
        { "a - b - c", BinOp(BinOp(N("a"), Operator.Sub, N("b")), Operator.Sub, N("c")) },
        { "(a + b) * c", BinOp(BinOp(N("a"), Operator.Add, N("b")), Operator.Mult, N("c")) },
        { "(1).real", Attribute(I(1), "real") },
        { "(-1).real", Attribute(I(-1), "real") },
        { "1.5.real", Attribute(Constant(new PyFloat(1.5)), "real") },
        { "(a < b) < c", Compare(Compare(N("a"), [Cmpop.Lt], [N("b")]), [Cmpop.Lt], [N("c")]) },
        { "a < b < c", Compare(N("a"), [Cmpop.Lt, Cmpop.Lt], [N("b"), N("c")]) },
        { "not a == b", UnaryOp(Unaryop.Not, Compare(N("a"), [Cmpop.Eq], [N("b")])) },
        { "(not a) == b", Compare(UnaryOp(Unaryop.Not, N("a")), [Cmpop.Eq], [N("b")]) },
        { "a or b and c", BoolOp(Boolop.Or, [N("a"), BoolOp(Boolop.And, [N("b"), N("c")])]) },
        { "(a or b) or c", BoolOp(Boolop.Or, [BoolOp(Boolop.Or, [N("a"), N("b")]), N("c")]) },
        { "(lambda: 1) if a else b", IfExp(N("a"), Lambda(Arguments(), I(1)), N("b")) },
        { "lambda: a if b else c", Lambda(Arguments(), IfExp(N("b"), N("a"), N("c"))) },
        { "a if b else c if d else e", IfExp(N("b"), N("a"), IfExp(N("d"), N("c"), N("e"))) },
        { "(a if b else c) if d else e", IfExp(N("d"), IfExp(N("b"), N("a"), N("c")), N("e")) },
        { "await x ** 2", BinOp(Await(N("x")), Operator.Pow, I(2)) },
        { "await (x + 1)", Await(BinOp(N("x"), Operator.Add, I(1))) },
        { "f(x for x in y)", Call(N("f"), [GeneratorExp(N("x"), [Comprehension(Name("x", ExprContext.Store), N("y"), [], 0)])]) },
        { "f((x for x in y), 1)", Call(N("f"), [GeneratorExp(N("x"), [Comprehension(Name("x", ExprContext.Store), N("y"), [], 0)]), I(1)]) },
        { "f((yield))", Call(N("f"), [Yield()]) },
        { "f(*a, *b, k=1, **c)", Call(N("f"), [Starred(N("a")), Starred(N("b"))], [Keyword("k", I(1)), Keyword(null, N("c"))]) },
        { "x[1, 2]", Subscript(N("x"), Tuple([I(1), I(2)])) },
        { "x[1:2, ::3]", Subscript(N("x"), Tuple([Slice(I(1), I(2)), Slice(null, null, I(3))])) },
        { "x[()]", Subscript(N("x"), Tuple([])) },
        { "x[1,]", Subscript(N("x"), Tuple([I(1)])) },
        { "x[*a, b]", Subscript(N("x"), Tuple([Starred(N("a")), N("b")])) },
        { "(a, b)", Tuple([N("a"), N("b")]) },
        { "(a,)", Tuple([N("a")]) },
        { "[*a, (b, c)]", List([Starred(N("a")), Tuple([N("b"), N("c")])]) },
        { "{**a, 'k': (b := 1)}", Dict([null, Constant(new PyStr("k"))], [N("a"), NamedExpr(Name("b", ExprContext.Store), I(1))]) },
        { "{*()}", Set([]) },
        { "*(a or b)", Starred(BoolOp(Boolop.Or, [N("a"), N("b")])) },
        { "lambda a, /, b=1, *c, d, e=2, **f: 0",
          Lambda(Arguments([Arg("a")], [Arg("b")], Arg("c"), [Arg("d"), Arg("e")], [null, I(2)], Arg("f"), [I(1)]), I(0)) },
        { "lambda *, k: k", Lambda(Arguments(kwonlyargs: [Arg("k")], kwDefaults: [null]), N("k")) },
        { "--1", UnaryOp(Unaryop.USub, I(-1)) }, // a folded -1 under a minus: same value, no parentheses needed
        { "--1", UnaryOp(Unaryop.USub, UnaryOp(Unaryop.USub, I(1))) },
    };

    [Theory]
    [MemberData(nameof(Parentheses))]
    public void ParenthesesOnlyWhereNeeded(string expected, ExprNode tree)
        => Assert.Equal(expected, F(tree));

    public static TheoryData<string, PyObject> Literals => new()
    {
        { "'abc'", new PyStr("abc") },
        { "\"it's\"", new PyStr("it's") },
        { "'a\"b\\'c'", new PyStr("a\"b'c") },
        { "'\\ud800\\t\\n\\x00\\x7f\\u200b é😀'", new PyStr("\ud800\t\n\0\x7f\u200b é😀") },
        { "b'\\x00\\'\"\\\\'", new PyBytes([0, (byte)'\'', (byte)'"', (byte)'\\']) },
        { "b\"'\"", new PyBytes([(byte)'\'']) },
        { "123456789012345678901234567890", new PyInt(BigInteger.Parse("123456789012345678901234567890")) },
        { "-5", new PyInt(-5) },
        { "1.0", new PyFloat(1.0) },
        { "0.1", new PyFloat(0.1) },
        { "1e+16", new PyFloat(1e16) },
        { "1000000000000000.0", new PyFloat(1e15) },
        { "0.0001", new PyFloat(0.0001) },
        { "1e-05", new PyFloat(0.00001) },
        { "5e-324", new PyFloat(double.Epsilon) },
        { "1.7976931348623157e+308", new PyFloat(double.MaxValue) },
        { "1e309", new PyFloat(double.PositiveInfinity) },
        { "-1e309", new PyFloat(double.NegativeInfinity) },
        { "(1e309-1e309)", new PyFloat(double.NaN) },
        { "-0.0", new PyFloat(-0.0) },
        { "1j", new PyComplex(0, 1) },
        { "0j", new PyComplex(0, 0) },
        { "-1j", new PyComplex(-0.0, -1) },
        { "(0-1j)", new PyComplex(0, -1) },
        { "(1.5+2j)", new PyComplex(1.5, 2) },
        { "(-1.5-2j)", new PyComplex(-1.5, -2) },
        { "1e309j", new PyComplex(0, double.PositiveInfinity) },
        { "complex(-0.0, 1.0)", new PyComplex(-0.0, 1) },
        { "complex((1e309-1e309), 1.0)", new PyComplex(double.NaN, 1) },
        { "...", PyEllipsis.Instance },
        { "None", PyNone.Instance },
        { "True", PyBool.True },
        { "(1, 'a', (2,), ())", new PyTuple([new PyInt(1), new PyStr("a"), new PyTuple([new PyInt(2)]), PyTuple.Empty]) },
        { "frozenset({1, 2})", new PyFrozenSet([new PyInt(1), new PyInt(2)]) },
        { "frozenset()", new PyFrozenSet([]) },
    };

    [Theory]
    [MemberData(nameof(Literals))]
    public void ConstantsAreExactLiterals(string expected, PyObject value) => Assert.Equal(expected, F(Constant(value)));

    [Fact]
    public void HugeIntsAreWrittenInHexBecausePythonRefusesLongDecimalLiterals()
    {
        var big = BigInteger.Pow(2, 20000) + 1;
        var text = F(Constant(new PyInt(big)));
        Assert.StartsWith("0x1000", text);
        Assert.Equal(big, BigInteger.Parse("0" + text[2..], System.Globalization.NumberStyles.HexNumber));
    }

    [Fact]
    public void FStringQuotesDependOnTheTarget()
    {
        var nested = JoinedStr([Constant(new PyStr("v=")), FormattedValue(Subscript(N("d"), Constant(new PyStr("k"))), 'r', JoinedStr([Constant(new PyStr(">10"))]))]);
        Assert.Equal("f'v={d[\"k\"]!r:>10}'", F(nested, V311));
        Assert.Equal("f'v={d['k']!r:>10}'", F(nested, V314));
        var backslash = JoinedStr([FormattedValue(Constant(new PyStr("\n")), -1)]);
        Assert.Equal("f'{'\\n'}'", F(backslash, PythonVersion.V3_12));
        Assert.Contains("cannot write", Assert.Throws<SyntaxNotSupportedException>(() => F(backslash, V311)).Message);
        // Both single quotes used inside: a triple-quoted f-string still works before 3.12.
        var both = JoinedStr([FormattedValue(Call(N("f"), [Constant(new PyStr("a")), Constant(new PyStr("b\""))]), -1)]);
        Assert.Equal("f'''{f('a', 'b\"')}'''", F(both, V311));
        Assert.Equal("f'{ {1: 2}}{(lambda: 1)}{{x}}'", F(JoinedStr([FormattedValue(Dict([I(1)], [I(2)]), -1), FormattedValue(Lambda(Arguments(), I(1)), -1), Constant(new PyStr("{x}"))])));
        var t = TemplateStr([Interpolation(N("x"), new PyStr("x"), -1)]);
        Assert.Equal("t'{x}'", F(t));
        Assert.Throws<SyntaxNotSupportedException>(() => F(t, PythonVersion.V3_13));
    }

    [Fact]
    public void ConstructsTheTargetLacksAreRefused()
    {
        var match = Match(N("x"), [MatchCase(MatchAs(null, null), null, [Pass()])]);
        Assert.Contains("3.10", Assert.Throws<SyntaxNotSupportedException>(() => S(PythonVersion.V3_9, match)).Message);
        var tryStar = TryStar([Pass()], [ExceptHandler(N("E"), null, [Pass()])]);
        Assert.Throws<SyntaxNotSupportedException>(() => S(PythonVersion.V3_10, tryStar));
        var alias = TypeAlias(Name("T", ExprContext.Store), [], N("int"));
        Assert.Throws<SyntaxNotSupportedException>(() => S(V311, alias));
        var generic = FunctionDef("f", Arguments(), [Pass()], typeParams: [TypeVar("T")]);
        Assert.Throws<SyntaxNotSupportedException>(() => S(V311, generic));
        var withDefault = FunctionDef("f", Arguments(), [Pass()], typeParams: [TypeVar("T", null, N("int"))]);
        Assert.Throws<SyntaxNotSupportedException>(() => S(PythonVersion.V3_12, withDefault));
        var decorated = FunctionDef("f", Arguments(), [Pass()], [Subscript(N("d"), I(0))]);
        Assert.Throws<SyntaxNotSupportedException>(() => S(PythonVersion.V3_8, decorated));
        Assert.Equal("@d[0]\ndef f():\n    pass\n", S(PythonVersion.V3_9, decorated));
        Assert.Throws<SyntaxNotSupportedException>(() => S(V314, If(N("a"), [])));
        Assert.Equal("x[(*a,)]", F(Subscript(N("x"), Tuple([Starred(N("a"))])), PythonVersion.V3_10));
    }

    [Fact]
    public void StatementsAndLayout()
    {
        var source = S(V314,
            Expr(Constant(new PyStr("Module doc.\nSecond line."))),
            ImportFrom("pkg.mod", [Alias("a", "b"), Alias("c")], 2),
            ImportFrom(null, [Alias("*")], 1),
            Import([Alias("os.path", "p")]),
            ClassDef("C", [N("Base")], [Keyword("metaclass", N("M"))], [
                FunctionDef("m", Arguments(args: [Arg("self"), Arg("x", N("int"))], defaults: [I(1)]),
                    [Global(["g"]), Return(Tuple([N("self"), N("x")]))], [N("staticmethod")], N("int")),
                AsyncFunctionDef("n", Arguments(), [
                    AsyncWith([Withitem(N("a"), Name("b", ExprContext.Store))], [
                        AsyncFor(Name("i", ExprContext.Store), N("b"), [Expr(Await(N("i")))])])]),
            ]),
            If(N("a"), [Pass()], [If(N("b"), [Break()], [Continue()])]),
            Try([Raise(N("E"), N("e"))], [ExceptHandler(Tuple([N("A"), N("B")]), "e", [Delete([Name("e", ExprContext.Del)])])], [Pass()], [Assert(N("x"), Constant(new PyStr("m")))]),
            AnnAssign(Name("x", ExprContext.Store), N("int"), I(1), 0),
            Assign([Tuple([Name("a", ExprContext.Store), Starred(Name("b", ExprContext.Store), ExprContext.Store)], ExprContext.Store)], Yield(N("c"))),
            With([Withitem(Tuple([N("a"), N("b")]))], [Pass()]),
            Match(N("p"), [
                MatchCase(MatchClass(N("P"), [MatchAs(null, "x")], ["y"], [MatchValue(UnaryOp(Unaryop.USub, I(1)))]), N("x"), [Pass()]),
                MatchCase(MatchOr([MatchSequence([MatchStar(null), MatchSingleton(PyNone.Instance)]), MatchMapping([I(1)], [MatchAs(MatchValue(I(2)), "z")], "rest")]), null, [Pass()]),
            ]),
            TypeAlias(Name("L", ExprContext.Store), [TypeVar("T", N("int")), TypeVarTuple("Ts"), ParamSpec("P", N("q"))], Subscript(N("list"), N("T"))));
        Assert.Equal(
            "\"\"\"Module doc.\nSecond line.\"\"\"\n" +
            "from ..pkg.mod import a as b, c\n" +
            "from . import *\n" +
            "import os.path as p\n" +
            "\n\n" +
            "class C(Base, metaclass=M):\n" +
            "    @staticmethod\n" +
            "    def m(self, x: int = 1) -> int:\n" +
            "        global g\n" +
            "        return (self, x)\n" +
            "\n" +
            "    async def n():\n" +
            "        async with a as b:\n" +
            "            async for i in b:\n" +
            "                await i\n" +
            "\n\n" +
            "if a:\n    pass\nelif b:\n    break\nelse:\n    continue\n" +
            "try:\n    raise E from e\nexcept (A, B) as e:\n    del e\nelse:\n    pass\nfinally:\n    assert x, 'm'\n" +
            "(x): int = 1\n" +
            "a, *b = yield c\n" +
            "with ((a, b)):\n    pass\n" +
            "match p:\n" +
            "    case P(x, y=-1) if x:\n        pass\n" +
            "    case [*_, None] | {1: 2 as z, **rest}:\n        pass\n" +
            "type L[T: int, *Ts, **P = q] = list[T]\n",
            source);
    }
}
