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
        int block = flow.BlockIdOf(load);
        for (int j = load + 1; j < ops.Length && flow.BlockIdOf(j) == block; j++)
        {
            var next = ops[j];
            int depth = next.Depth;
            if (depth < 0 || Pops(next) is not int pops) return LoadBorrowing.Kept;
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

    /// <summary>
    /// How many stack entries a 3.14 op pops (null for the COPY/SWAP shuffles and the ops the reading does not model,
    /// which keep the load plain). An op that leaves its inputs on the stack (LIST_APPEND's list) pops only the ones it consumes.
    /// </summary>
    private static int? Pops(Op op)
    {
        int arg = op.Instruction.Arg;
        return op.Name switch
        {
            "NOP" or "NOT_TAKEN" or "CACHE" or "RESUME" or "EXTENDED_ARG" or "LOAD_CONST" or "LOAD_SMALL_INT" or "LOAD_FAST"
                or "LOAD_FAST_BORROW" or "LOAD_FAST_CHECK" or "LOAD_FAST_LOAD_FAST" or "LOAD_FAST_BORROW_LOAD_FAST_BORROW"
                or "LOAD_GLOBAL" or "LOAD_NAME" or "LOAD_DEREF" or "LOAD_COMMON_CONSTANT" or "PUSH_NULL" or "LOAD_BUILD_CLASS"
                or "LOAD_LOCALS" or "GET_LEN" or "MATCH_MAPPING" or "MATCH_SEQUENCE" or "MATCH_KEYS" or "IMPORT_FROM"
                or "DELETE_FAST" or "DELETE_NAME" or "DELETE_GLOBAL" or "DELETE_DEREF" => 0,
            "POP_TOP" or "TO_BOOL" or "UNARY_NEGATIVE" or "UNARY_NOT" or "UNARY_INVERT" or "GET_ITER" or "FORMAT_SIMPLE"
                or "CONVERT_VALUE" or "RETURN_VALUE" or "YIELD_VALUE" or "STORE_FAST" or "STORE_FAST_LOAD_FAST" or "STORE_NAME"
                or "STORE_GLOBAL" or "STORE_DEREF" or "UNPACK_SEQUENCE" or "UNPACK_EX" or "CALL_INTRINSIC_1" or "GET_AWAITABLE"
                or "LOAD_ATTR" or "LOAD_SPECIAL" or "PUSH_EXC_INFO" or "DELETE_ATTR" or "MAKE_FUNCTION" or "POP_JUMP_IF_FALSE" or "POP_JUMP_IF_TRUE"
                or "POP_JUMP_IF_NONE" or "POP_JUMP_IF_NOT_NONE" or "LIST_APPEND" or "SET_ADD" or "LIST_EXTEND" or "SET_UPDATE"
                or "DICT_UPDATE" or "DICT_MERGE" or "SET_FUNCTION_ATTRIBUTE" or "CHECK_EXC_MATCH" or "GET_YIELD_FROM_ITER" => 1,
            "BINARY_OP" or "COMPARE_OP" or "CONTAINS_OP" or "IS_OP" or "STORE_ATTR" or "DELETE_SUBSCR" or "FORMAT_WITH_SPEC"
                or "CALL_INTRINSIC_2" or "MAP_ADD" or "IMPORT_NAME" or "STORE_FAST_STORE_FAST" or "BUILD_TEMPLATE" => 2,
            "BINARY_SLICE" or "STORE_SUBSCR" => 3,
            "STORE_SLICE" or "CALL_FUNCTION_EX" => 4,
            "CALL" => 2 + arg,
            "CALL_KW" => 3 + arg,
            "BUILD_LIST" or "BUILD_TUPLE" or "BUILD_SET" or "BUILD_STRING" or "BUILD_SLICE" or "RAISE_VARARGS" => arg,
            "BUILD_MAP" => 2 * arg,
            _ => null,
        };
    }
}
