using PyRecon.Decompilation;
using PyRecon.Syntax;

namespace PyRecon.Cleanup;

/// <summary>One clean-up idea applied to a code object's body once it is structured.</summary>
internal interface IBodyRewriter
{
    List<StmtNode> Run(List<StmtNode> body, CodeContext ctx);
}

/// <summary>
/// The clean-up rewrites, in order. Each position has a reason:
/// <list type="number">
/// <item><see cref="ClassBodyRewriter"/> first: the compiler's own class-body stores (__module__, __qualname__,
/// __classcell__, ...) must go before the docstring rule looks for a leading __doc__ store.</item>
/// <item><see cref="DocstringRewriter"/>: needs the first real statement of the body.</item>
/// <item><see cref="FinalElseRewriter"/>: 3.8-3.9 dead tail `return None` evidence; needs the final plain return
/// the next pass may drop.</item>
/// <item><see cref="ConditionalReturnRewriter"/>: 3.12-3.14 conditional-expression returns; before the implicit
/// return goes, so a `return None` that is the expression's else value is still there.</item>
/// <item><see cref="ConstantOrderRewriter"/>: co_consts order picks among structures with the same bytecode (breaks
/// and else branches for copied exits, ...); before the implicit return goes, which then strips the copies the new
/// else branches end in.</item>
/// <item><see cref="ImplicitReturnRewriter"/>: after the docstring, so an empty body is still recognised.</item>
/// <item><see cref="DeadYieldRewriter"/>: after the implicit return is gone, so a written final return is the last
/// statement.</item>
/// <item><see cref="DeferredAnnotationRewriter"/>: 3.14 module and class annotations, read back from `__annotate__`
/// (after the class plumbing is gone, before the docstring check sees the first statement).</item>
/// <item><see cref="AnnotationRewriter"/>: 3.8-3.13 module and class annotations; independent of returns.</item>
/// <item><see cref="FutureAnnotationRewriter"/>: after both annotation rewriters have made the annotated
/// assignments whose string annotations it unquotes.</item>
/// <item><see cref="ScopeDeclarationRewriter"/>: global/nonlocal go first in the body, after the docstring.</item>
/// <item><see cref="PrivateNameRewriter"/>: after the global/nonlocal declarations exist, so their names are written
/// unmangled too.</item>
/// <item><see cref="SameLineAndRewriter"/>: nested ifs on one line are an `and`; after the rewrites that make
/// ifs, independent of the rest.</item>
/// <item><see cref="SameLineConditionalExpressionRewriter"/>: an if/else of two expression statements on one line is
/// a conditional expression statement; after the `and` merge, which leaves no else behind.</item>
/// <item><see cref="PercentFormatRewriter"/>: 3.11 f-strings that cannot be written go back to the %-format the
/// optimizer made them of; after every rewrite that builds expressions.</item>
/// <item><see cref="ConstantFalseAssertRewriter"/>: resolves the asserts no if statement made, before the check for
/// unresolved internal statements.</item>
/// <item><see cref="PseudoStatementCheck"/> last: nothing the structurer used internally may survive.</item>
/// <item><see cref="ReturnOutsideFunctionCheck"/>: after every rewrite that leaves the compiler's returns out.</item>
/// <item><see cref="FoldedNotCheck"/>: independent of the rewrites; refuses conditions no source compiles to.</item>
/// </list>
/// </summary>
internal static class CleanupPipeline
{
    private static readonly IBodyRewriter[] s_passes =
    [
        new ClassBodyRewriter(),
        new DeferredAnnotationRewriter(),
        new DocstringRewriter(),
        new FinalElseRewriter(),
        new ConditionalReturnRewriter(),
        new ConstantOrderRewriter(),
        new ImplicitReturnRewriter(),
        new DeadYieldRewriter(),
        new AnnotationRewriter(),
        new FutureAnnotationRewriter(),
        new ScopeDeclarationRewriter(),
        new PrivateNameRewriter(),
        new SameLineAndRewriter(),
        new SameLineConditionalExpressionRewriter(),
        new PercentFormatRewriter(),
        new ConstantFalseAssertRewriter(),
        new PseudoStatementCheck(),
        new ReturnOutsideFunctionCheck(),
        new FoldedNotCheck(),
    ];

    public static List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        foreach (var pass in s_passes) body = pass.Run(body, ctx);
        return body;
    }
}
