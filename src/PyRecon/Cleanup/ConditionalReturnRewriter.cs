using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Cleanup;

/// <summary>
/// The optimizer copies the shared RETURN_VALUE of `return a if c else b` into both branches, which then read as
/// `if c: return a` followed by `return b`. Where the copy splits a return from its value's load in a way written
/// statements never do (see Evaluator.IsSplitFromItsLoad: 3.12-3.13 fuse a constant's load into RETURN_CONST, 3.14
/// borrows a local's load), the pair is one `return a if c else b`: when the second return is split, or the first is
/// and the second is not the implicit `return None`.
/// </summary>
internal sealed class ConditionalReturnRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.SplitReturnsOrEmpty.Count == 0) return body;
        return StatementLists.Rewrite(body, ctx, list => Merge(list, ctx));
    }

    private static List<StmtNode> Merge(List<StmtNode> list, CodeContext ctx)
    {
        // From the end, so `return 0 if a else 1 if b else 2` folds inside out.
        for (int i = list.Count - 2; i >= 0; i--)
        {
            if (list[i] is not If { Body: [Return then], Orelse.IsEmpty: true } test || list[i + 1] is not Return otherwise) continue;
            // The implicit `return None` is fused like any other, so an unfused one is never it.
            bool split = ctx.SplitReturnsOrEmpty.Contains(otherwise);
            if (!split && (!ctx.SplitReturnsOrEmpty.Contains(then) || ctx.ImplicitReturnsOrEmpty.Contains(otherwise))) continue;
            var merged = S.Return(S.IfExp(test.Test, ValueOf(then), ValueOf(otherwise)));
            ctx.SplitReturns.Add(merged);
            if (ctx.Lines.TryGetValue(test, out int line)) ctx.SetLine(merged, line);
            list[i] = merged;
            list.RemoveAt(i + 1);
        }
        return list;
    }

    private static ExprNode ValueOf(Return r) => r.Value ?? S.Constant(PyNone.Instance);
}
