using System.Collections.Immutable;
using System.Text;
using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Flow;

/// <summary>
/// Everything the structurer knows about one code object's control flow: the normalized ops, the
/// exception handlers, the basic blocks with their edges, dominators and post-dominators, and loop heads.
/// Built once per code object by <see cref="Build"/>; read-only afterwards.
/// </summary>
public sealed class FunctionFlow
{
    private FunctionFlow(CodeObject code, Op[] ops, ImmutableArray<ExceptionHandler> handlers, ExceptionHandler?[] handlerOf,
        BasicBlock[] blocks, int[] blockOf, List<string> problems)
    {
        Code = code;
        Ops = ops;
        Handlers = handlers;
        _handlerOf = handlerOf;
        Blocks = blocks;
        _blockOf = blockOf;
        Problems = problems;
    }

    private readonly ExceptionHandler?[] _handlerOf;
    private readonly int[] _blockOf;
    private int[] _idom = [];
    private int[] _ipdom = [];
    private bool[] _loopHead = [];

    public CodeObject Code { get; }
    public PythonVersion Version => Code.Version;
    public Op[] Ops { get; }
    public ImmutableArray<ExceptionHandler> Handlers { get; }

    /// <summary>
    /// The first op of an unreachable `LOAD_CONST None; RETURN_VALUE` block that ends the code, or null: the implicit
    /// return that 3.8-3.9 append after a last statement that cannot fall through, and keep as dead code.
    /// </summary>
    public int? DeadImplicitReturnStart
    {
        get
        {
            if (Blocks.Length == 0) return null;
            var tail = Blocks[^1];
            if (!tail.Unreachable || tail.End - tail.Start != 2) return null;
            return Ops[tail.Start].Instruction.Argument is ConstArgument { Value: PyNone } && Ops[tail.Start + 1].Kind == OpKind.Return
                ? tail.Start : null;
        }
    }
    public BasicBlock[] Blocks { get; }
    /// <summary>Inconsistencies found while building (conflicting block stacks, stray targets).</summary>
    public List<string> Problems { get; }
    /// <summary>Exit copies inside expressions this reading left in place; a second reading may undo them.</summary>
    public int KeptExpressionCopies { get; init; }

    public ExceptionHandler? HandlerOf(int op) => _handlerOf[op];
    public BasicBlock BlockOf(int op) => Blocks[_blockOf[op]];
    public int BlockIdOf(int op) => _blockOf[op];
    /// <summary>Virtual exit/root node id used by <see cref="ImmediatePostDominator"/> and <see cref="ImmediateDominator"/>.</summary>
    public int VirtualNode => Blocks.Length;
    /// <summary>Immediate dominator block id; <see cref="VirtualNode"/> for roots, -1 when unreachable.</summary>
    public int ImmediateDominator(int block) => _idom[block];
    /// <summary>Immediate post-dominator block id; <see cref="VirtualNode"/> when only the exit post-dominates, -1 when no exit is reachable.</summary>
    public int ImmediatePostDominator(int block) => _ipdom[block];
    /// <summary>True when some block the head dominates jumps back to it.</summary>
    public bool IsLoopHead(int block) => _loopHead[block];

    public bool Dominates(int a, int b)
    {
        for (int x = b, guard = 0; x >= 0 && x != VirtualNode && guard <= Blocks.Length; guard++)
        {
            if (x == a) return true;
            x = _idom[x];
        }
        return false;
    }

    public bool PostDominates(int a, int b)
    {
        for (int x = b, guard = 0; x >= 0 && x != VirtualNode && guard <= Blocks.Length; guard++)
        {
            if (x == a) return true;
            x = _ipdom[x];
        }
        return false;
    }

    /// <summary>The first op after <paramref name="i"/> that is not a Skip (the op count when none is).</summary>
    public int NextReal(int i)
    {
        for (int k = i + 1; k < Ops.Length; k++)
            if (Ops[k].Kind != OpKind.Skip) return k;
        return Ops.Length;
    }

    /// <summary>The first op of a block that is not a Skip (or its end when all are).</summary>
    public int FirstRealOp(BasicBlock block)
    {
        for (int i = block.Start; i < block.End; i++)
            if (Ops[i].Kind != OpKind.Skip) return i;
        return block.End;
    }

    /// <summary>The block's terminator op, or null when it falls through.</summary>
    public Op? Terminator(BasicBlock block)
    {
        for (int i = block.End - 1; i >= block.Start; i--)
        {
            if (Ops[i].Kind == OpKind.Skip) continue;
            return Ops[i].IsTerminator ? Ops[i] : null;
        }
        return null;
    }

    /// <param name="moduleOrClass">True for module and class bodies (which cannot return, so inlined exits must be undone).</param>
    /// <param name="undoExpressionCopies">Also undo exit copies that start inside an expression (the second reading).</param>
    public static FunctionFlow Build(CodeObject code, ImmutableArray<Instruction> instructions, bool moduleOrClass = false, bool undoExpressionCopies = false)
    {
        var problems = new List<string>();
        var ops = new Op[instructions.Length];
        for (int i = 0; i < ops.Length; i++) ops[i] = Classify(new Op(i, instructions[i]), code.Version);

        var depths = StackDepth.Compute(code, instructions);
        for (int i = 0; i < ops.Length; i++) ops[i].Depth = depths.DepthBefore[i] ?? -1;
        problems.AddRange(depths.Problems);

        var normalizer = new OpNormalizer(code.Version, ops, moduleOrClass, undoExpressionCopies);
        normalizer.BeforeHandlers();
        var (handlers, handlerOf, handlerProblems) = ExceptionHandlerBuilder.Build(code, ops);
        problems.AddRange(handlerProblems);
        handlers = normalizer.AfterHandlers(handlers, handlerOf);
        InheritHandlersForJumps(ops, handlerOf);

        var (blocks, blockOf) = BuildBlocks(ops, handlers, handlerOf);
        var flow = new FunctionFlow(code, ops, handlers, handlerOf, blocks, blockOf, problems) { KeptExpressionCopies = normalizer.KeptExpressionCopies };
        flow.Analyze();
        return flow;
    }

    /// <summary>
    /// Jumps cannot raise, and the optimizer creates some after exception targets are assigned (normalize_jumps,
    /// inverted conditions), so the table may leave them out of a range they sit in. A jump reached by falling
    /// from the op before it belongs with that op's handler.
    /// </summary>
    private static void InheritHandlersForJumps(Op[] ops, ExceptionHandler?[] handlerOf)
    {
        int previous = -1;
        for (int i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            if (op.Kind == OpKind.Skip) continue;
            if (op.Kind is OpKind.Jump or OpKind.CondJump or OpKind.KeepJump && previous >= 0 && !ops[previous].IsTerminator && ops[previous].Kind is OpKind.Plain
                && !LeavesTheRange(op, i, handlerOf, handlerOf[previous]))
                handlerOf[i] = handlerOf[previous];
            previous = i;
        }
    }

    /// <summary>
    /// A jump that leaves the range of the op before it is code of its own when the table says so: one back to a
    /// head outside the range (an empty finally's copy: the loop's jump back), or one the table puts in another
    /// range (the try body's exit jump of a try/except inside a try/finally, covered by the finally).
    /// </summary>
    private static bool LeavesTheRange(Op jump, int at, ExceptionHandler?[] handlerOf, ExceptionHandler? range)
    {
        if (jump.Target < 0 || jump.Target >= handlerOf.Length || ReferenceEquals(handlerOf[jump.Target], range)) return false;
        return jump.Target < at || handlerOf[at] is not null && !ReferenceEquals(handlerOf[at], range);
    }

    private static Op Classify(Op op, PythonVersion version)
    {
        var ins = op.Instruction;
        op.Line = ins.Line ?? 0;
        if (ins.Argument is JumpArgument j && StackDepth.Branches(ins)) op.Target = j.TargetIndex;
        string name = ins.Name;
        switch (ins.Opcode.Handler)
        {
            case OpcodeHandler.Jump: op.Kind = OpKind.Jump; break;
            case OpcodeHandler.PopJumpIf:
                op.Kind = OpKind.CondJump;
                op.Sense = name.Contains("FALSE", StringComparison.Ordinal) ? JumpSense.IfFalse : JumpSense.IfTrue;
                break;
            case OpcodeHandler.PopJumpIfNone:
                op.Kind = OpKind.CondJump;
                op.Sense = name.Contains("NOT_NONE", StringComparison.Ordinal) ? JumpSense.IfNotNone : JumpSense.IfNone;
                break;
            case OpcodeHandler.JumpIfOrPop:
                op.Kind = OpKind.KeepJump;
                op.Sense = name.Contains("FALSE", StringComparison.Ordinal) ? JumpSense.IfFalse : JumpSense.IfTrue;
                break;
            case OpcodeHandler.JumpIfNotExcMatch:
                op.Kind = OpKind.CondJump;
                op.Sense = JumpSense.IfFalse;
                break;
            case OpcodeHandler.ForIter: op.Kind = OpKind.ForIter; break;
            case OpcodeHandler.ReturnValue:
            case OpcodeHandler.ReturnConst: op.Kind = OpKind.Return; break;
            case OpcodeHandler.Raise: op.Kind = OpKind.Raise; break;
            case OpcodeHandler.Reraise: op.Kind = OpKind.Reraise; break;
            case OpcodeHandler.Nop:
            case OpcodeHandler.Cache:
            case OpcodeHandler.Resume:
            case OpcodeHandler.ExtendedArg:
            case OpcodeHandler.Precall:
            case OpcodeHandler.GenStart:
            case OpcodeHandler.MakeCell:
            case OpcodeHandler.CopyFreeVars:
            case OpcodeHandler.Instrumented:
                op.Kind = OpKind.Skip;
                break;
            case OpcodeHandler.SetupBlock: op.Kind = version < PythonVersion.V3_11 ? OpKind.Setup : OpKind.Skip; break;
            case OpcodeHandler.PopBlock: op.Kind = version < PythonVersion.V3_11 ? OpKind.PopBlock : OpKind.Skip; break;
            case OpcodeHandler.CallFinally: op.Kind = OpKind.CallFinally; break;
            case OpcodeHandler.EndFinally: op.Kind = OpKind.EndFinally; break;
            default: op.Kind = OpKind.Plain; break;
        }
        if (op.Kind == OpKind.Plain) op.Target = -1; // SEND, END_ASYNC_FOR: their targets are handled by the normalizer
        return op;
    }

    private static (BasicBlock[], int[]) BuildBlocks(Op[] ops, ImmutableArray<ExceptionHandler> handlers, ExceptionHandler?[] handlerOf)
    {
        int n = ops.Length;
        var leader = new bool[n + 1];
        if (n > 0) leader[0] = true;
        ExceptionHandler? previousHandler = null;
        bool seenReal = false;
        for (int i = 0; i < n; i++)
        {
            var op = ops[i];
            if (op.Target >= 0 && op.Kind != OpKind.Skip && op.Kind != OpKind.Plain) leader[op.Target] = true;
            if (op.IsTerminator && op.Kind != OpKind.Skip) leader[i + 1] = true;
            if (op.Kind == OpKind.Setup) leader[i + 1] = true;
            if (op.Kind != OpKind.Skip)
            {
                if (seenReal && !ReferenceEquals(handlerOf[i], previousHandler)) leader[i] = true;
                previousHandler = handlerOf[i];
                seenReal = true;
            }
        }
        foreach (var h in handlers) leader[h.Target] = true;

        var blocks = new List<BasicBlock>();
        var blockOf = new int[n];
        for (int i = 0; i < n;)
        {
            int j = i + 1;
            while (j < n && !leader[j]) j++;
            var block = new BasicBlock(blocks.Count, i, j);
            for (int k = i; k < j; k++) blockOf[k] = block.Id;
            blocks.Add(block);
            i = j;
        }
        for (int b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            block.Next = b + 1 < blocks.Count ? b + 1 : -1;
            for (int k = block.Start; k < block.End; k++)
                if (ops[k].Kind != OpKind.Skip) { block.Handler = handlerOf[k]; break; }
            Op? term = null;
            for (int k = block.End - 1; k >= block.Start; k--)
            {
                if (ops[k].Kind == OpKind.Skip) continue;
                if (ops[k].IsTerminator) term = ops[k];
                break;
            }
            void Add(int target)
            {
                if (target < 0) return;
                if (!block.Successors.Contains(target)) block.Successors.Add(target);
            }
            if (term is null) Add(block.Next);
            else
            {
                if (term.FallsThrough) Add(block.Next);
                if (term.Target >= 0 && term.Target < n) Add(blockOf[term.Target]);
            }
        }
        foreach (var block in blocks)
            foreach (var s in block.Successors)
                blocks[s].Predecessors.Add(block.Id);
        return (blocks.ToArray(), blockOf);
    }

    private void Analyze()
    {
        int n = Blocks.Length;
        // Dominators follow exception edges too (a protected block reaches its handler): handler code is then
        // dominated by the code it protects, and code a handler flows back into stays under its loop head.
        // A handler of dead code is dead itself, as the compiler leaves it for `try: pass`.
        // Both graphs are flat arrays (offsets per block), not a list per block: this runs for every code object.
        var start = new int[n + 1];
        var edges = new List<int>(n * 2);
        for (int b = 0; b < n; b++)
        {
            start[b] = edges.Count;
            edges.AddRange(Blocks[b].Successors);
            for (int i = Blocks[b].Start; i < Blocks[b].End; i++)
            {
                var h = _handlerOf[i];
                if (h is null || Ops[i].Kind == OpKind.Skip) continue;
                int hb = _blockOf[h.Target];
                if (edges.IndexOf(hb, start[b]) < 0) edges.Add(hb);
            }
        }
        start[n] = edges.Count;
        var roots = new List<int>();
        if (n > 0) roots.Add(0);
        _idom = Dominance.ImmediateDominators(n, start, [.. edges], roots);
        for (int b = 0; b < n; b++) Blocks[b].Unreachable = _idom[b] < 0;

        // The reversed normal-flow graph: each block's predecessors in block order, as the successor lists give them.
        var reversedStart = new int[n + 1];
        var exits = new List<int>();
        for (int b = 0; b < n; b++)
        {
            if (Blocks[b].Successors.Count == 0) exits.Add(b);
            foreach (var s in Blocks[b].Successors) reversedStart[s + 1]++;
        }
        for (int b = 0; b < n; b++) reversedStart[b + 1] += reversedStart[b];
        var reversed = new int[reversedStart[n]];
        var filled = new int[n];
        for (int b = 0; b < n; b++)
            foreach (var s in Blocks[b].Successors) reversed[reversedStart[s] + filled[s]++] = b;
        _ipdom = Dominance.ImmediateDominators(n, reversedStart, reversed, exits);

        _loopHead = new bool[n];
        for (int b = 0; b < n; b++)
            foreach (var s in Blocks[b].Successors)
                if (Dominates(s, b)) _loopHead[s] = true;
    }

    /// <summary>A listing of blocks, edges, handlers and depths for <c>--dump cfg</c>.</summary>
    public string Dump()
    {
        var sb = new StringBuilder();
        sb.Append("code ").Append(Code.QualName ?? Code.Name).Append('\n');
        foreach (var h in Handlers) sb.Append("  ").Append(h).Append('\n');
        foreach (var b in Blocks)
        {
            sb.Append($"  B{b.Id} ops {b.Start}..{b.End - 1}");
            if (b.Handler is not null) sb.Append(" handler H").Append(b.Handler.Id);
            if (IsLoopHead(b.Id)) sb.Append(" loop-head");
            if (b.Unreachable) sb.Append(" unreachable");
            sb.Append(" -> ").Append(string.Join(",", b.Successors.Select(s => "B" + s)));
            sb.Append(" idom ").Append(Fmt(_idom[b.Id])).Append(" ipdom ").Append(Fmt(_ipdom[b.Id])).Append('\n');
            for (int i = b.Start; i < b.End; i++)
            {
                var op = Ops[i];
                sb.Append($"      {op.Index,4} {op.Instruction.Offset,5} d{op.Depth,-3} L{op.Line,-4} {op.Name,-28} {op.Instruction.Argument}");
                if (op.Kind != OpKind.Plain) sb.Append("  [").Append(op.Kind).Append(op.Sense != JumpSense.None ? " " + op.Sense : "").Append(op.Target >= 0 ? " ->" + op.Target : "").Append(op.AbsorbedBy is null ? "" : " " + op.AbsorbedBy).Append(']');
                sb.Append('\n');
            }
        }
        foreach (var p in Problems) sb.Append("  problem: ").Append(p).Append('\n');
        return sb.ToString();

        string Fmt(int x) => x < 0 ? "-" : x == VirtualNode ? "exit" : "B" + x;
    }
}
