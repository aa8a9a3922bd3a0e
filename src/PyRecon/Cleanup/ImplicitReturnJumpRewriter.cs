using System.Collections.Immutable;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Cleanup;

/// <summary>
/// 3.10+ copies the implicit `return None` into every branch that jumps to the end of a function, so a copy may
/// stand for a jump the source wrote another way: a `break` out of a loop that ends the function, or the end of an
/// if's branch whose else held the rest of the function. The bytecode is the same; co_consts is not, because a
/// written `return` adds None where it stands while a jump adds nothing and None comes later (from the next None in
/// codegen order or the final return). When the structured body adds None before constants the original added
/// first, the copies become those jumps, one at a time, as long as each brings the order closer, and the result is
/// kept only when it matches.
/// </summary>
internal sealed class ImplicitReturnJumpRewriter : IBodyRewriter
{
    private static readonly ImplicitReturnRewriter s_tailReturns = new();

    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Version < PythonVersion.V3_10 || ctx.Scope is not ScopeKind.Function) return body;
        int noneIndex = ctx.Code.Consts.IndexOf(PyNone.Instance);
        // None first (no docstring before 3.14) or not at all: the order has nothing to say.
        if (noneIndex <= 0) return body;
        // Edits and comparisons see the body as it will be printed: without the copies at its end.
        var current = s_tailReturns.Run([.. body], ctx);
        int? before = ConstantsBeforeNone(current, ctx, noneIndex, out bool matches);
        while (before is int count && !matches)
        {
            // One jump at a time: the variant that delays None most without passing the original's place for it.
            List<StmtNode>? best = null;
            int bestCount = count;
            bool bestMatches = false;
            for (int k = 0; ; k++)
            {
                var editor = new JumpEditor(k, ctx);
                var variant = editor.TailList(current);
                if (!editor.Applied) break;
                variant = s_tailReturns.Run(variant, ctx);
                if (ConstantsBeforeNone(variant, ctx, noneIndex, out bool variantMatches) is not int n || n <= bestCount) continue;
                (best, bestCount, bestMatches) = (variant, n, variantMatches);
            }
            if (best is null) return body;
            (current, before, matches) = (best, bestCount, bestMatches);
        }
        return matches && !SameStatements(current, body) ? current : body;
    }

    private static bool SameStatements(List<StmtNode> a, List<StmtNode> b) => a.Count == b.Count && a.Zip(b).All(p => ReferenceEquals(p.First, p.Second));

    /// <summary>
    /// How many known constants the body adds before None, when
    /// that does not exceed the original's count; <paramref name="matches"/> when exactly the original's set does.
    /// </summary>
    private static int? ConstantsBeforeNone(List<StmtNode> body, CodeContext ctx, int noneIndex, out bool matches)
    {
        matches = false;
        if (ConstantVisitOrder.Of(body, DocstringRewriter.FunctionDocstring(ctx.Code), ctx.Version) is not { } order) return null;
        var original = ctx.Code.Consts;
        var before = new HashSet<PyObject>();
        foreach (var value in order)
        {
            if (value is PyNone) break;
            if (original.Contains(value)) before.Add(value);
        }
        var known = order.Where(v => v is not PyNone && original.Contains(v)).ToHashSet();
        var wanted = original.Take(noneIndex).Where(known.Contains).ToHashSet();
        if (!before.IsSubsetOf(wanted)) return null;
        matches = before.SetEquals(wanted);
        return before.Count;
    }

    /// <summary>
    /// Applies the <c>wanted</c>-th possible jump (in walk order) to a copy of a body: lists in tail position (their
    /// end is the function's end) may fold what follows an if that leaves by implicit returns into its else; loops
    /// in tail position may turn those returns into breaks.
    /// </summary>
    private sealed class JumpEditor(int wanted, CodeContext ctx)
    {
        private int _seen;
        public bool Applied => _seen > wanted;

        private bool Take() => !Applied && _seen++ == wanted;

        public List<StmtNode> TailList(IReadOnlyList<StmtNode> list)
        {
            var result = list.ToList();
            for (int i = 0; i < result.Count - 1; i++)
            {
                if (result[i] is not If { Orelse.IsEmpty: true } cond || !LeavesByImplicitReturn(cond.Body) || !Take()) continue;
                var folded = S.If(cond.Test, WithoutFinalReturns(cond.Body), [.. result.Skip(i + 1)]);
                KeepLine(cond, folded);
                return [.. result.Take(i), folded];
            }
            if (result.Count > 0)
            {
                var last = TailStatement(result[^1]);
                if (!ReferenceEquals(last, result[^1])) result[^1] = last;
            }
            return result;
        }

        private StmtNode TailStatement(StmtNode s)
        {
            StmtNode edited = s switch
            {
                If i => Edited(i.Body, TailList) is { } b ? i.Update(i.Test, b, i.Orelse)
                    : Edited(i.Orelse, TailList) is { } e ? i.Update(i.Test, i.Body, e) : i,
                Try { Finalbody.IsEmpty: true } t => TailTry(t),
                For f => Edited(f.Body, LoopBody) is { } b ? f.Update(f.Target, f.Iter, b, f.Orelse, f.TypeComment) : f,
                While w => Edited(w.Body, LoopBody) is { } b ? w.Update(w.Test, b, w.Orelse) : w,
                _ => s,
            };
            KeepLine(s, edited);
            return edited;
        }

        /// <summary>A try ending the function: its handlers and else end there, and its body too when there is no else.</summary>
        private StmtNode TailTry(Try t)
        {
            if (t.Orelse.IsEmpty && Edited(t.Body, TailList) is { } body) return t.Update(body, t.Handlers, t.Orelse, t.Finalbody);
            if (Edited(t.Orelse, TailList) is { } orelse) return t.Update(t.Body, t.Handlers, orelse, t.Finalbody);
            for (int k = 0; k < t.Handlers.Length; k++)
                if (t.Handlers[k] is ExceptHandler h && Edited(h.Body, TailList) is { } hb)
                    return t.Update(t.Body, t.Handlers.SetItem(k, h.WithBody(hb)), t.Orelse, t.Finalbody);
            return t;
        }

        /// <summary>The body of a loop ending the function: a copy of the implicit return in it (outside nested loops) may be a break.</summary>
        private List<StmtNode> LoopBody(IReadOnlyList<StmtNode> list)
        {
            var result = list.ToList();
            for (int i = 0; i < result.Count && !Applied; i++)
            {
                var s = result[i];
                StmtNode edited = s switch
                {
                    Return { Value: null } r when IsCopyable(r) && Take() => S.Break(),
                    If c => Edited(c.Body, LoopBody) is { } b ? c.Update(c.Test, b, c.Orelse)
                        : Edited(c.Orelse, LoopBody) is { } e ? c.Update(c.Test, c.Body, e) : c,
                    _ => s,
                };
                if (ReferenceEquals(edited, s)) continue;
                KeepLine(s, edited);
                result[i] = edited;
            }
            return result;
        }

        /// <summary>The list edited, or null when this walk applied nothing in it.</summary>
        private ImmutableArray<StmtNode>? Edited(ImmutableArray<StmtNode> list, Func<IReadOnlyList<StmtNode>, List<StmtNode>> edit)
        {
            if (Applied || list.IsEmpty) return null;
            var edited = edit(list);
            return Applied ? [.. edited] : null;
        }

        /// <summary>The branch of an if that now has an else: its paths run to the end instead of returning.</summary>
        private ImmutableArray<StmtNode> WithoutFinalReturns(ImmutableArray<StmtNode> body)
        {
            if (body.IsEmpty) return body;
            var last = body[^1];
            StmtNode? replaced = last switch
            {
                Return => null,
                If i => i.Update(i.Test, WithoutFinalReturns(i.Body), WithoutFinalReturns(i.Orelse)),
                // An else holding only the copy was the try body's own way to the end: it goes.
                Try t => t.Update(t.Orelse.IsEmpty ? WithoutFinalReturns(t.Body) : t.Body,
                    [.. t.Handlers.Select(h => h is ExceptHandler eh ? eh.WithBody(WithoutFinalReturns(eh.Body)) : h)],
                    t.Orelse is [Return] ? [] : WithoutFinalReturns(t.Orelse), t.Finalbody),
                _ => last,
            };
            if (replaced is null)
            {
                if (body.Length > 1) return body.RemoveAt(body.Length - 1);
                replaced = S.Pass();
            }
            KeepLine(last, replaced);
            return body.SetItem(body.Length - 1, replaced);
        }

        /// <summary>True when every path through the statements ends in a possible copy of the implicit return (or a raise), at least one in a copy.</summary>
        private bool LeavesByImplicitReturn(ImmutableArray<StmtNode> body) => Leaves(body, out bool viaReturn) && viaReturn;

        private bool Leaves(ImmutableArray<StmtNode> body, out bool viaReturn)
        {
            viaReturn = false;
            if (body.IsEmpty) return false;
            switch (body[^1])
            {
                case Return { Value: null } r when IsCopyable(r):
                    viaReturn = true;
                    return true;
                case Raise:
                    return true;
                case If { Orelse.IsEmpty: false } i:
                    bool both = Leaves(i.Body, out bool a) & Leaves(i.Orelse, out bool b);
                    viaReturn = a || b;
                    return both;
                case Try { Finalbody.IsEmpty: true } t:
                {
                    bool leaves = Leaves(t.Orelse.IsEmpty ? t.Body : t.Orelse, out viaReturn);
                    foreach (var h in t.Handlers)
                    {
                        if (h is not ExceptHandler eh || !Leaves(eh.Body, out bool inHandler)) return false;
                        viaReturn |= inHandler;
                    }
                    return leaves;
                }
                default:
                    return false;
            }
        }

        /// <summary>
        /// A bare return that may be the optimizer's copy of the function's final return: one reached by a single path
        /// (a written return shared by several paths stays one block). A copy keeps the line of the jump it replaced,
        /// so a `break` or `pass` on a line of its own reads as a return on that line.
        /// </summary>
        private bool IsCopyable(Return r) => !ctx.SharedReturns.Contains(r);

        private void KeepLine(StmtNode from, StmtNode to)
        {
            if (!ReferenceEquals(from, to) && ctx.Lines.TryGetValue(from, out int line)) ctx.SetLine(to, line);
        }
    }
}
