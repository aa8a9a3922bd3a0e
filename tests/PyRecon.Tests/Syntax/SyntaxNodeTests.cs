using System.Collections.Immutable;
using PyRecon.Model;
using PyRecon.Syntax;
using static PyRecon.Syntax.SyntaxFactory;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

public sealed class SyntaxNodeTests
{
    private static PyRecon.Syntax.Constant Int(int v) => Constant(new PyInt(v));

    [Fact]
    public void FactoryRefusesIllFormedNodes()
    {
        Assert.Throws<ArgumentNullException>(() => BinOp(null!, Operator.Add, Int(1)));
        Assert.Contains("not a Python identifier", Assert.Throws<ArgumentException>(() => Name("1x")).Message);
        Assert.Throws<ArgumentException>(() => Name("class"));          // keyword
        Assert.Throws<ArgumentException>(() => Name(""));
        Assert.Throws<ArgumentException>(() => Attribute(Name("a"), "b.c"));
        Assert.Contains("[1] is null", Assert.Throws<ArgumentException>(() => List([Name("a"), null!])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BinOp(Int(1), (Operator)99, Int(2)));
        Assert.Throws<ArgumentException>(() => Constant(new PyList([])));  // lists are not constants
        Assert.Throws<ArgumentException>(() => MatchSingleton(new PyInt(1)));
        Assert.Throws<ArgumentException>(() => Compare(Name("a"), [Cmpop.Lt], []));
        Assert.Throws<ArgumentException>(() => Dict([Name("a")], []));
        Assert.Throws<ArgumentException>(() => FormattedValue(Name("a"), 'x'));
        Assert.Throws<ArgumentException>(() => Alias("a..b"));
        // What is well-formed passes: dotted import names, '*', unicode identifiers, missing dict keys.
        Assert.Equal("a.b", Alias("a.b").Name);
        Assert.Equal("*", Alias("*").Name);
        Assert.Equal("é", Name("é").Id);
        Assert.Null(Dict([null], [Name("d")]).Keys[0]);
        Assert.Empty(Call(Name("f")).Args); // default lists are empty, not default(ImmutableArray)
    }

    [Fact]
    public void UpdateReturnsTheSameInstanceWhenNothingChanges()
    {
        var left = Name("a");
        var node = BinOp(left, Operator.Add, Int(1));
        Assert.Same(node, node.Update(node.Left, node.Op, node.Right));
        Assert.Same(node, node.WithOp(Operator.Add));
        var changed = node.WithOp(Operator.Sub);
        Assert.NotSame(node, changed);
        Assert.Equal(Operator.Sub, changed.Op);
        Assert.Same(left, changed.Left);
        Assert.Equal(Operator.Add, node.Op); // immutable
        Assert.Throws<ArgumentNullException>(() => node.WithLeft(null!)); // With validates like the factory
    }

    [Fact]
    public void EqualityIsStructural()
    {
        var a = Call(Name("f"), [Int(1), Constant(new PyFloat(-0.0))], [Keyword("k", Name("v"))]);
        var b = Call(Name("f"), [Int(1), Constant(new PyFloat(-0.0))], [Keyword("k", Name("v"))]);
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b.WithArgs([Int(1), Constant(new PyFloat(0.0))])); // -0.0 is not 0.0
        Assert.NotEqual<SyntaxNode>(Name("a"), Name("a", ExprContext.Store));
        Assert.NotEqual<SyntaxNode>(Constant(PyBool.True), Int(1));
    }

    private sealed class RenameX : SyntaxRewriter
    {
        public override SyntaxNode VisitName(Name node) => node.Id == "x" ? node.WithId("y") : node;
    }

    [Fact]
    public void RewriterCopiesOnlyWhatChanged()
    {
        var untouched = BinOp(Name("a"), Operator.Add, Name("b"));
        var first = Name("c");
        var list = List([first, Name("x"), untouched]);
        var tree = Module([Expr(list), Expr(untouched)]);

        var same = new RenameX().Visit(Module([Expr(untouched)]));
        Assert.Equal(Module([Expr(untouched)]), same);
        var noChange = Module([Expr(untouched)]);
        Assert.Same(noChange, new RenameX().Visit(noChange));

        var result = (Module)new RenameX().Visit(tree);
        Assert.NotSame(tree, result);
        var newList = (List)((Expr)result.Body[0]).Value;
        Assert.Same(first, newList.Elts[0]);                 // before the first change: same item
        Assert.Equal("y", ((Name)newList.Elts[1]).Id);
        Assert.Same(untouched, newList.Elts[2]);            // after it: copied reference, same node
        Assert.Same(tree.Body[1], result.Body[1]);           // an unchanged statement keeps its identity
    }

    private sealed class CountNames : SyntaxVisitor<int>
    {
        protected override int DefaultVisit(SyntaxNode node) =>
            node.Fields.Sum(f => f.Value switch
            {
                SyntaxNode n => Visit(n),
                IReadOnlyList<object?> l => l.OfType<SyntaxNode>().Sum(Visit),
                _ => 0,
            });

        public override int VisitName(Name node) => 1;
    }

    [Fact]
    public void VisitorDispatchesPerNodeClass()
    {
        var tree = Module([Assign([Name("a", ExprContext.Store)], BinOp(Name("b"), Operator.Mult, Call(Name("f"), [Int(2)])))]);
        Assert.Equal(3, new CountNames().Visit(tree));
    }

    [Fact]
    public void FieldsFollowPythonFieldOrder()
    {
        var f = FunctionDef("f", Arguments(), [Pass()]);
        Assert.Equal(["name", "args", "body", "decorator_list", "returns", "type_comment", "type_params"], f.Fields.Select(x => x.Name));
        Assert.Equal("FunctionDef", f.PythonName);
        Assert.Equal("arg", Arg("x").PythonName);
        Assert.Equal("x", Arg("x").ArgName);
    }

    /// <summary>VisitChildren hands over exactly the nodes Fields lists (field order, absent ones skipped), and the
    /// visitor's SyntaxKind dispatch reaches the VisitX of the node's own class, on random trees of every version.</summary>
    [Fact]
    public void ChildrenAndKindDispatchAgreeWithFields()
    {
        var kinds = new KindNamer();
        foreach (var version in PythonVersion.Supported)
            for (int seed = 0; seed < 40; seed++)
            {
                var tree = new RandomSyntax(seed, version, SyntaxTestSettings.SizeFor(seed)).Module();
                var pending = new Stack<SyntaxNode>([tree]);
                while (pending.Count > 0)
                {
                    var node = pending.Pop();
                    Assert.Equal(node.PythonName, kinds.Visit(node));
                    var fromFields = new List<SyntaxNode>();
                    foreach (var field in node.Fields)
                    {
                        if (field.Kind == SyntaxFieldKind.Node && field.Value is SyntaxNode child) fromFields.Add(child);
                        if (field.Kind == SyntaxFieldKind.NodeList && field.Value is IEnumerable<object?> items)
                            fromFields.AddRange(items.OfType<SyntaxNode>());
                    }
                    var handed = new ChildCollector();
                    node.VisitChildren(handed);
                    Assert.Equal(fromFields.Count, handed.Children.Count);
                    for (int i = 0; i < fromFields.Count; i++) Assert.Same(fromFields[i], handed.Children[i]);
                    foreach (var child in handed.Children) pending.Push(child);
                }
            }
    }

    private sealed class ChildCollector : SyntaxChildVisitor
    {
        public List<SyntaxNode> Children { get; } = [];
        public override void Child(SyntaxNode node) => Children.Add(node);
    }

    /// <summary>Names the class each VisitX was reached for (the generated visitor dispatches on SyntaxKind).</summary>
    private sealed class KindNamer : SyntaxVisitor<string>
    {
        protected override string DefaultVisit(SyntaxNode node) => "?";
        public override string VisitModule(Module node) => "Module";
        public override string VisitFunctionDef(FunctionDef node) => "FunctionDef";
        public override string VisitName(Name node) => "Name";
        public override string VisitCall(Call node) => "Call";
        public override string VisitArguments(Arguments node) => "arguments";
        public override string VisitIf(If node) => "If";
        public override string VisitConstant(PyRecon.Syntax.Constant node) => "Constant";

        public override string Visit(SyntaxNode node)
        {
            var named = base.Visit(node);
            // Classes this namer does not override fall back to DefaultVisit; the ones it does must be reached.
            return named == "?" ? node.PythonName : named;
        }
    }
}
