using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Flow;

/// <summary>
/// Rewrites version plumbing into one shape before blocks are built, so that the structurer sees the same
/// thing for every version:
/// <list type="bullet">
/// <item>3.11+ generator prologue (RETURN_GENERATOR; POP_TOP) and 3.12+ generator wrapper handler
/// (CALL_INTRINSIC_1 INTRINSIC_STOPITERATION_ERROR; RERAISE): dropped.</item>
/// <item>3.11+ SEND loops of await / yield from: the loop body (YIELD_VALUE, RESUME, JUMP_BACKWARD_NO_INTERRUPT)
/// and its CLEANUP_THROW handler are absorbed; SEND stays a plain op that the evaluator turns into one expression.</item>
/// <item>async for heads (3.8-3.10 SETUP_FINALLY; GET_ANEXT; LOAD_CONST None; YIELD_FROM; POP_BLOCK, 3.11+
/// GET_ANEXT; LOAD_CONST None; SEND ... under an END_ASYNC_FOR handler) become one <see cref="OpKind.AsyncForIter"/>.</item>
/// <item>3.12+ value-context and/or (COPY 1; [TO_BOOL]; POP_JUMP_IF_X; POP_TOP) becomes the 3.8-3.11
/// JUMP_IF_X_OR_POP (<see cref="OpKind.KeepJump"/>); a copy-jump into a POP_TOP (3.14 threading) becomes a plain
/// conditional jump past it.</item>
/// <item>3.12+ normalize_jumps undone: POP_JUMP_IF_X next; JUMP_BACKWARD head becomes the backward conditional
/// jump POP_JUMP_IF_notX head that 3.8-3.11 emit.</item>
/// </list>
/// </summary>
internal sealed class OpNormalizer(PythonVersion version, Op[] ops, bool moduleOrClass, bool undoExpressionCopies)
{
    /// <summary>Copies that start inside an expression left as they are (undone only when <c>undoExpressionCopies</c>).</summary>
    public int KeptExpressionCopies { get; private set; }

    private int NextReal(int i)
    {
        for (int k = i + 1; k < ops.Length; k++)
            if (ops[k].Kind != OpKind.Skip) return k;
        return ops.Length;
    }

    private int PrevReal(int i)
    {
        for (int k = i - 1; k >= 0; k--)
            if (ops[k].Kind != OpKind.Skip) return k;
        return -1;
    }

    private static void Absorb(Op op, string why)
    {
        op.Kind = OpKind.Skip;
        op.Target = -1;
        op.AbsorbedBy = why;
    }

    // One buffer for the passes that count targets (they run one after another, none inside another).
    private int[]? _targetCounts;

    private int[] CountTargets()
    {
        var count = _targetCounts ??= new int[ops.Length + 1];
        Array.Clear(count);
        foreach (var op in ops)
            if (op.Target >= 0 && op.Kind != OpKind.Skip) count[op.Target]++;
        return count;
    }

    public void BeforeHandlers()
    {
        if (version >= PythonVersion.V3_11) GeneratorPrologue();
        if (version >= PythonVersion.V3_11) SendLoops();
        if (version < PythonVersion.V3_11) AsyncForBlockStack();
        if (version <= PythonVersion.V3_9) UnthreadJumpOnlyElses();
        if (version >= PythonVersion.V3_11 && version <= PythonVersion.V3_13) JumpsBackToLoopHeadNops();
        if (version >= PythonVersion.V3_14) BuiltinFastPaths();
        if (version >= PythonVersion.V3_12)
        {
            CopyJumps();
            BackwardConditions();
        }
    }

    /// <summary>
    /// 3.14 compiles `all(genexpr)`, `any(genexpr)` and `tuple(genexpr)` twice: `LOAD_GLOBAL f; COPY 1;
    /// LOAD_COMMON_CONSTANT f; IS_OP; POP_JUMP_IF_FALSE call`, then the generator run inline when the name is the
    /// builtin, then at `call` the ordinary `PUSH_NULL; genexpr; CALL` for any other binding. The ordinary call is
    /// the source; the test and the inline run are absorbed (the inline run's jumps go with it). The name is loaded
    /// as its scope loads it (LOAD_NAME in module and class bodies), so the pattern starts at the COPY.
    /// </summary>
    private void BuiltinFastPaths()
    {
        for (int copy = 0; copy < ops.Length; copy++)
        {
            if (ops[copy].Name != "COPY" || ops[copy].Instruction.Arg != 1) continue;
            int constant = NextReal(copy), isOp = NextReal(constant), test = NextReal(isOp);
            if (test >= ops.Length) continue;
            if (ops[constant].Name != "LOAD_COMMON_CONSTANT" || ops[isOp].Name != "IS_OP" || ops[test].Kind != OpKind.CondJump) continue;
            int call = ops[test].Target;
            if (call <= test || ops[call].Name != "PUSH_NULL") continue;
            for (int k = copy; k < call; k++) Absorb(ops[k], "builtin fast path");
        }
    }

    /// <summary>
    /// 3.10 and 3.12+ replace a jump to a small block that leaves the scope (at most 4 instructions ending in
    /// return or raise) by a copy of that block. Where the copy matters to the structure — module and class
    /// bodies cannot return, a copy inside a loop hides a break and its else clause, a copy of a def would
    /// duplicate the code object — the copy is turned back into a jump to the block it repeats (same code,
    /// same stack depth, later in the layout; semantics are unchanged). Elsewhere the copy prints as the
    /// `return` it is, which recompiles the same.
    /// </summary>
    private void UninlineExitCopies(ExceptionHandler?[] handlerOf)
    {
        var targets = CountTargets();
        // Candidate originals: any run of at most 4 ops that ends the scope (once the jump to it was inlined, the
        // original need not start a block any more): an exit and the plain, untargeted ops before it. Longest first
        // (equal lengths keep layout order), grouped by the exit the run ends in: a copy ends in the very same exit
        // (opcode and argument), so an exit only meets the candidates of its own group.
        var byLength = new List<List<int>>?[5];
        for (int e = 0; e < ops.Length; e++)
        {
            if (ops[e].Kind is not (OpKind.Return or OpKind.Raise or OpKind.Reraise)) continue;
            var run = new List<int>(4) { e };
            for (int i = e; ; )
            {
                if (ops[i].Depth >= 0 && (ops[e].Kind is OpKind.Return or OpKind.Raise || IsFinallyTail(run)))
                    (byLength[run.Count] ??= []).Add([.. run]);
                if (run.Count == 4 || targets[i] > 0) break;
                i = PrevReal(i);
                if (i < 0 || ops[i].Kind != OpKind.Plain) break;
                run.Insert(0, i);
            }
        }
        var candidatesByExit = new Dictionary<(int Opcode, int Arg), List<List<int>>>();
        for (int length = 4; length >= 1; length--)
            foreach (var candidate in byLength[length] ?? [])
            {
                var last = ops[candidate[^1]].Instruction;
                if (!candidatesByExit.TryGetValue((last.Opcode.Number, last.Arg), out var group))
                    candidatesByExit[(last.Opcode.Number, last.Arg)] = group = [];
                group.Add(candidate);
            }
        if (candidatesByExit.Count == 0) return;
        var finallyTailCopies = new List<Op>();
        // The run of each length that ends at an exit, built once per exit (the ops change only after a match).
        var tails = new List<int>?[5];
        foreach (var end in ops)
        {
            if (end.Kind is not (OpKind.Return or OpKind.Raise or OpKind.Reraise)) continue;
            if (!candidatesByExit.TryGetValue((end.Instruction.Opcode.Number, end.Instruction.Arg), out var candidates)) continue;
            Array.Clear(tails);
            foreach (var block in candidates)
            {
                int start = block[0];
                if (block[^1] <= end.Index) continue; // the original comes later in the layout
                int k = block.Count;
                var copy = tails[k] ??= TailEndingAt(end.Index, k);
                if (copy.Count != k || copy[0] == start) continue;
                if (!Same(copy, block) || ops[copy[0]].Depth != ops[start].Depth || !SameLines(copy, block)) continue;
                if (!ReferenceEquals(handlerOf[copy[0]], handlerOf[start])) continue;
                if (copy.Skip(1).Any(c => targets[c] > 0)) continue;
                // A copy that starts inside an expression (it uses values pushed before it) splits that expression.
                // Identical raise statements are usually separate statements (asserts), so only a copied raise
                // that starts inside an expression is undone.
                // Such a tail can also match by chance (a with statement's exit ends like the implicit return), so
                // it is undone only on a second reading, when the first one failed.
                bool midExpression = !StartsStatement(copy);
                bool needed = end.Kind is OpKind.Return && (moduleOrClass || copy.Any(c => ops[c].Name == "MAKE_FUNCTION"))
                    || end.Kind is OpKind.Reraise;
                if (midExpression && !needed)
                {
                    if (!undoExpressionCopies) { KeptExpressionCopies++; break; }
                    needed = true;
                }
                if (!needed) break; // the longest copy decides: a shorter tail of it is no copy of its own
                var first = ops[copy[0]];
                if (end.Kind == OpKind.Reraise) finallyTailCopies.Add(first);
                first.Kind = OpKind.Jump;
                first.Target = start;
                first.AbsorbedBy = "inlined exit";
                foreach (var c in copy.Skip(1)) Absorb(ops[c], "inlined exit");
                targets[start]++;
                break;
            }
        }
        // A finally tail's copy may have been matched with a later copy of it: each goes to the original, the join of
        // the finally body's branches. (Return copies keep their first match: the structure reads those chains.)
        foreach (var op in finallyTailCopies)
            while (ops[op.Target] is { Kind: OpKind.Jump, AbsorbedBy: "inlined exit" } next && next.Target != op.Target) op.Target = next.Target;
    }

    /// <summary>
    /// The end of a finally handler's body, statements then `RERAISE 0`: what the body's branches join, which 3.12+
    /// copy into each (3.10's layout keeps it one block) (the handler's clean-up, `COPY 3; POP_EXCEPT; RERAISE 1`, and a with's exit, which pops the
    /// `__exit__` result first, are not such blocks).
    /// </summary>
    private bool IsFinallyTail(List<int> run) =>
        version >= PythonVersion.V3_12 && run.Count > 1 && ops[run[^1]].Kind == OpKind.Reraise && ops[run[^1]].Instruction.Arg == 0
        && run.All(k => ops[k].Name is not ("POP_EXCEPT" or "COPY" or "PUSH_EXC_INFO")) && StartsStatement(run);

    /// <summary>The last <paramref name="length"/> real ops up to <paramref name="end"/> (fewer at the start of the code).</summary>
    private List<int> TailEndingAt(int end, int length)
    {
        var tail = new List<int>(length) { end };
        for (int p = PrevReal(end); tail.Count < length && p >= 0; p = PrevReal(p)) tail.Add(p);
        tail.Reverse();
        return tail;
    }

    /// <summary>
    /// A copy keeps the lines of what it copies, except the implicit `return None`, which has none of its own
    /// (the tails of two different statements, `__all__ += a.__all__` then the return, differ here).
    /// </summary>
    private bool SameLines(List<int> copy, List<int> original)
    {
        bool implicitReturn = original.Count <= 2 && ops[original[0]].Instruction.Argument is ConstArgument { Value: PyNone };
        if (implicitReturn) return true;
        for (int k = 0; k < copy.Count; k++)
            if (ops[copy[k]].Line != ops[original[k]].Line) return false;
        return true;
    }

    /// <summary>A run starts at the statement level: past any POP_TOP of a loop's iterator it pushes before it uses anything.</summary>
    private bool StartsStatement(List<int> run)
    {
        int k = 0;
        while (k < run.Count && ops[run[k]].Name == "POP_TOP") k++;
        if (k == run.Count) return false;
        var name = ops[run[k]].Name;
        return name.StartsWith("LOAD_", StringComparison.Ordinal) || name is "RETURN_CONST" or "PUSH_NULL" || name == "RETURN_VALUE" && k > 0;
    }

    private bool Same(List<int> a, List<int> b)
    {
        for (int i = 0; i < a.Count; i++)
        {
            var x = ops[a[i]].Instruction;
            var y = ops[b[i]].Instruction;
            if (!Structuring.Structurer.SameOpcode(x, y) || x.Arg != y.Arg) return false;
        }
        return true;
    }

    public ImmutableArray<ExceptionHandler> AfterHandlers(ImmutableArray<ExceptionHandler> handlers, ExceptionHandler?[] handlerOf)
    {
        if (version >= PythonVersion.V3_10) UninlineExitCopies(handlerOf);
        if (version < PythonVersion.V3_11) return handlers;
        var removed = new HashSet<ExceptionHandler>();
        foreach (var h in handlers)
        {
            var first = ops[h.Target];
            if (first.Instruction.Argument is TableArgument { Value: "INTRINSIC_STOPITERATION_ERROR" })
            {
                removed.Add(h);
                for (int k = h.Target; k < ops.Length; k++)
                {
                    bool last = ops[k].Name == "RERAISE";
                    Absorb(ops[k], "generator wrapper");
                    if (last) break;
                }
            }
            else if (first.Name == "CLEANUP_THROW")
            {
                removed.Add(h);
                Absorb(first, "await");
                // Out of line it jumps back to the END_SEND; inline it falls into it.
                if (h.Target + 1 < ops.Length && ops[h.Target + 1].Kind == OpKind.Jump) Absorb(ops[h.Target + 1], "await");
            }
        }
        AsyncForTable(handlerOf, removed);
        if (removed.Count == 0) return handlers;

        ExceptionHandler? Survivor(ExceptionHandler? h)
        {
            for (int guard = 0; h is not null && removed.Contains(h) && guard < 1000; guard++) h = h.Parent;
            return h is not null && removed.Contains(h) ? null : h;
        }
        for (int i = 0; i < handlerOf.Length; i++) handlerOf[i] = Survivor(handlerOf[i]);
        foreach (var h in handlers) h.Parent = Survivor(h.Parent);
        return handlers.Where(h => !removed.Contains(h)).ToImmutableArray();
    }

    private void GeneratorPrologue()
    {
        int i = NextReal(-1);
        if (i < ops.Length && ops[i].Name == "RETURN_GENERATOR")
        {
            Absorb(ops[i], "generator prologue");
            int pop = NextReal(i);
            if (pop < ops.Length && ops[pop].Name == "POP_TOP") Absorb(ops[pop], "generator prologue");
        }
    }

    private void SendLoops()
    {
        foreach (var op in ops)
        {
            if (op.Handler != OpcodeHandler.Send || op.Instruction.Argument is not JumpArgument { TargetIndex: >= 0 } j) continue;
            for (int k = op.Index + 1; k < j.TargetIndex && k < ops.Length; k++) Absorb(ops[k], "await");
        }
    }

    private void AsyncForBlockStack()
    {
        foreach (var setup in ops)
        {
            if (setup.Kind != OpKind.Setup || setup.Name != "SETUP_FINALLY" || setup.Target < 0) continue;
            if (ops[setup.Target].Name != "END_ASYNC_FOR") continue;
            int i = setup.Index;
            if (i + 4 >= ops.Length || ops[i + 1].Name != "GET_ANEXT" || ops[i + 2].Name != "LOAD_CONST" || ops[i + 3].Name != "YIELD_FROM" || ops[i + 4].Name != "POP_BLOCK")
                continue;
            setup.Kind = OpKind.AsyncForIter;
            for (int k = i + 1; k <= i + 4; k++) Absorb(ops[k], "async for");
        }
    }

    private void AsyncForTable(ExceptionHandler?[] handlerOf, HashSet<ExceptionHandler> removed)
    {
        foreach (var g in ops)
        {
            if (g.Name != "GET_ANEXT" || g.Kind != OpKind.Plain) continue;
            var h = handlerOf[g.Index];
            if (h is null || ops[h.Target].Name != "END_ASYNC_FOR") continue;
            g.Kind = OpKind.AsyncForIter;
            g.Target = h.Target;
            // LOAD_CONST None; SEND (its loop already absorbed); END_SEND (3.12+)
            for (int k = g.Index + 1; k < ops.Length; k++)
            {
                var op = ops[k];
                if (op.Kind == OpKind.Skip) continue;
                if (op.Name is "LOAD_CONST" or "SEND" or "END_SEND") { Absorb(op, "async for"); if (op.Name == "END_SEND" || (op.Name == "SEND" && version < PythonVersion.V3_12)) break; continue; }
                break;
            }
            removed.Add(h);
            ops[h.Target].Target = -1;
        }
    }

    private bool IsCopyJump(Op jump, out int copy, out int toBool)
    {
        copy = toBool = -1;
        if (jump.Kind != OpKind.CondJump || jump.Sense is not (JumpSense.IfTrue or JumpSense.IfFalse)) return false;
        int p = PrevReal(jump.Index);
        if (p >= 0 && ops[p].Name == "TO_BOOL") { toBool = p; p = PrevReal(p); }
        if (p < 0 || ops[p].Name != "COPY" || ops[p].Instruction.Arg != 1) return false;
        copy = p;
        return true;
    }

    private void CopyJumps()
    {
        var targets = CountTargets();
        bool Targeted(int from, int to)
        {
            for (int k = from; k <= to; k++) if (targets[k] > 0) return true;
            return false;
        }
        // Keep-jumps first: they absorb the POP_TOP they fall into.
        var copyJumps = new List<(Op Jump, int Copy, int ToBool)>();
        foreach (var op in ops)
            if (IsCopyJump(op, out int copy, out int toBool) && !Targeted(copy + 1, op.Index)) copyJumps.Add((op, copy, toBool));
        var copyJumpTargets = new HashSet<int>(copyJumps.Select(c => c.Jump.Target));
        foreach (var (jump, copy, toBool) in copyJumps)
        {
            int fall = NextReal(jump.Index);
            if (fall >= ops.Length || ops[fall].Name != "POP_TOP") continue;
            // Every jump into that POP_TOP must be another copy-jump (3.14 threads `a and b or c` into it).
            if (targets[fall] > 0 && ops.Any(o => o.Target == fall && o.Kind != OpKind.Skip && !copyJumps.Any(c => ReferenceEquals(c.Jump, o))))
                continue;
            jump.Kind = OpKind.KeepJump;
            jump.Depth = ops[copy].Depth;
            Absorb(ops[copy], "keep-jump");
            if (toBool >= 0) Absorb(ops[toBool], "keep-jump");
            Absorb(ops[fall], "keep-jump");
        }
        // 3.14 threads `a and b or c`: a's copy-jump goes into the POP_TOP that b's keep-jump falls into, so both
        // of a's edges pop its value: a plain conditional jump.
        foreach (var (jump, _, _) in copyJumps)
            if (jump.Kind == OpKind.KeepJump && jump.Target >= 0 && ops[jump.Target] is { Kind: OpKind.Skip, AbsorbedBy: "keep-jump", Name: "POP_TOP" })
                jump.Kind = OpKind.CondJump;
        foreach (var (jump, copy, toBool) in copyJumps)
        {
            if (jump.Kind != OpKind.CondJump) continue;
            int t = jump.Target;
            if (t < 0 || t >= ops.Length) continue;
            bool popAtTarget = ops[t].Name == "POP_TOP";
            if (!popAtTarget) continue;
            jump.Depth = ops[copy].Depth;
            Absorb(ops[copy], "copy-jump");
            if (toBool >= 0) Absorb(ops[toBool], "copy-jump");
            if (ops[t].Kind != OpKind.Skip) jump.Target = t + 1;
        }
    }

    /// <summary>
    /// 3.11-3.13: a jump to a NOP that keeps a line is moved past the NOP when the jump stands on that line too (the
    /// line event would repeat). A `while True:` loop's NOP is its head, which a `continue` on another line still
    /// jumps to, while the jump back ending the body, on the `while` line, lands after it. When it lands on the NOP of
    /// a try starting the body, the loop would read as two nested ones (the try's NOP a head of its own). Such a jump
    /// is pointed back at the NOP another backward jump keeps as its target.
    /// </summary>
    private void JumpsBackToLoopHeadNops()
    {
        foreach (var jump in ops)
        {
            if (jump.Kind != OpKind.Jump || jump.Target <= 0 || jump.Target >= jump.Index || jump.Line <= 0) continue;
            var nop = ops[jump.Target - 1];
            if (nop.Kind != OpKind.Skip || nop.Name != "NOP" || nop.Line != jump.Line || ops[jump.Target].Name != "NOP") continue;
            if (ops.Any(other => other.Target == nop.Index && other.Index > nop.Index && other.Kind != OpKind.Skip)) jump.Target = nop.Index;
        }
    }

    private void BackwardConditions()
    {
        var targets = CountTargets();
        foreach (var c in ops)
        {
            if (c.Kind != OpKind.CondJump || c.Target < 0) continue;
            int jb = NextReal(c.Index);
            if (jb >= ops.Length) continue;
            var back = ops[jb];
            if (back.Kind != OpKind.Jump || back.Target < 0 || back.Target > c.Index || targets[jb] > 0) continue;
            // A jump with a line of its own is a written `continue`, not the second half of a backward condition.
            if (back.Line > 0 && back.Line != c.Line) continue;
            int after = NextReal(jb);
            if (FirstRealAt(c.Target) != after) continue;
            int head = back.Target;
            c.Sense = Negate(c.Sense);
            c.Target = head;
            Absorb(back, "backward condition");
            targets[head]++;
        }
    }

    /// <summary>
    /// 3.8-3.9: an else branch that is nothing but a jump (`else: break`, `else: continue`) makes the if's condition
    /// jump to a jump, and the peephole optimizer threads it on to where that jump goes. The else is left dead behind
    /// the then-branch's jump over it, and read as it is the condition would join the loop test or become a `break`
    /// of its own. The condition's jumps are pointed back at the else. Only a then-branch that nothing else enters
    /// and whose jump over the else has no line of its own (a written `continue` or `break` would) qualifies.
    /// </summary>
    private void UnthreadJumpOnlyElses()
    {
        int[]? targets = null;
        for (int j = 0; j < ops.Length; j++)
        {
            var jumpElse = ops[j];
            if (jumpElse.Kind != OpKind.Jump || jumpElse.Depth >= 0 || !jumpElse.Instruction.IsLineStart) continue;
            int over = PrevReal(j);
            if (over < 0 || ops[over] is not { Kind: OpKind.Jump, Depth: >= 0 } jumpOver || jumpOver.Instruction.IsLineStart) continue;
            targets ??= CountTargets();
            if (targets[j] > 0) continue;
            int where = FirstRealAt(jumpElse.Target);
            // The nearest conditional jump there before the then-branch's end, and the start of its statement's line.
            int test = over - 1;
            while (test >= 0 && !(ops[test].Kind == OpKind.CondJump && FirstRealAt(ops[test].Target) == where)) test--;
            if (test < 0) continue;
            int lineStart = test;
            while (lineStart > 0 && !ops[lineStart].Instruction.IsLineStart) lineStart--;
            if (EnteredFromOutside(lineStart, over)) continue;
            for (int k = lineStart; k <= test; k++)
            {
                if (ops[k].Kind != OpKind.CondJump || FirstRealAt(ops[k].Target) != where) continue;
                ops[k].Target = j;
                jumpElse.Depth = ops[k].Depth - 1;
            }
            targets = null;
        }
    }

    /// <summary>Whether an op outside [<paramref name="start"/>, <paramref name="end"/>] jumps to an op after <paramref name="start"/> up to <paramref name="end"/>.</summary>
    private bool EnteredFromOutside(int start, int end)
    {
        foreach (var op in ops)
            if (op.Kind != OpKind.Skip && (op.Index < start || op.Index > end) && op.Target > start && op.Target <= end) return true;
        return false;
    }

    private int FirstRealAt(int i) => i < ops.Length && ops[i].Kind == OpKind.Skip ? NextReal(i) : i;

    public static JumpSense Negate(JumpSense s) => s switch
    {
        JumpSense.IfTrue => JumpSense.IfFalse,
        JumpSense.IfFalse => JumpSense.IfTrue,
        JumpSense.IfNone => JumpSense.IfNotNone,
        JumpSense.IfNotNone => JumpSense.IfNone,
        _ => s,
    };
}
