using PyRecon.Model;
using PyRecon.Syntax;
using static PyRecon.Syntax.SyntaxFactory;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>Exact text of line placement (<see cref="FormatOptions.Lines"/>): statements on their lines,
/// joins with "; ", decorators, clause headers, comments, and breaks inside expressions.</summary>
public sealed class LinePlacementTests
{
    private static readonly PythonVersion V313 = PythonVersion.V3_13;

    /// <summary>A line map under construction: <c>m.L(3, node)</c> records the node's line and returns it.</summary>
    internal sealed class LineMapBuilder
    {
        public Dictionary<SyntaxNode, int> Lines { get; } = new(ReferenceEqualityComparer.Instance);
        public Dictionary<StmtNode, int> KeywordLines { get; } = new(ReferenceEqualityComparer.Instance);
        public Dictionary<StmtNode, IReadOnlyList<string>> Comments { get; } = new(ReferenceEqualityComparer.Instance);

        public T L<T>(int line, T node) where T : SyntaxNode
        {
            Lines[node] = line;
            return node;
        }

        public T K<T>(int line, T node) where T : StmtNode
        {
            KeywordLines[node] = line;
            return node;
        }

        public T C<T>(T node, params string[] comments) where T : StmtNode
        {
            Comments[node] = comments;
            return node;
        }

        public FormatOptions Options => new() { Lines = Lines, KeywordLines = KeywordLines, LeadingComments = Comments };

        public string Format(params StmtNode[] body) => Format(V313, body);

        public string Format(PythonVersion version, params StmtNode[] body) => PythonFormatter.Format(Module([.. body]), version, Options);
    }

    private static ExprNode N(string id) => Name(id);
    private static ExprNode S(string id) => Name(id, ExprContext.Store);
    private static ExprNode I(long v) => Constant(new PyInt(v));

    [Fact]
    public void StatementsThatCannotStartOnTheirLinesAreReported()
    {
        var m = new LineMapBuilder();
        var late = m.L(2, ClassDef("C", body: [Pass()]));
        var misplaced = new List<MisplacedStatement>();
        var text = PythonFormatter.Format(Module([
            m.L(1, Assign([S("x")], I(1))),
            m.L(2, Assign([S("y")], I(2))),  // takes line 2 first
            late,
            m.L(9, Assign([S("z")], I(3))),
        ]), V313, m.Options with { Misplaced = misplaced });
        Assert.StartsWith("x = 1\ny = 2\nclass C:", text);
        var (statement, wanted, written) = Assert.Single(misplaced);
        Assert.Same(late, statement);
        Assert.Equal((2, 3), (wanted, written));
    }

    [Fact]
    public void StatementsStartOnTheirLinesOrTheNextFreeOne()
    {
        var m = new LineMapBuilder();
        var text = m.Format(
            m.L(2, Assign([S("x")], I(1))),
            m.L(5, Assign([S("y")], I(2))),
            Assign([S("z")], I(3)),              // unknown: the next line
            m.L(5, Assign([S("w")], I(4))));     // line 5 is passed: the next line
        Assert.Equal("\nx = 1\n\n\ny = 2\nz = 3\nw = 4\n", text);
    }

    [Fact]
    public void ExactPlacementReplacesTheBlankLinesAroundDefinitions()
    {
        var m = new LineMapBuilder();
        var text = m.Format(
            m.L(1, Import([Alias("os")])),
            m.L(2, FunctionDef("f", Arguments(), [m.L(3, Pass())])),
            m.L(4, ClassDef("C", body: [m.L(5, Pass())])),
            Pass());                             // unknown after a class: the canonical two blank lines
        Assert.Equal("import os\ndef f():\n    pass\nclass C:\n    pass\n\n\npass\n", text);
    }

    [Fact]
    public void SimpleStatementsOfOneLineAreJoinedAndCompoundOnesGoToTheNextLine()
    {
        var m = new LineMapBuilder();
        var text = m.Format(PythonVersion.V3_12,
            m.L(1, Assign([S("a")], I(1))),
            m.L(1, Assign([S("b")], I(2))),
            m.L(1, If(N("c"), [                  // line 1 is taken: line 2
                m.L(2, Assign([S("x")], I(1))),  // not on the header line: line 3
                m.L(3, Assign([S("y")], I(2))),  // line 3 is where x went: joined
            ])),
            m.L(3, Expr(Call(N("f")))),          // after a compound statement (another body): never joined; line 4
            m.L(4, Pass()),                      // joined: f() is on line 4
            m.L(4, Global(["g"])),
            m.L(4, While(N("t"), [Break()])));
        Assert.Equal("a = 1; b = 2\nif c:\n    x = 1; y = 2\nf(); pass; global g\nwhile t:\n    break\n", text);
    }

    [Fact]
    public void From313OnlyStatementsThatSharedALineAreJoined()
    {
        // 3.13 pairs a store and the next load on one line into STORE_FAST_LOAD_FAST: a statement pushed onto the
        // next one's line must not join it there.
        var m = new LineMapBuilder();
        var text = m.Format(PythonVersion.V3_13,
            m.L(1, Assign([S("a")], I(1))),
            m.L(1, If(N("c"), [
                m.L(2, Assign([S("x")], I(1))),  // pushed to line 3
                m.L(3, Assign([S("y")], I(2))),  // its own line 3 is taken: line 4, not joined
                m.L(3, Assign([S("z")], I(3))),  // shares y's line: joined
            ])));
        Assert.Equal("a = 1\nif c:\n    x = 1\n    y = 2; z = 3\n", text);
    }

    [Fact]
    public void DocstringsCommentsAndTrailingComments()
    {
        var m = new LineMapBuilder();
        var text = m.Format(
            m.L(1, FunctionDef("f", Arguments(), [
                m.L(2, Expr(Constant(new PyStr("Doc.\nmore\n")))),  // lines 2-4
                m.C(m.L(7, Return(I(1))), "note"),                  // its comment fits on line 6
            ])),
            m.C(m.L(8, Assign([S("x")], I(1))), "c1", "c2"),       // no room: after the statement
            m.C(m.L(8, Assign([S("y")], I(2))), "c3"));             // joined: its comment also trails
        Assert.Equal("def f():\n    \"\"\"Doc.\nmore\n\"\"\"\n\n    # note\n    return 1\nx = 1; y = 2  # c1 # c2 # c3\n", text);
    }

    [Fact]
    public void DecoratorsGoOnTheirLinesAndTheKeywordOnItsOwn()
    {
        var m = new LineMapBuilder();
        var cls = m.K(7, m.L(2, ClassDef("C", body: [Pass()], decoratorList: [
            N("dec"),                                                   // on the statement's line, 2
            m.L(4, Call(N("dec2"), [I(1), m.L(5, I(2))])),
        ])));
        var f = m.L(9, FunctionDef("g", Arguments(), [Pass()], [N("d3")]));        // def on the line after
        var h = FunctionDef("h", Arguments(), [Pass()], [m.L(13, N("d4")), N("d5")]); // first decorator's own line
        var text = m.Format(cls, f, h);
        Assert.Equal(
            "\n@dec\n\n@dec2(1,\n    2)\n\nclass C:\n    pass\n" +
            "@d3\ndef g():\n    pass\n" +
            "\n@d4\n@d5\ndef h():\n    pass\n", text);
    }

    [Fact]
    public void KeywordLineOfAnUndecoratedDefinitionIsUsedWhenTheNodeHasNoLine()
    {
        var m = new LineMapBuilder();
        Assert.Equal("\n\ndef f():\n    pass\n", m.Format(m.K(3, FunctionDef("f", Arguments(), [Pass()]))));
    }

    [Fact]
    public void ExpressionsBreakInsideBracketsOrGetParentheses()
    {
        var m = new LineMapBuilder();
        var text = m.Format(
            m.L(1, FunctionDef("g", Arguments(args: [Arg("a"), m.L(2, Arg("b"))]), [
                m.L(3, Return(Call(N("f"), [N("a"), m.L(4, N("b"))]))),
                m.L(5, Return(BinOp(N("a"), Operator.Add, m.L(6, N("b"))))),
                m.L(7, Assign([S("x")], List([I(1), m.L(9, I(2))]))),  // a blank line inside brackets is fine
                m.L(10, Assign([S("y")], Lambda(Arguments(args: [Arg("p"), m.L(11, Arg("q"))]), I(0)))),
                m.L(12, Expr(Call(N("h"), [], [m.L(13, Keyword("k", I(1)))]))),
                m.L(14, Return(m.L(15, N("a")))),
            ])));
        Assert.Equal(
            "def g(a,\n    b):\n" +
            "    return f(a,\n        b)\n" +
            "    return (a +\n        b)\n" +
            "    x = [1,\n\n        2]\n" +
            "    y = (lambda p,\n        q: 0)\n" +
            "    h(\n        k=1)\n" +
            "    return (\n        a)\n", text);
    }

    [Fact]
    public void ParenthesesOfTheExpressionItselfAreUsedFirst()
    {
        var m = new LineMapBuilder();
        var text = m.Format(
            m.L(1, Assign([S("x")], Tuple([N("a"), m.L(2, N("b"))]))),           // x = (a, b) has its parentheses
            m.L(3, Assign([S("y")], BinOp(BinOp(N("a"), Operator.Add, m.L(4, N("b"))), Operator.Mult, N("c")))),
            m.L(5, Expr(Compare(N("a"), [Cmpop.Lt], [m.L(6, N("b"))]))));
        Assert.Equal("x = (a,\n    b)\ny = (a +\n    b) * c\n(a <\n    b)\n", text);
    }

    [Fact]
    public void NoBreakWhereNoneIsPossible()
    {
        var m = new LineMapBuilder();
        var text = m.Format(
            m.L(1, Assign([S("x")], JoinedStr([FormattedValue(N("a"), -1), FormattedValue(m.L(2, N("b")), -1)]))),
            m.L(3, Import([Alias("os"), m.L(4, Alias("sys"))])),
            m.L(5, ImportFrom("m", [Alias("a"), m.L(6, Alias("b"))], 0)),
            m.L(7, AugAssign(Subscript(N("x"), m.L(8, N("i")), ExprContext.Store), Operator.Add, I(1))),
            m.L(9, Assign([S("y")], m.L(3, N("z")))));   // an earlier line: written where it is
        Assert.Equal("x = f'{a}{b}'\n\nimport os, sys\n\nfrom m import (a,\n    b)\nx[\n    i] += 1\ny = z\n", text);
    }

    [Fact]
    public void DecoratorsBefore39AreNotParenthesized()
    {
        var m = new LineMapBuilder();
        var f = m.L(1, FunctionDef("f", Arguments(), [Pass()], [Attribute(N("a"), "b"), m.L(2, Call(Attribute(N("c"), "d"), [m.L(3, N("x"))]))]));
        Assert.Equal("@a.b\n@c.d(\n    x)\ndef f():\n    pass\n", m.Format(PythonVersion.V3_8, f));
        var g = m.L(1, FunctionDef("g", Arguments(), [Pass()], [BinOp(N("a"), Operator.BitOr, m.L(2, N("b")))]));
        Assert.Equal("@(a |\n    b)\ndef g():\n    pass\n", m.Format(PythonVersion.V3_9, g));
    }

    [Fact]
    public void ClauseHeadersGoOnTheirLines()
    {
        var m = new LineMapBuilder();
        var text = m.Format(
            m.L(1, If(N("a"), [m.L(2, Pass())], [m.L(4, If(N("b"), [m.L(5, Pass())], [m.L(8, Pass())]))])),
            m.L(9, Try([m.L(10, Pass())], [m.L(12, ExceptHandler(N("E"), "e", [Pass()]))], [], [m.L(16, Pass())])),
            m.L(17, Match(N("x"), [MatchCase(m.L(19, MatchAs(null, "y")), null, [m.L(20, Pass())])])),
            m.L(21, For(S("i"), N("r"), [m.L(22, Continue())], [m.L(24, Pass())])));
        Assert.Equal(
            "if a:\n    pass\n\nelif b:\n    pass\n\nelse:\n    pass\n" +
            "try:\n    pass\n\nexcept E as e:\n    pass\n\nfinally:\n    pass\n" +
            "match x:\n\n    case y:\n        pass\n" +
            "for i in r:\n    continue\nelse:\n    pass\n", text);
    }

    [Fact]
    public void LinesAreKeyedByReferenceAndUnknownWhenNotPositive()
    {
        var first = Assign([S("x")], I(1));
        var second = Assign([S("x")], I(1));
        Assert.Equal(first, second); // structurally equal, still two statements
        // Even a map built with structural equality only places the instance that is its key.
        var structural = new Dictionary<SyntaxNode, int> { [second] = 4 };
        Assert.Equal("x = 1\n\n\nx = 1\n", PythonFormatter.Format(Module([first, second]), V313, new FormatOptions { Lines = structural }));
        var m = new LineMapBuilder();
        Assert.Equal("x = 1\ny = 2\n", m.Format(m.L(0, first), m.L(-3, Assign([S("y")], I(2)))));
    }

    [Fact]
    public void WithoutLinesTheOptionsOverloadPrintsTheCanonicalLayout()
    {
        var tree = Module([Import([Alias("os")]), FunctionDef("f", Arguments(), [Pass()]), Pass()]);
        var canonical = PythonFormatter.Format(tree, V313);
        Assert.Equal("import os\n\n\ndef f():\n    pass\n\n\npass\n", canonical);
        Assert.Equal(canonical, PythonFormatter.Format(tree, V313, new FormatOptions()));
        Assert.Equal(canonical, PythonFormatter.Format(tree, V313, FormatOptions.Default with { Lines = new Dictionary<SyntaxNode, int>() }));
    }
}
