using PyRecon.Bytecode;

namespace PyRecon.Flow;

/// <summary>What the borrow pass's rule says of one local load (<see cref="BorrowPass.Read"/>).</summary>
public enum LoadBorrowing : byte
{
    /// <summary>Not a LOAD_FAST or LOAD_FAST_LOAD_FAST of either kind.</summary>
    NotALoad,
    /// <summary>LOAD_FAST_BORROW{_LOAD_FAST_BORROW}: the pass visited the block.</summary>
    Borrowed,
    /// <summary>A plain load whose references are consumed in its block, unstored and with their locals alive: the
    /// pass would have borrowed it had it visited the block as laid out (it did not, or a block boundary the layout
    /// does not show lies between the load and its consumer).</summary>
    LeftPlain,
    /// <summary>A plain load the pass keeps plain anyway (stored, killed, or still on the stack at the block's end).</summary>
    Kept,
}

/// <summary>
/// CPython 3.14's borrow pass (flowgraph.c optimize_load_fast), read backwards. The pass walks the blocks reachable
/// from the entry along jumps and fallthroughs (not exception edges; and not out of a block left empty by the last
/// clean-ups, which has no last instruction to fall from), simulating each block's stack of references on its own:
/// a LOAD_FAST{_LOAD_FAST} whose references are popped in the block by an op that does not store them, before
/// their local is stored or deleted, becomes LOAD_FAST_BORROW{_LOAD_FAST_BORROW}. So a borrowed load shows that the
/// pass reached its block, and a <see cref="LoadBorrowing.LeftPlain"/> load that it did not (or that the block ends
/// between the load and its consumer): evidence for choosing between readings that differ in block structure only.
/// </summary>
public static class BorrowPass
{
    public static LoadBorrowing Read(FunctionFlow flow, int load)
    {
        var ops = flow.Ops;
        var op = ops[load];
        if (op.Name is "LOAD_FAST_BORROW" or "LOAD_FAST_BORROW_LOAD_FAST_BORROW") return LoadBorrowing.Borrowed;
        int[] locals = op.Instruction.Argument switch
        {
            LocalArgument { Index: var l } when op.Name == "LOAD_FAST" => [l],
            LocalPairArgument { First.Index: var l1, Second.Index: var l2 } when op.Name == "LOAD_FAST_LOAD_FAST" => [l1, l2],
            _ => [],
        };
        if (locals.Length == 0 || op.Depth < 0) return LoadBorrowing.NotALoad;
        // The stack slots of the load's references, bottom first; a slot is -1 once its reference is consumed.
        var slots = new int[locals.Length];
        for (int r = 0; r < slots.Length; r++) slots[r] = op.Depth + r;
        var table = OpcodeTable.For(flow.Version);
        int block = flow.BlockIdOf(load);
        for (int j = load + 1; j < ops.Length && flow.BlockIdOf(j) == block; j++)
        {
            var next = ops[j];
            int depth = next.Depth;
            // The ops the spec gives no consumed count for (the COPY/SWAP shuffles and the ops the reading does not
            // model) keep the load plain.
            if (depth < 0 || table.Pops(next.Instruction.Opcode, next.Instruction.Arg) is not int pops) return LoadBorrowing.Kept;
            // A store pops a reference into a local (it may not be borrowed); a store or delete of a local kills
            // the references to it still on the stack.
            if (KilledLocals(next) is { } killed)
                for (int r = 0; r < slots.Length; r++)
                    if (slots[r] >= 0 && (slots[r] >= depth - pops || killed.Contains(locals[r]))) return LoadBorrowing.Kept;
            // A method load (and LOAD_SPECIAL) puts the owner's reference back above the attribute it pushes.
            bool keepsOwner = next.Name == "LOAD_ATTR" && (next.Instruction.Arg & 1) == 1 || next.Name is "LOAD_SPECIAL" or "PUSH_EXC_INFO";
            for (int r = 0; r < slots.Length; r++)
            {
                if (slots[r] < 0) continue;
                if (keepsOwner && slots[r] == depth - 1) slots[r] = depth;
                else if (slots[r] >= depth - pops) slots[r] = -1;
            }
            if (Array.TrueForAll(slots, s => s < 0)) return LoadBorrowing.LeftPlain;
            if (!StackDepth.FallsThrough(next.Instruction)) break;
        }
        return LoadBorrowing.Kept;
    }

    private static int[]? KilledLocals(Op op) => (op.Name, op.Instruction.Argument) switch
    {
        ("STORE_FAST" or "DELETE_FAST", LocalArgument l) => [l.Index],
        ("STORE_FAST_STORE_FAST", LocalPairArgument p) => [p.First.Index, p.Second.Index],
        ("STORE_FAST_LOAD_FAST", LocalPairArgument p) => [p.First.Index],
        _ => null,
    };
}
