using System.Text;
using System.Text.Json.Nodes;
using PyRecon.Model;
using PyRecon.Syntax;
using PyRecon.Tests.Support;
using Xunit.Abstractions;
using static PyRecon.Syntax.SyntaxFactory;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>Pre-order over fields, in Python's _fields order (missing list items skipped), as tools/syntax/lines.py walks ast trees.</summary>
internal static class SyntaxWalk
{
    public static IEnumerable<SyntaxNode> PreOrder(SyntaxNode node)
    {
        var stack = new Stack<SyntaxNode>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            yield return n;
            var children = new List<SyntaxNode>();
            foreach (var f in n.Fields)
            {
                if (f.Value is SyntaxNode c) children.Add(c);
                else if (f.Value is IReadOnlyList<object?> list) children.AddRange(list.OfType<SyntaxNode>());
            }
            for (int i = children.Count - 1; i >= 0; i--) stack.Push(children[i]);
        }
    }

    public static IReadOnlyList<ExprNode> Decorators(SyntaxNode s) => s switch
    {
        FunctionDef f => f.DecoratorList,
        AsyncFunctionDef f => f.DecoratorList,
        ClassDef c => c.DecoratorList,
        _ => [],
    };
}

/// <summary>tools/syntax/lines.py in a long-lived interpreter: positions of parsed nodes, compiled code.</summary>
internal sealed class LinesHelper(PythonServer server) : IDisposable
{
    public PythonVersion Version => server.Version;

    public static LinesHelper Start(PythonVersion version) => new(new PythonServer(version, Python.ToolPath("syntax", "lines.py")));

    /// <summary>The answer as JSON, or the error message.</summary>
    public (JsonNode? Answer, string? Error) Ask(string kind, string source)
    {
        var answer = server.Ask(kind + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(source)));
        if (answer.StartsWith('{')) return (null, answer); // the helper itself failed
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(answer[3..]));
        return answer.StartsWith("OK ", StringComparison.Ordinal) ? (JsonNode.Parse(text), null) : (null, text);
    }

    public sealed record Position(string Kind, int Line, int Column, int DecoratorAtLine);

    /// <summary>ast.dump and the position of every node in pre-order, or the parse error.</summary>
    public (string? Dump, List<Position> Nodes, string? Error) Parse(string source)
    {
        var (answer, error) = Ask("AST", source);
        if (answer is null) return (null, [], error);
        var nodes = answer["nodes"]!.AsArray().Select(n => new Position((string)n![0]!, (int)n[1]!, (int)n[2]!, (int)n[3]!)).ToList();
        return ((string)answer["dump"]!, nodes, null);
    }

    /// <summary>Every code object compiled from the source: name → (co_firstlineno, instructions as (opname, argrepr, line)).</summary>
    public Dictionary<string, (int FirstLine, List<(string Op, string Arg, int Line)> Instructions)> Compile(string source)
    {
        var (answer, error) = Ask("CODE", source);
        Assert.True(answer is not null, $"Python {Version} did not compile:\n{source}\n{error}");
        var result = new Dictionary<string, (int, List<(string, string, int)>)>();
        foreach (var code in answer!.AsArray())
        {
            var instructions = code!["instructions"]!.AsArray().Select(i => ((string)i![0]!, (string)i[1]!, (int)i[2]!)).ToList();
            result[(string)code["name"]!] = ((int)code["firstlineno"]!, instructions);
        }
        return result;
    }

    public void Dispose() => server.Dispose();
}

/// <summary>What line placement is for, checked on CPython 3.13's compiled code: superinstructions form only
/// within a line, co_firstlineno and __firstlineno__ record the first decorator, statements keep their lines.</summary>
public sealed class LinePlacementBytecodeTests : IDisposable
{
    private static readonly PythonVersion V313 = PythonVersion.V3_13;
    private readonly LinesHelper _python = LinesHelper.Start(V313);

    public void Dispose() => _python.Dispose();

    private static ExprNode N(string id) => Name(id);
    private static ExprNode S(string id) => Name(id, ExprContext.Store);

    private List<(string Op, string Arg, int Line)> Code(LinePlacementTests.LineMapBuilder m, string name, params StmtNode[] body) =>
        _python.Compile(m.Format(body))[name].Instructions;

    [Fact]
    public void LoadFastLoadFastFormsOnlyWhenBothNamesShareALine()
    {
        StmtNode G(LinePlacementTests.LineMapBuilder m, int bLine) =>
            m.L(1, FunctionDef("g", Arguments(args: [Arg("a"), Arg("b")]), [m.L(2, Return(Call(N("f"), [m.L(2, N("a")), m.L(bLine, N("b"))])))]));

        var same = new LinePlacementTests.LineMapBuilder();
        var fused = Code(same, "g", G(same, 2));
        Assert.Contains(("LOAD_FAST_LOAD_FAST", "a, b", 2), fused);

        var split = new LinePlacementTests.LineMapBuilder();
        Assert.Equal("def g(a, b):\n    return f(a,\n        b)\n", split.Format(G(split, 3)));
        var apart = Code(split, "g", G(split, 3));
        Assert.DoesNotContain(apart, i => i.Op == "LOAD_FAST_LOAD_FAST");
        Assert.Contains(("LOAD_FAST", "a", 2), apart);
        Assert.Contains(("LOAD_FAST", "b", 3), apart);
        Assert.Contains(("CALL", "2", 2), apart.Select(i => (i.Op, i.Arg.Length == 0 ? "2" : i.Arg, i.Line)));
    }

    [Fact]
    public void ParenthesesAddedForABreakKeepTheOperatorOnTheStatementLine()
    {
        var m = new LinePlacementTests.LineMapBuilder();
        var code = Code(m, "k",
            m.L(1, FunctionDef("k", Arguments(args: [Arg("a"), Arg("b")]), [m.L(2, Return(BinOp(N("a"), Operator.Add, m.L(3, N("b")))))])));
        Assert.Equal([("LOAD_FAST", "a", 2), ("LOAD_FAST", "b", 3), ("BINARY_OP", "+", 2), ("RETURN_VALUE", "", 2)], code.Skip(1).ToList());
    }

    [Fact]
    public void SimpleStatementsJoinedOnALineFuseStoreAndLoad()
    {
        StmtNode K(LinePlacementTests.LineMapBuilder m, int yLine) =>
            m.L(1, FunctionDef("k", Arguments(args: [Arg("a"), Arg("b")]), [
                m.L(2, Assign([S("x")], N("a"))),
                m.L(yLine, Assign([S("y")], N("b"))),
                m.L(4, Return(Tuple([N("x"), N("y")]))),
            ]));
        var joined = new LinePlacementTests.LineMapBuilder();
        Assert.Equal("def k(a, b):\n    x = a; y = b\n\n    return (x, y)\n", joined.Format(K(joined, 2)));
        Assert.Contains(Code(joined, "k", K(joined, 2)), i => i.Op == "STORE_FAST_LOAD_FAST" && i.Line == 2);
        var apart = new LinePlacementTests.LineMapBuilder();
        Assert.DoesNotContain(Code(apart, "k", K(apart, 3)), i => i.Op == "STORE_FAST_LOAD_FAST");
    }

    [Fact]
    public void DecoratedDefinitionsRecordTheFirstDecoratorLine()
    {
        var m = new LinePlacementTests.LineMapBuilder();
        var f = m.K(6, m.L(3, FunctionDef("f", Arguments(), [m.L(7, Return(N("x")))], [N("dec"), m.L(5, N("dec2"))])));
        var c = m.K(12, m.L(10, ClassDef("C", body: [m.L(13, Assign([S("y")], Constant(new PyInt(1))))], decoratorList: [N("deco")])));
        var code = _python.Compile(m.Format(f, c));
        Assert.Equal(3, code["f"].FirstLine);
        Assert.Equal(10, code["C"].FirstLine);
        var module = code["<module>"].Instructions;
        Assert.Contains(("LOAD_NAME", "dec", 3), module);
        Assert.Contains(("LOAD_NAME", "dec2", 5), module);
        Assert.Contains(("MAKE_FUNCTION", "", 6), module);
        Assert.Contains(("STORE_NAME", "f", 6), module);
        Assert.Contains(("LOAD_BUILD_CLASS", "", 12), module);
        Assert.Contains(("STORE_NAME", "C", 12), module);
        // 3.13 stores the class's first line (its first decorator's) as a constant of the class body.
        var body = code["C"].Instructions;
        int store = body.FindIndex(i => i.Op == "STORE_NAME" && i.Arg == "__firstlineno__");
        Assert.Equal(("LOAD_CONST", "10"), (body[store - 1].Op, body[store - 1].Arg));
        Assert.Contains(("STORE_NAME", "y", 13), body);
        Assert.Contains(code["f"].Instructions, i => i.Op == "LOAD_GLOBAL" && i.Line == 7);
    }

    [Fact]
    public void StatementLinesSurviveDocstringsCommentsAndBlankLines()
    {
        var m = new LinePlacementTests.LineMapBuilder();
        var f = m.L(2, FunctionDef("f", Arguments(args: [Arg("a")]), [
            m.L(3, Expr(Constant(new PyStr("Doc.\n\nMore.\n")))),   // lines 3-6
            m.C(m.L(9, Assign([S("x")], Call(N("g"), [N("a")]))), "one", "two"),
            m.L(12, If(N("x"), [m.L(13, Return(N("x")))])),
            m.L(15, Return(N("a"))),
        ]));
        var (firstLine, instructions) = _python.Compile(m.Format(f))["f"];
        Assert.Equal(2, firstLine);
        Assert.Equal([2, 9, 12, 13, 15], instructions.Select(i => i.Line).Where(l => l > 0).Distinct().Order().ToList());
    }
}

/// <summary>
/// Random trees with line maps, against CPython: any line map leaves the tree unchanged (the source parses
/// back to the same ast.dump and no statement starts before its line); the positions of the canonical text
/// reproduce it exactly; and positions stretched at random points (the canonical text with line breaks put
/// in) are met exactly by every node that can move.
/// </summary>
public sealed class LinePlacementPropertyTests(ITestOutputHelper output)
{
    public static TheoryData<string> AllVersions => new() { "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14" };

    // Exact positions need 3.9+: 3.8 lacks keyword positions and its decorators cannot be parenthesized.
    public static TheoryData<string> PositionVersions => new() { "3.9", "3.10", "3.11", "3.12", "3.13", "3.14" };

    private sealed record Case(int Seed, Module Tree, FormatOptions Options);

    private static string Describe(int seed, string what, string source, string detail) =>
        $"seed {seed} (replay: PYRECON_SYNTAX_SEED={seed} PYRECON_SYNTAX_CASES=1): {what}\n--- source ---\n{source}\n--- detail ---\n{detail}";

    /// <summary>Random lines: mostly increasing in tree order, sometimes unknown, earlier, zero or negative; random
    /// keyword lines and comments.</summary>
    private static FormatOptions RandomOptions(Module tree, Random r)
    {
        var lines = new Dictionary<SyntaxNode, int>(ReferenceEqualityComparer.Instance);
        var keywordLines = new Dictionary<StmtNode, int>(ReferenceEqualityComparer.Instance);
        var comments = new Dictionary<StmtNode, IReadOnlyList<string>>(ReferenceEqualityComparer.Instance);
        double known = 0.2 + 0.8 * r.NextDouble();
        int counter = 1 + r.Next(3);
        foreach (var node in SyntaxWalk.PreOrder(tree))
        {
            if (r.NextDouble() < known)
            {
                double kind = r.NextDouble();
                lines[node] = kind < 0.03 ? -r.Next(2) : kind < 0.1 ? Math.Max(1, counter - r.Next(1, 6)) : counter;
            }
            int gap = r.NextDouble() switch { < 0.6 => 0, < 0.85 => 1, < 0.95 => 2, _ => r.Next(3, 7) };
            counter += gap;
            if (node is StmtNode s)
            {
                if (SyntaxWalk.Decorators(s).Count > 0 && r.NextDouble() < 0.5) keywordLines[s] = counter + r.Next(3);
                if (r.NextDouble() < 0.1) comments[s] = Enumerable.Range(0, r.Next(1, 3)).Select(i => "note " + i).ToList();
            }
        }
        return new FormatOptions { Lines = lines, KeywordLines = keywordLines, LeadingComments = comments };
    }

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void RandomLineMapsNeverChangeTheTree(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        using var python = LinesHelper.Start(version);
        int cases = SyntaxTestSettings.Cases, first = SyntaxTestSettings.FirstSeed, refused = 0, multiLine = 0;
        for (int i = 0; i < cases; i++)
        {
            int seed = first + i;
            var tree = new RandomSyntax(seed, version, SyntaxTestSettings.SizeFor(seed)).Module();
            var options = RandomOptions(tree, new Random(seed));
            string source;
            try { source = PythonFormatter.Format(tree, version, options); }
            catch (SyntaxNotSupportedException) { refused++; continue; }
            var (dump, nodes, error) = python.Parse(source);
            Assert.True(error is null, Describe(seed, $"Python {version} cannot parse the text", source, error ?? ""));
            var expected = AstDump.Dump(tree, version);
            Assert.True(dump == expected, Describe(seed, $"Python {version} parses another tree", source, $"expected {expected}\nactual   {dump}"));
            // No statement starts before its line.
            var ours = SyntaxWalk.PreOrder(tree).ToList();
            Assert.Equal(ours.Count, nodes.Count);
            for (int k = 0; k < ours.Count; k++)
            {
                if (ours[k] is not StmtNode s || nodes[k].Line <= 0 || !options.Lines!.TryGetValue(s, out var line) || line <= 0) continue;
                Assert.True(nodes[k].Line >= line, Describe(seed, $"a {s.PythonName} of line {line} starts on {nodes[k].Line}", source, ""));
            }
            if (source.Contains("(\n", StringComparison.Ordinal) || source.Contains(",\n", StringComparison.Ordinal)) multiLine++;
        }
        output.WriteLine($"Python {version}: {cases} cases from seed {first}, {refused} refused by the formatter, {multiLine} with expressions over several lines");
        Assert.True(refused <= Math.Max(1, cases / 50), $"the formatter refused {refused} of {cases} trees for {version}");
    }

    /// <summary>The line map of <paramref name="source"/>'s own positions (decorated definitions: the first
    /// '@' line, and the keyword line in KeywordLines); null when the tree has a shared node.</summary>
    private static (Dictionary<SyntaxNode, LinesHelper.Position> Positions, HashSet<SyntaxNode> Movable, List<(int Line, int Column)> BreakPoints)? PositionsOf(
        Module tree, List<LinesHelper.Position> nodes, PythonVersion version)
    {
        var ours = SyntaxWalk.PreOrder(tree).ToList();
        Assert.Equal(ours.Count, nodes.Count);
        var positions = new Dictionary<SyntaxNode, LinesHelper.Position>(ReferenceEqualityComparer.Instance);
        for (int k = 0; k < ours.Count; k++)
        {
            Assert.Equal(ours[k].PythonName, nodes[k].Kind);
            if (!positions.TryAdd(ours[k], nodes[k])) return null;
        }
        // Nodes the formatter cannot move down: inside f-strings, names of import and type statements,
        // patterns below a case's top (patterns are never parenthesized for a break), and tuples without
        // parentheses as assignment or loop targets (the parentheses a break needs would become the tuple's).
        var fixedNodes = new HashSet<SyntaxNode>(ReferenceEqualityComparer.Instance);
        void Fix(SyntaxNode n, bool self)
        {
            foreach (var d in SyntaxWalk.PreOrder(n))
                if (self || !ReferenceEquals(d, n)) fixedNodes.Add(d);
        }
        foreach (var n in ours)
        {
            switch (n)
            {
                case PyRecon.Syntax.JoinedStr or PyRecon.Syntax.TemplateStr: Fix(n, self: false); break;
                case Import i: foreach (var a in i.Names) Fix(a, self: true); break;
                case ImportFrom f when f.Names.Any(a => a.Name == "*"): foreach (var a in f.Names) Fix(a, self: true); break;
                case TypeAlias t: Fix(t.Name, self: true); break;
                case MatchCase c: Fix(c.Pattern, self: false); break;
                case Assign a: foreach (var t in a.Targets.OfType<PyRecon.Syntax.Tuple>()) fixedNodes.Add(t); break;
                case For { Target: PyRecon.Syntax.Tuple t }: fixedNodes.Add(t); break;
                case AsyncFor { Target: PyRecon.Syntax.Tuple t }: fixedNodes.Add(t); break;
                // Placed by their name's line (the bytecode's position for them), not by their start (the AST's).
                case PyRecon.Syntax.Attribute or Call { Func: PyRecon.Syntax.Attribute }: fixedNodes.Add(n); break;
            }
        }
        // A break point is the position of a movable node that no fixed node shares.
        var fixedPositions = fixedNodes.Select(n => (positions[n].Line, positions[n].Column)).ToHashSet();
        var movable = new HashSet<SyntaxNode>(ours.Where(n => positions[n].Line > 0 && !fixedNodes.Contains(n)), ReferenceEqualityComparer.Instance);
        var breakPoints = movable.Select(n => (positions[n].Line, positions[n].Column)).Where(p => !fixedPositions.Contains(p)).Distinct().Order().ToList();
        return (positions, movable, breakPoints);
    }

    private static FormatOptions MapFrom(Module tree, Dictionary<SyntaxNode, LinesHelper.Position> positions, Func<LinesHelper.Position, bool, int> line,
        IReadOnlyDictionary<StmtNode, IReadOnlyList<string>>? comments)
    {
        var lines = new Dictionary<SyntaxNode, int>(ReferenceEqualityComparer.Instance);
        var keywordLines = new Dictionary<StmtNode, int>(ReferenceEqualityComparer.Instance);
        foreach (var (node, p) in positions)
        {
            if (p.Line <= 0) continue;
            var decorators = SyntaxWalk.Decorators(node);
            if (decorators.Count > 0)
            {
                var at = positions[decorators[0]];
                lines[node] = line(at with { Line = at.DecoratorAtLine }, false);
                keywordLines[(StmtNode)node] = line(p, true);
            }
            else lines[node] = line(p, true);
        }
        return new FormatOptions { Lines = lines, KeywordLines = keywordLines, LeadingComments = comments };
    }

    private static Dictionary<StmtNode, IReadOnlyList<string>> RandomComments(Module tree, Random r)
    {
        var comments = new Dictionary<StmtNode, IReadOnlyList<string>>(ReferenceEqualityComparer.Instance);
        foreach (var s in SyntaxWalk.PreOrder(tree).OfType<StmtNode>())
            if (r.NextDouble() < 0.15) comments[s] = Enumerable.Range(0, r.Next(1, 3)).Select(i => "comment " + i).ToList();
        return comments;
    }

    [Theory]
    [MemberData(nameof(PositionVersions))]
    public void TheCanonicalTextsOwnPositionsReproduceIt(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        using var python = LinesHelper.Start(version);
        int cases = SyntaxTestSettings.Cases, first = SyntaxTestSettings.FirstSeed, checkedCases = 0;
        for (int i = 0; i < cases; i++)
        {
            int seed = first + i;
            var tree = new RandomSyntax(seed, version, SyntaxTestSettings.SizeFor(seed)).Module();
            var comments = RandomComments(tree, new Random(seed));
            string canonical;
            try { canonical = PythonFormatter.Format(tree, version, comments); }
            catch (SyntaxNotSupportedException) { continue; }
            var (_, nodes, error) = python.Parse(canonical);
            Assert.True(error is null, Describe(seed, "the canonical text does not parse", canonical, error ?? ""));
            if (PositionsOf(tree, nodes, version) is not var (positions, _, _)) continue;
            var options = MapFrom(tree, positions, (p, _) => p.Line, comments);
            var placed = PythonFormatter.Format(tree, version, options);
            Assert.True(placed == canonical, Describe(seed, "placing at the canonical positions changed the text", placed, canonical));
            checkedCases++;
        }
        output.WriteLine($"Python {version}: {checkedCases} of {cases} cases from seed {first} reproduced");
    }

    [Theory]
    [MemberData(nameof(PositionVersions))]
    public void StretchedPositionsArePlacedExactly(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        using var python = LinesHelper.Start(version);
        int cases = SyntaxTestSettings.Cases, first = SyntaxTestSettings.FirstSeed, checkedCases = 0, breaks = 0, nodesChecked = 0;
        for (int i = 0; i < cases; i++)
        {
            int seed = first + i;
            var r = new Random(seed);
            var tree = new RandomSyntax(seed, version, SyntaxTestSettings.SizeFor(seed)).Module();
            string canonical;
            try { canonical = PythonFormatter.Format(tree, version); }
            catch (SyntaxNotSupportedException) { continue; }
            var (_, nodes, error) = python.Parse(canonical);
            Assert.True(error is null, Describe(seed, "the canonical text does not parse", canonical, error ?? ""));
            if (PositionsOf(tree, nodes, version) is not var (positions, movable, candidates)) continue;

            // Break points: positions of movable nodes; every position from one on moves down by its shift.
            double rate = 0.05 + 0.3 * r.NextDouble();
            var points = candidates.Where(_ => r.NextDouble() < rate).Select(p => (p.Line, p.Column, Shift: r.Next(1, 4) == 3 ? 2 : 1)).ToList();
            breaks += points.Count;
            int Moved(LinesHelper.Position p, bool inclusive) =>
                p.Line + points.Where(b => b.Line < p.Line || (b.Line == p.Line && (b.Column < p.Column || (inclusive && b.Column == p.Column)))).Sum(b => b.Shift);
            var options = MapFrom(tree, positions, Moved, null);
            var placed = PythonFormatter.Format(tree, version, options);

            var (dump, placedNodes, placedError) = python.Parse(placed);
            Assert.True(placedError is null, Describe(seed, "the placed text does not parse", placed, placedError ?? ""));
            Assert.True(dump == AstDump.Dump(tree, version), Describe(seed, "the placed text parses to another tree", placed, dump ?? ""));
            var ours = SyntaxWalk.PreOrder(tree).ToList();
            for (int k = 0; k < ours.Count; k++)
            {
                var node = ours[k];
                if (!movable.Contains(node)) continue;
                bool decorated = SyntaxWalk.Decorators(node).Count > 0;
                int expected = decorated ? options.KeywordLines![(StmtNode)node] : options.Lines![node];
                Assert.True(placedNodes[k].Line == expected,
                    Describe(seed, $"{node.PythonName} #{k} (canonical line {positions[node].Line}) should be on line {expected}, is on {placedNodes[k].Line}", placed, canonical));
                if (decorated)
                {
                    int first0 = ours.FindIndex(n => ReferenceEquals(n, SyntaxWalk.Decorators(node)[0]));
                    Assert.True(placedNodes[first0].DecoratorAtLine == options.Lines![node],
                        Describe(seed, $"the first decorator of {node.PythonName} #{k} should be on line {options.Lines[node]}", placed, canonical));
                }
                nodesChecked++;
            }
            checkedCases++;
        }
        output.WriteLine($"Python {version}: {checkedCases} of {cases} cases from seed {first}, {breaks} break points, {nodesChecked} node lines exact");
    }
}
