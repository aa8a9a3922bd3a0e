using PyRecon.Decompilation;
using PyRecon.Flow;
using PyRecon.Syntax;

namespace PyRecon.Structuring;

internal sealed partial class Structurer
{
    private int StructureProtected(int pos, ExceptionHandler handler, Region region, List<StmtNode> output) =>
        throw Fail("try/with statements are not supported yet", pos);

    private int TerminateSpecial(Op op, Region region, List<StmtNode> output) =>
        throw Fail($"{op.Name} is not supported yet", op.Index);

    private bool TryInlineComprehension(int pos, Region? region, List<StmtNode> output, out int resume)
    {
        resume = pos;
        return false;
    }
}
