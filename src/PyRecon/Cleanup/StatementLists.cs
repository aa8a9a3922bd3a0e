using System.Collections.Immutable;
using PyRecon.Decompilation;
using PyRecon.Syntax;

namespace PyRecon.Cleanup;

/// <summary>
/// Applies a list rewrite to every statement list of a body, nested ones first (the bodies of if, loops, try,
/// with, match). Nodes are rebuilt only where a list changed; a rebuilt statement keeps its source line.
/// Nested functions and classes are left alone: they belong to their own code objects.
/// </summary>
internal static class StatementLists
{
    /// <summary>True when control never runs off the end of <paramref name="body"/>: it ends in a return, raise, continue
    /// or break, or in an if/else whose branches both do.</summary>
    public static bool Leaves(ImmutableArray<StmtNode> body) => body.Length > 0 && body[^1] switch
    {
        Return or Raise or Continue or Break => true,
        If { Orelse.IsEmpty: false } i => Leaves(i.Body) && Leaves(i.Orelse),
        _ => false,
    };

    public static List<StmtNode> Rewrite(List<StmtNode> body, CodeContext ctx, Func<List<StmtNode>, List<StmtNode>> rewrite)
    {
        var result = new List<StmtNode>(body.Count);
        foreach (var s in body)
        {
            var r = RewriteNested(s, ctx, rewrite);
            if (!ReferenceEquals(r, s) && ctx.Lines.TryGetValue(s, out int line)) ctx.SetLine(r, line);
            result.Add(r);
        }
        return rewrite(result);
    }

    private static ImmutableArray<StmtNode> List(ImmutableArray<StmtNode> list, CodeContext ctx, Func<List<StmtNode>, List<StmtNode>> rewrite)
    {
        if (list.IsEmpty) return list;
        var rewritten = Rewrite([.. list], ctx, rewrite);
        if (SameItems(rewritten, list)) return list;
        return rewritten.Count == 0 ? [SyntaxFactory.Pass()] : [.. rewritten];
    }

    private static StmtNode RewriteNested(StmtNode s, CodeContext ctx, Func<List<StmtNode>, List<StmtNode>> rewrite) => s switch
    {
        If i => i.Update(i.Test, List(i.Body, ctx, rewrite), OrElse(i.Orelse, ctx, rewrite)),
        For f => f.Update(f.Target, f.Iter, List(f.Body, ctx, rewrite), OrElse(f.Orelse, ctx, rewrite), f.TypeComment),
        AsyncFor f => f.Update(f.Target, f.Iter, List(f.Body, ctx, rewrite), OrElse(f.Orelse, ctx, rewrite), f.TypeComment),
        While w => w.Update(w.Test, List(w.Body, ctx, rewrite), OrElse(w.Orelse, ctx, rewrite)),
        With w => w.Update(w.Items, List(w.Body, ctx, rewrite), w.TypeComment),
        AsyncWith w => w.Update(w.Items, List(w.Body, ctx, rewrite), w.TypeComment),
        Try t => t.Update(List(t.Body, ctx, rewrite), Handlers(t.Handlers, ctx, rewrite), OrElse(t.Orelse, ctx, rewrite), OrElse(t.Finalbody, ctx, rewrite)),
        TryStar t => t.Update(List(t.Body, ctx, rewrite), Handlers(t.Handlers, ctx, rewrite), OrElse(t.Orelse, ctx, rewrite), OrElse(t.Finalbody, ctx, rewrite)),
        Match m => m.Update(m.Subject, Cases(m.Cases, ctx, rewrite)),
        _ => s,
    };

    /// <summary>An else/finally list may become empty (it is then dropped, not filled with pass).</summary>
    private static ImmutableArray<StmtNode> OrElse(ImmutableArray<StmtNode> list, CodeContext ctx, Func<List<StmtNode>, List<StmtNode>> rewrite)
    {
        if (list.IsEmpty) return list;
        var rewritten = Rewrite([.. list], ctx, rewrite);
        if (SameItems(rewritten, list)) return list;
        return [.. rewritten];
    }

    private static bool SameItems(List<StmtNode> rewritten, ImmutableArray<StmtNode> list)
    {
        if (rewritten.Count != list.Length) return false;
        for (int i = 0; i < list.Length; i++)
            if (!ReferenceEquals(rewritten[i], list[i])) return false;
        return true;
    }

    /// <summary>Replaces each statement of <paramref name="list"/> by what <paramref name="replace"/> makes of it, in
    /// place (no list per statement list of every body). Returns the list.</summary>
    public static List<StmtNode> ReplaceEach(List<StmtNode> list, CodeContext ctx, Func<StmtNode, CodeContext, StmtNode> replace)
    {
        for (int i = 0; i < list.Count; i++) list[i] = replace(list[i], ctx);
        return list;
    }

    /// <summary>Runs <paramref name="rewriter"/> over each statement of <paramref name="list"/> in place; a rebuilt
    /// statement keeps its source line. Returns the list.</summary>
    public static List<StmtNode> VisitEach(List<StmtNode> list, CodeContext ctx, SyntaxRewriter rewriter)
    {
        for (int i = 0; i < list.Count; i++)
        {
            var rewritten = (StmtNode)rewriter.Visit(list[i]);
            if (ReferenceEquals(rewritten, list[i])) continue;
            if (ctx.Lines.TryGetValue(list[i], out int line)) ctx.SetLine(rewritten, line);
            list[i] = rewritten;
        }
        return list;
    }

    // Loops, not lambdas: a lambda capturing the parameters would cost a closure on every statement visited.
    private static ImmutableArray<ExcepthandlerNode> Handlers(ImmutableArray<ExcepthandlerNode> handlers, CodeContext ctx, Func<List<StmtNode>, List<StmtNode>> rewrite)
    {
        var result = ImmutableArray.CreateBuilder<ExcepthandlerNode>(handlers.Length);
        foreach (var h in handlers) result.Add(h is ExceptHandler e ? e.WithBody(List(e.Body, ctx, rewrite)) : h);
        return result.MoveToImmutable();
    }

    private static ImmutableArray<MatchCase> Cases(ImmutableArray<MatchCase> cases, CodeContext ctx, Func<List<StmtNode>, List<StmtNode>> rewrite)
    {
        var result = ImmutableArray.CreateBuilder<MatchCase>(cases.Length);
        foreach (var c in cases) result.Add(c.WithBody(List(c.Body, ctx, rewrite)));
        return result.MoveToImmutable();
    }
}
