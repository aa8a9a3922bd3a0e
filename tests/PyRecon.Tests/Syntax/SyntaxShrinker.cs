using System.Collections.Immutable;
using PyRecon.Syntax;
using Attribute = PyRecon.Syntax.Attribute;
using Tuple = PyRecon.Syntax.Tuple;

namespace PyRecon.Tests.Syntax;

/// <summary>
/// Shrinks a failing module structurally: drops statements, replaces statements by pass or by their first
/// inner statement, and expressions by one of their sub-expressions or a plain name — keeping a candidate
/// only when it fails the same way.
/// </summary>
internal static class SyntaxShrinker
{
    public static Module Shrink(Module tree, Func<Module, string?> failureKind, int maxTries = 400)
    {
        var kind = failureKind(tree);
        int tries = 0;
        bool progress = true;
        while (progress && tries < maxTries)
        {
            progress = false;
            foreach (var make in Candidates(tree))
            {
                if (++tries > maxTries) break;
                Module candidate;
                string? k;
                try
                {
                    candidate = (Module)new SyncInterpolationText().Visit(make());
                    k = failureKind(candidate);
                }
                catch (ArgumentException) { continue; } // the change broke a factory rule
                catch (InvalidOperationException) { continue; }
                if (k == kind && !candidate.Equals(tree))
                {
                    tree = candidate;
                    progress = true;
                    break;
                }
            }
        }
        return tree;
    }

    private static IEnumerable<Func<Module>> Candidates(Module m)
    {
        for (int i = 0; i < m.Body.Length && m.Body.Length > 1; i++)
        {
            int at = i;
            yield return () => m.WithBody(m.Body.RemoveAt(at));
        }
        int statements = Count<StmtNode>(m);
        for (int k = 0; k < statements; k++)
        {
            int at = k;
            yield return () => (Module)new ReplaceNth<StmtNode>(at, s => s is Pass ? null : SyntaxFactory.Pass()).Visit(m);
            yield return () => (Module)new ReplaceNth<StmtNode>(at, FirstInner).Visit(m);
            for (int j = 0; j < 3; j++)
            {
                int drop = j;
                yield return () => (Module)new ReplaceNth<StmtNode>(at, s => WithoutBodyItem(s, drop)).Visit(m);
            }
        }
        int expressions = Count<ExprNode>(m);
        for (int k = 0; k < expressions; k++)
        {
            int at = k;
            for (int child = 0; child < 4; child++)
            {
                int c = child;
                yield return () => (Module)new ReplaceNth<ExprNode>(at, e => Children(e).Where(x => Fits(x, e)).ElementAtOrDefault(c)).Visit(m);
            }
            yield return () => (Module)new ReplaceNth<ExprNode>(at, e => e is Name || !Fits(SyntaxFactory.Name("a"), e) && Context(e) == ExprContext.Load ? null : SyntaxFactory.Name("a", Context(e))).Visit(m);
        }
    }

    private static ExprContext Context(ExprNode e) => e switch
    {
        Name n => n.Ctx, Attribute a => a.Ctx, Subscript s => s.Ctx, Starred s => s.Ctx, List l => l.Ctx, Tuple t => t.Ctx,
        _ => ExprContext.Load,
    };

    /// <summary>Whether <paramref name="replacement"/> may stand where <paramref name="original"/> was
    /// (same context; starred, slice and f-string parts only where such a node was).</summary>
    private static bool Fits(ExprNode replacement, ExprNode original) =>
        Context(replacement) == Context(original)
        && (replacement is not (Starred or Slice or FormattedValue or Interpolation) || replacement.GetType() == original.GetType())
        && (original is not (Starred or Slice or FormattedValue or Interpolation) || replacement.GetType() == original.GetType());

    /// <summary>The statement without the n-th statement of its body (when the body keeps one).</summary>
    private static StmtNode? WithoutBodyItem(StmtNode s, int n)
    {
        var type = s.GetType();
        if (type.GetProperty("Body")?.GetValue(s) is not ImmutableArray<StmtNode> body || body.Length <= Math.Max(1, n)) return null;
        return (StmtNode?)type.GetMethod("WithBody")?.Invoke(s, [body.RemoveAt(n)]);
    }

    private static StmtNode? FirstInner(StmtNode s) =>
        s.Fields.Where(f => f.Kind == SyntaxFieldKind.NodeList && f.Value is IReadOnlyList<object?> list && list.Count > 0 && list[0] is StmtNode)
                .Select(f => (StmtNode)((IReadOnlyList<object?>)f.Value!)[0]!).FirstOrDefault();

    private static IEnumerable<ExprNode> Children(ExprNode e) =>
        e.Fields.SelectMany(f => f.Value switch
        {
            ExprNode x => [x],
            IReadOnlyList<object?> list => list.OfType<ExprNode>(),
            _ => [],
        });

    private static int Count<T>(SyntaxNode tree) where T : SyntaxNode
    {
        var counter = new ReplaceNth<T>(-1, _ => null);
        counter.Visit(tree);
        return counter.Seen;
    }

    /// <summary>Interpolation.str is the source text of its value: keep it so after a value is replaced.</summary>
    private sealed class SyncInterpolationText : SyntaxRewriter
    {
        public override SyntaxNode VisitInterpolation(Interpolation node)
        {
            var visited = (Interpolation)base.VisitInterpolation(node);
            return visited.WithStr(new PyRecon.Model.PyStr(PythonFormatter.InterpolationText(visited.Value)));
        }
    }

    /// <summary>Replaces the n-th node of type T (pre-order) when the replacement is not null.</summary>
    private sealed class ReplaceNth<T>(int n, Func<T, SyntaxNode?> replace) : SyntaxRewriter where T : SyntaxNode
    {
        public int Seen { get; private set; }

        public override SyntaxNode Visit(SyntaxNode node)
        {
            if (node is T t && Seen++ == n)
                return replace(t) ?? throw new InvalidOperationException("no candidate");
            return base.Visit(node);
        }
    }
}
