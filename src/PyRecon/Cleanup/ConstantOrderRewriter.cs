using System.Collections.Immutable;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Cleanup;

/// <summary>
/// Where two statement structures compile to the same bytecode (3.10+), co_consts still tells them apart: codegen
/// numbers constants in the order it first visits them, and the structures visit in different orders. The
/// optimizer copies the implicit `return None` (and other small exits) into the branches that jump to them, so a
/// copy may stand for a `break` out of a loop that ends the function, the end of an if branch whose else held the
/// rest, or a branch falling through to the statements that end the function; a try body reaches its else the way
/// it reaches what follows the try; a handler ending a loop body jumps back whether it says `continue` or not; 3.14
/// `while True` and `while 1` differ only in the constant. When the body's first visits (<see
/// cref="ConstantVisitOrder"/>) disagree with co_consts, those equivalent forms are tried one edit at a time, each
/// kept when it lengthens the agreeing prefix, and the result is kept only when the whole order agrees.
/// </summary>
internal sealed class ConstantOrderRewriter : IBodyRewriter
{
    private static readonly ImplicitReturnRewriter s_tailReturns = new();

    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Version < PythonVersion.V3_10 || ctx.Scope is not ScopeKind.Function) return body;
        // Edits and comparisons see the body as it will be printed: without the copies at its end.
        var current = s_tailReturns.Run([.. body], ctx);
        // Each constant's first index in co_consts, hashed once for every trial edit: the walk visits hundreds of
        // constants in large functions.
        var firstIndex = new Dictionary<PyObject, int>(ctx.Code.Consts.Length);
        for (int k = 0; k < ctx.Code.Consts.Length; k++) firstIndex.TryAdd(ctx.Code.Consts[k], k);
        var score = Agreement(current, ctx, firstIndex);
        while (score is { Agreed: var agreed, Of: var of } && agreed < of)
        {
            // One edit at a time: the variant whose constant order agrees with the original's longest.
            List<StmtNode>? best = null;
            var bestScore = score;
            for (int k = 0; ; k++)
            {
                var editor = new JumpEditor(k, ctx);
                var variant = editor.WhileTrueSpellings(editor.LoopTryElses(editor.TailList(current)));
                if (!editor.Applied) break;
                variant = s_tailReturns.Run(variant, ctx);
                if (Agreement(variant, ctx, firstIndex) is not { } s || s.Of != of || s.Agreed <= bestScore.Value.Agreed) continue;
                (best, bestScore) = (variant, s);
            }
            if (best is null) return body;
            (current, score) = (best, bestScore);
        }
        return score is { Agreed: var done, Of: var all } && done == all && !SameStatements(current, body) ? current : body;
    }

    private static bool SameStatements(List<StmtNode> a, List<StmtNode> b) => a.Count == b.Count && a.Zip(b).All(p => ReferenceEquals(p.First, p.Second));

    /// <summary>
    /// How far the body's first visits of the constants it is known to add (those the walk sees and co_consts holds)
    /// follow the original's order: the length of the agreeing prefix, of how many; null when the walk is unknown.
    /// </summary>
    private static (int Agreed, int Of)? Agreement(List<StmtNode> body, CodeContext ctx, Dictionary<PyObject, int> firstIndex)
    {
        if (ConstantVisitOrder.Of(body, DocstringRewriter.FunctionDocstring(ctx.Code), ctx.Version) is not var (order, first)) return null;
        var original = ctx.Code.Consts;
        // The walk's first visits (distinct values) as their first indexes in co_consts; co_consts holds the same
        // constants once each at those indexes, so its order of them is the same indexes ascending.
        var ours = new List<int>(order.Count);
        foreach (var v in order)
            if (firstIndex.TryGetValue(v, out int at)) ours.Add(at);
        var theirs = ours.ToArray();
        Array.Sort(theirs);
        int agreed = 0, offset = 0;
        // 3.14 keeps the first constant numbered as co_consts[0] even when nothing loads it: it comes first.
        if (original.Length > 0 && first is not null)
        {
            if (!first.Equals(original[0])) return (0, ours.Count + 1);
            agreed = offset = 1;
        }
        while (agreed - offset < ours.Count && ours[agreed - offset] == theirs[agreed - offset]) agreed++;
        return (agreed, ours.Count + offset);
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
                var rest = result.Skip(i + 1).ToList();
                StmtNode? folded = result[i] switch
                {
                    // The branch ended by jumping to the function's end: the rest was its else.
                    If { Orelse.IsEmpty: true } cond when LeavesByImplicitReturn(cond.Body) && Take() =>
                        S.If(cond.Test, WithoutFinalReturns(cond.Body), [.. rest]),
                    // Handlers that all leave: the rest runs only after the body, as its else does.
                    Try { Orelse.IsEmpty: true, Finalbody.IsEmpty: true } t when t.Handlers.All(h => h is ExceptHandler eh && AlwaysLeaves(eh.Body))
                        && !AlwaysLeaves(t.Body) && Take() => t.Update(t.Body, t.Handlers, [.. rest], t.Finalbody),
                    _ => null,
                };
                if (folded is not null)
                {
                    KeepLine(result[i], folded);
                    return [.. result.Take(i), folded];
                }
                // The branch ended in a copy of the statements that end the list (the optimizer copied that exit
                // into the branch): it fell through to them, past the rest, which was its else.
                if (result[i] is If { Orelse.IsEmpty: true } copying && CopiedTailLength(copying.Body, rest) is int k)
                {
                    var branch = copying.Body.RemoveRange(copying.Body.Length - k, k);
                    // Paths of what remains of the branch may end in copies of that return too, falling through with it.
                    var alsoFallingThrough = rest[^1] is Return finalReturn ? WithoutCopiesAtEnd(branch, finalReturn) : null;
                    bool alone = Take();
                    if (alone || alsoFallingThrough is not null && Take())
                    {
                        var shortened = S.If(copying.Test, alone ? branch : alsoFallingThrough!.Value, [.. rest.Take(rest.Count - k)]);
                        KeepLine(copying, shortened);
                        return [.. result.Take(i), shortened, .. rest.Skip(rest.Count - k)];
                    }
                }
                // Every path through the branch (a try, nested ifs) ended in a copy of the return ending the list:
                // each fell through to it, past the rest, which was the branch's else.
                if (result[i] is If { Orelse.IsEmpty: true, Body: [.., not Return] } sharing && rest[^1] is Return { Value: not null } tail
                    && Leaves(sharing.Body, tail, out bool viaTail) && viaTail && Take())
                {
                    var merged = S.If(sharing.Test, WithoutFinalReturns(sharing.Body), [.. rest.Take(rest.Count - 1)]);
                    KeepLine(sharing, merged);
                    return [.. result.Take(i), merged, tail];
                }
            }
            // Paths of the statement before the return ending the list that end in a copy of it fell through to it.
            if (result.Count >= 2 && result[^1] is Return { Value: not null } ending && result[^2] is If or Try
                && WithoutCopiesAtEnd([result[^2]], ending) is [var fallsThrough] && Take())
            {
                KeepLine(result[^2], fallsThrough);
                result[^2] = fallsThrough;
                return result;
            }
            if (result.Count > 0)
            {
                var last = TailStatement(result[^1]);
                if (!ReferenceEquals(last, result[^1])) result[^1] = last;
            }
            // A loop followed by the return that ends the function: its copies in the loop may be breaks.
            if (!Applied && result.Count >= 2 && result[^1] is Return follow && result[^2] is For or While)
            {
                var loop = result[^2];
                // Leaving a for loop pops its iterator first, which a return computing its value does after.
                if (loop is For && follow.Value is not (null or Constant)) return result;
                var edited = LoopEdit(loop, body => LoopBody(body, follow));
                if (!ReferenceEquals(edited, loop)) result[^2] = edited;
            }
            return result;
        }

        /// <summary>
        /// A try ending a loop body: its else may have been the rest of the body, after handlers that continue (a
        /// handler falling off the end jumps back to the loop head as a continue does; 3.10 keeps the forward jump
        /// to the loop's end there).
        /// </summary>
        public List<StmtNode> LoopTryElses(List<StmtNode> body) => Applied || ctx.Version < PythonVersion.V3_11 ? body : StatementLists.Rewrite(body, ctx, list =>
        {
            for (int i = 0; i < list.Count && !Applied; i++)
            {
                var loop = list[i];
                if (loop is not (For or While)) continue;
                var edited = LoopEdit(loop, loopBody =>
                {
                    if (loopBody is not [.., Try { Orelse.IsEmpty: false, Finalbody.IsEmpty: true } t]
                        || t.Handlers.Any(h => h is not ExceptHandler) || !Take()) return [.. loopBody];
                    var handlers = t.Handlers.Select(h =>
                    {
                        var eh = (ExceptHandler)h;
                        if (AlwaysLeaves(eh.Body) || eh.Body[^1] is Continue or Break) return h;
                        return eh.WithBody(eh.Body is [Pass] ? [S.Continue()] : eh.Body.Add(S.Continue()));
                    });
                    var split = S.Try(t.Body, [.. handlers], [], []);
                    KeepLine(t, split);
                    return [.. loopBody.Take(loopBody.Count - 1), split, .. t.Orelse];
                });
                list[i] = edited;
            }
            return list;
        });

        /// <summary>
        /// 3.14: `while 1` and `while True` compile alike, and the test's constant stays in co_consts only when
        /// something else loads it; then its place (True among the rest; 1 loads as a small int, never a constant)
        /// tells which the loop was.
        /// </summary>
        public List<StmtNode> WhileTrueSpellings(List<StmtNode> body) => Applied || ctx.Version < PythonVersion.V3_14 ? body : StatementLists.Rewrite(body, ctx, list =>
        {
            for (int i = 0; i < list.Count && !Applied; i++)
            {
                if (list[i] is not While { Test: Constant { Value: PyInt { Value.IsOne: true } or PyBool { Value: true } } test } loop || !Take()) continue;
                var respelled = loop.Update(S.Constant(test.Value is PyBool ? new PyInt(1) : PyBool.True), loop.Body, loop.Orelse);
                KeepLine(loop, respelled);
                list[i] = respelled;
            }
            return list;
        });

        /// <summary>How many statements ending <paramref name="branch"/> equal the end of <paramref name="rest"/> and leave, leaving some of each; null if none.</summary>
        private static int? CopiedTailLength(ImmutableArray<StmtNode> branch, List<StmtNode> rest)
        {
            int k = 0;
            while (k < branch.Length - 1 && k < rest.Count - 1 && branch[branch.Length - 1 - k].Equals(rest[rest.Count - 1 - k])) k++;
            return k > 0 && rest[^1] is Return or Raise ? k : null;
        }

        private static bool AlwaysLeaves(ImmutableArray<StmtNode> body) => body.Length > 0 && body[^1] switch
        {
            Return or Raise => true,
            If { Orelse.IsEmpty: false } i => AlwaysLeaves(i.Body) && AlwaysLeaves(i.Orelse),
            _ => false,
        };

        private StmtNode LoopEdit(StmtNode loop, Func<IReadOnlyList<StmtNode>, List<StmtNode>> edit)
        {
            StmtNode edited = loop switch
            {
                For f => Edited(f.Body, edit) is { } b ? f.Update(f.Target, f.Iter, b, f.Orelse, f.TypeComment) : f,
                While w => Edited(w.Body, edit) is { } b ? w.Update(w.Test, b, w.Orelse) : w,
                _ => loop,
            };
            KeepLine(loop, edited);
            return edited;
        }

        private StmtNode TailStatement(StmtNode s)
        {
            StmtNode edited = s switch
            {
                If i => Edited(i.Body, TailList) is { } b ? i.Update(i.Test, b, i.Orelse)
                    : Edited(i.Orelse, TailList) is { } e ? i.Update(i.Test, i.Body, e) : i,
                Try { Finalbody.IsEmpty: true } t => TailTry(t),
                For or While => LoopEdit(s, body => LoopBody(body, null)),
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

        /// <summary>
        /// The body of a loop ending the function (<paramref name="follow"/> null) or followed by the return that does:
        /// a copy of that return in it (outside nested loops) may be a break.
        /// </summary>
        private List<StmtNode> LoopBody(IReadOnlyList<StmtNode> list, Return? follow)
        {
            var result = list.ToList();
            for (int i = 0; i < result.Count && !Applied; i++)
            {
                var s = result[i];
                StmtNode edited = s switch
                {
                    Return r when (follow is null ? r.Value is null && IsCopyable(r) : r.Equals(follow)) && Take() => S.Break(),
                    If c => Edited(c.Body, b => LoopBody(b, follow)) is { } b ? c.Update(c.Test, b, c.Orelse)
                        : Edited(c.Orelse, b => LoopBody(b, follow)) is { } e ? c.Update(c.Test, c.Body, e) : c,
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

        /// <summary>
        /// The statements with the copies of <paramref name="ending"/> that end their paths (through ifs and try
        /// statements without finally) removed; null when there are none.
        /// </summary>
        private ImmutableArray<StmtNode>? WithoutCopiesAtEnd(ImmutableArray<StmtNode> list, Return ending)
        {
            if (list.IsEmpty) return null;
            var last = list[^1];
            if (last is Return r && r.Equals(ending) && IsCopyable(r)) return list.Length > 1 ? list.RemoveAt(list.Length - 1) : [S.Pass()];
            StmtNode? replaced = null;
            switch (last)
            {
                case If i:
                    var (body, orelse) = (WithoutCopiesAtEnd(i.Body, ending), WithoutCopiesAtEnd(i.Orelse, ending));
                    if (body is not null || orelse is not null) replaced = i.Update(i.Test, body ?? i.Body, orelse ?? i.Orelse);
                    break;
                case Try { Finalbody.IsEmpty: true } t:
                    var tryBody = t.Orelse.IsEmpty ? WithoutCopiesAtEnd(t.Body, ending) : null;
                    var tryElse = WithoutCopiesAtEnd(t.Orelse, ending);
                    var handlers = t.Handlers.Select(h => h is ExceptHandler eh && WithoutCopiesAtEnd(eh.Body, ending) is { } hb ? eh.WithBody(hb) : h).ToImmutableArray();
                    if (tryBody is not null || tryElse is not null || !handlers.SequenceEqual(t.Handlers))
                        replaced = t.Update(tryBody ?? t.Body, handlers, tryElse ?? t.Orelse, t.Finalbody);
                    break;
            }
            if (replaced is null) return null;
            KeepLine(last, replaced);
            return list.SetItem(list.Length - 1, replaced);
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
        private bool LeavesByImplicitReturn(ImmutableArray<StmtNode> body) => Leaves(body, null, out bool viaReturn) && viaReturn;

        /// <summary>
        /// True when every path through the statements ends in a possible copy of <paramref name="tail"/> (null: the
        /// implicit return) or a raise; <paramref name="viaReturn"/> when at least one ends in a copy.
        /// </summary>
        private bool Leaves(ImmutableArray<StmtNode> body, Return? tail, out bool viaReturn)
        {
            viaReturn = false;
            if (body.IsEmpty) return false;
            switch (body[^1])
            {
                case Return r when (tail is null ? r.Value is null : r.Equals(tail)) && IsCopyable(r):
                    viaReturn = true;
                    return true;
                case Raise:
                    return true;
                case If { Orelse.IsEmpty: false } i:
                    bool both = Leaves(i.Body, tail, out bool a) & Leaves(i.Orelse, tail, out bool b);
                    viaReturn = a || b;
                    return both;
                case Try { Finalbody.IsEmpty: true } t:
                {
                    bool leaves = Leaves(t.Orelse.IsEmpty ? t.Body : t.Orelse, tail, out viaReturn);
                    foreach (var h in t.Handlers)
                    {
                        if (h is not ExceptHandler eh || !Leaves(eh.Body, tail, out bool inHandler)) return false;
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
        private bool IsCopyable(Return r) => !ctx.SharedReturnsOrEmpty.Contains(r);

        private void KeepLine(StmtNode from, StmtNode to)
        {
            if (!ReferenceEquals(from, to) && ctx.Lines.TryGetValue(from, out int line)) ctx.SetLine(to, line);
        }
    }
}
