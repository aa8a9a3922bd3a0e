using PyRecon.Flow;

namespace PyRecon.Decompilation;

/// <summary>
/// The invariant that no code is silently dropped: every reachable op that does something was consumed by
/// exactly the pass that turned it into source. A miss fails the code object instead of printing a body
/// that would recompile to less.
/// </summary>
internal static class CoverageCheck
{
    public static void Run(CodeContext ctx)
    {
        var flow = ctx.Flow;
        var missed = new List<Op>();
        foreach (var block in flow.Blocks)
        {
            if (block.Unreachable) continue;
            for (int i = block.Start; i < block.End; i++)
            {
                var op = flow.Ops[i];
                if (op.Kind == OpKind.Skip || ctx.Consumed[i]) continue;
                missed.Add(op);
            }
        }
        if (missed.Count > 0)
            throw new DecompileFailure("coverage", $"{missed.Count} instruction(s) not turned into source, first {missed[0].Name} at offset {missed[0].Instruction.Offset}", missed[0].Instruction.Offset);
    }
}
