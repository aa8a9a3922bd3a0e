using PyRecon.Decompilation;
using PyRecon.Syntax;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Cli;

/// <summary>The library example of README.md and docs/packages/PyRecon.md, kept compiling and true.</summary>
public class LibraryApiExampleTests
{
    [Fact]
    public void Decompile_bytes_then_walk_and_rewrite_the_tree()
    {
        byte[] pyc = File.ReadAllBytes(Cli.Simple);

        // README: decompile bytes to source.
        DecompileResult result = Decompiler.Decompile(pyc);
        Assert.Contains("def add(a, b):", result.Source);
        Assert.Empty(result.Diagnostics);

        // Headerless marshal data with a stated version.
        var fromMarshal = Decompiler.Decompile(pyc.AsMemory(16), new DecompileOptions { Version = new(3, 12) });
        Assert.Equal(result.Source, fromMarshal.Source);

        // README: walk the tree.
        var names = new NameCollector();
        names.Visit(result.Tree);
        Assert.Contains("os", names.Names);
        Assert.Contains("add", names.Names);

        // README: rewrite it and print it back.
        var renamed = (Module)new Rename("add", "plus").Visit(result.Tree);
        string source = PythonFormatter.Format(renamed, result.Version);
        Assert.Contains("print(plus(1, 2), os.sep)", source);
        Assert.Same(result.Tree.Body[1], renamed.Body[1]); // `import os` did not change: shared, not copied
    }

    private sealed class NameCollector : SyntaxRewriter
    {
        public HashSet<string> Names { get; } = [];

        public override SyntaxNode VisitName(Name node)
        {
            Names.Add(node.Id);
            return base.VisitName(node);
        }
    }

    private sealed class Rename(string from, string to) : SyntaxRewriter
    {
        public override SyntaxNode VisitName(Name node) => node.Id == from ? node.WithId(to) : node;
    }
}
