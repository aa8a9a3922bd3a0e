using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Cleanup;

/// <summary>
/// 3.12-3.13 fuse `LOAD_CONST; RETURN_VALUE` into RETURN_CONST within a block, before the optimizer copies the
/// shared RETURN_VALUE of `return a if c else b` into both branches. A constant returned by a separate
/// RETURN_VALUE therefore comes from such a copy: `if c: return 0` followed by a return (or `if c: return x`
/// followed by such a return) is one `return 0 if c else …` (written as statements it would recompile to RETURN_CONST).
/// </summary>
internal sealed class ConditionalReturnRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.SplitConstantReturns.Count == 0) return body;
        return StatementLists.Rewrite(body, ctx, list => Merge(list, ctx));
    }

    private static List<StmtNode> Merge(List<StmtNode> list, CodeContext ctx)
    {
        // From the end, so `return 0 if a else 1 if b else 2` folds inside out.
        for (int i = list.Count - 2; i >= 0; i--)
        {
            if (list[i] is not If { Body: [Return then], Orelse.IsEmpty: true } test || list[i + 1] is not Return otherwise) continue;
            // The implicit `return None` is fused like any other, so an unfused one is never it.
            bool split = ctx.SplitConstantReturns.Contains(otherwise);
            if (!split && (!ctx.SplitConstantReturns.Contains(then) || ctx.ImplicitReturns.Contains(otherwise))) continue;
            var merged = S.Return(S.IfExp(test.Test, ValueOf(then), ValueOf(otherwise)));
            ctx.SplitConstantReturns.Add(merged);
            if (ctx.Lines.TryGetValue(test, out int line)) ctx.SetLine(merged, line);
            list[i] = merged;
            list.RemoveAt(i + 1);
        }
        return list;
    }

    private static ExprNode ValueOf(Return r) => r.Value ?? S.Constant(PyNone.Instance);
}
