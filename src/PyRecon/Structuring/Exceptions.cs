using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Evaluation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Structuring;

/// <summary>
/// try/except/else/finally and with statements. A protected region starts where the walk meets ops under a
/// new handler; the handler's code says which statement it is (WITH_EXCEPT_START: with; a type test or a
/// bare POP_TOP: except clauses; anything else up to a RERAISE: finally). Each construct's body region
/// carries a <see cref="ConstructExit"/> so that return/break/continue inside it are read through the
/// unwinding code the compiler put on their path (exit calls, finally copies, POP_EXCEPT).
/// </summary>
internal sealed partial class Structurer
{
    private enum HandlerKind { With, TryExcept, TryFinally }

    private int StructureProtected(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        switch (ClassifyHandler(handler))
        {
            case HandlerKind.With:
                return StructureWith(pos, handler, region, output);
            case HandlerKind.TryExcept:
                return StructureTryExcept(pos, handler, region, output);
            default:
                return _ctx.Version == PythonVersion.V3_8
                    ? StructureTryFinally38(pos, handler, region, output)
                    : StructureTryFinally(pos, handler, region, output);
        }
    }

    private HandlerKind ClassifyHandler(ExceptionHandler handler)
    {
        int start = RealAt(handler.Target);
        if (_ctx.Version >= PythonVersion.V3_11)
        {
            if (_ops[start].Name != "PUSH_EXC_INFO") throw Fail("a handler that does not start with PUSH_EXC_INFO", start);
            int first = NextReal(start);
            if (_ops[first].Name == "WITH_EXCEPT_START") return HandlerKind.With;
            return IsExceptClauseStart(first) ? HandlerKind.TryExcept : HandlerKind.TryFinally;
        }
        if (handler.Origin is HandlerOrigin.SetupWith or HandlerOrigin.SetupAsyncWith) return HandlerKind.With;
        return IsExceptClauseStart(start) ? HandlerKind.TryExcept : HandlerKind.TryFinally;
    }

    private int TerminateSpecial(Op op, Region region, List<StmtNode> output)
    {
        if (op.Kind == OpKind.Reraise && region.InFinallyHandler)
        {
            Consume(op.Index);
            FinallyRegion(region)!.ClosingReraises.Add(op.Index);
            return -1;
        }
        if (op.Kind == OpKind.EndFinally && region.InFinallyHandler)
        {
            // 3.8: the finally body runs in line and ends with END_FINALLY; what follows is the try's follow.
            _eval.ApplyStaticEffect(op);
            int after = NextReal(op.Index);
            FinallyRegion(region)!.Stops.Add(after);
            return after;
        }
        throw Fail($"{op.Name} outside its construct", op.Index);
    }

    private static Region? FinallyRegion(Region region)
    {
        for (var r = region; r is not null; r = r.Parent)
            if (r.IsFinallyHandler) return r;
        return null;
    }
    // ---------------------------------------------------------------- leaving a region

    /// <summary>The innermost region with an exit rule among those sharing <paramref name="region"/>'s handler.</summary>
    private static Region? ExitRegion(Region region)
    {
        for (var r = region; r is not null; r = r.Parent)
        {
            if (r.Exit is not null) return r;
            if (!ReferenceEquals(r.Parent?.Handler, region.Handler)) break;
        }
        return null;
    }

    /// <summary>
    /// The walk met an op outside its region's handler. If it is the region's construct's exit code followed by
    /// a return or a loop jump (after the exit code of any enclosing construct), the walk goes on through it in
    /// the enclosing region; otherwise the construct's body ends here (its normal exit).
    /// </summary>
    private int LeaveRegion(int pos, Region region, List<StmtNode> output)
    {
        var exitRegion = ExitRegion(region);
        if (exitRegion?.Exit is not ConstructExit exit) return pos;
        int after = exit.MatchUnwinding(pos);
        if (after < 0 || !IsAbrupt(after, exit.Outer)) return pos;
        // A module or class body cannot return: a return there is the compiler's, after the construct.
        if (_ctx.Scope is ScopeKind.Module or ScopeKind.Class && IsReturnAt(after)) return pos;
        if (exit is TryBodyExit && ReturnsConstantCompiledAfterHandler(after, exitRegion!.Handler)) return pos;
        if (exit is FinallyExit && ReturnsConstantAfterFinally(pos, after)) return pos;
        if (IsThreadedNormalExit(after, exit.Outer, exit.EndsLayout)) return pos;
        exit.ConsumeUnwinding(pos, after);
        var outer = LeaveEnclosingExits(ref after, exit.Outer);
        return WalkAfterUnwinding(after, outer.Child(), output);
    }

    /// <summary>
    /// Walks what a construct's exit code runs into when it leaves (a return, break or continue). 3.10+ copy a small
    /// exit block into a jump to it: a `break` out of a while loop whose follow is one leaves a copy of the follow,
    /// lines included, in place of its jump (a return written there would have its own line).
    /// </summary>
    private int WalkAfterUnwinding(int pos, Region region, List<StmtNode> output)
    {
        if (CopyOfBreakTargetEnd(pos, region) is int end)
        {
            ConsumeRange(RealAt(pos), end + 1);
            EmitAt(S.Break(), _ops[RealAt(pos)], output);
            return -1;
        }
        return Walk(pos, region, output);
    }

    /// <summary>Where the copy of a while loop's break target that starts at <paramref name="pos"/> ends, or null.</summary>
    private int? CopyOfBreakTargetEnd(int pos, Region region)
    {
        if (region.InnermostLoop is not { Iterator: null, BreakTarget: >= 0 } loop) return null;
        int p = RealAt(pos), original = RealAt(loop.BreakTarget);
        if (p >= _ops.Length || original >= _ops.Length || _ops[p].Line <= 0) return null;
        return CopiedExitEnd(p, original) is int end && SameCodeAndLines(p, end, original) ? end : null;
    }

    /// <summary>
    /// A return or loop jump leaving several constructs at once runs their exit code one after another (a return
    /// in a try inside an except clause: `POP_BLOCK; POP_EXCEPT; return`): the enclosing constructs' exit code that
    /// follows is taken too, so the walk does not read it as their normal end. Returns the region the abrupt
    /// statement is in; <paramref name="pos"/> moves past the exit code taken.
    /// </summary>
    private Region LeaveEnclosingExits(ref int pos, Region region)
    {
        while (ExitRegion(region) is { Exit: ConstructExit exit } && !region.IsStop(pos) && !region.IsStop(RealAt(pos)))
        {
            int after = exit.MatchUnwinding(pos);
            // A construct without exit code here (a 3.11+ try body) leaves the op under its own handler: the walk
            // stays in its region.
            if (after < 0 || RealAt(after) == RealAt(pos) || !IsAbrupt(after, exit.Outer, EndsAwayFromLoopEnd(exit, exit.Outer))) break;
            // A module or class body cannot return: a return there is the compiler's, after the construct.
            if (_ctx.Scope is ScopeKind.Module or ScopeKind.Class && IsReturnAt(after)) break;
            exit.ConsumeUnwinding(pos, after);
            pos = after;
            region = exit.Outer;
        }
        return region;
    }

    /// <summary>True at `return` or `return <constant>` (the constant loaded, then RETURN_VALUE).</summary>
    private bool IsReturnAt(int pos)
    {
        int p = RealAt(pos);
        if (p >= _ops.Length) return false;
        if (_ops[p].Kind == OpKind.Return) return true;
        return _ops[p].Name is "LOAD_CONST" or "LOAD_SMALL_INT" && NextReal(p) < _ops.Length && _ops[NextReal(p)].Kind == OpKind.Return;
    }

    /// <summary>
    /// `return <constant>` unwinds before it loads the constant, so one in a try body runs the finally copy and then
    /// the return, as one after the try statement does. The lines tell them apart: the return op has the return
    /// statement's line, and a finally body is written after its try body, so a return on a line past every line of
    /// the copy (<paramref name="copy"/> up to <paramref name="returnAt"/>) is written after the try statement.
    /// </summary>
    private bool ReturnsConstantAfterFinally(int copy, int returnAt)
    {
        if (!IsReturnAt(returnAt)) return false;
        int line = _ops[RealAt(returnAt)].Line, lastOfCopy = LastLineIn(RealAt(copy), returnAt);
        return line > 0 && lastOfCopy > 0 && line > lastOfCopy;
    }

    /// <summary>
    /// `return <constant>` unwinds before it loads the constant, so in the try body it reads the same as after the
    /// try statement. Constants are numbered as the compiler meets them, and it compiles the handlers before what
    /// follows the try: a constant numbered after one only the handlers load puts the return after the try.
    /// </summary>
    private bool ReturnsConstantCompiledAfterHandler(int pos, ExceptionHandler? handler)
    {
        if (handler is null) return false;
        if (!IsReturnAt(pos)) return false;
        int p = RealAt(pos);
        if (_ops[p].Instruction.Argument is not ConstArgument { Index: var returned }) return false;
        // Constants the code before the try statement already numbered say nothing.
        var seenBefore = new HashSet<int>();
        // Before 3.14 a function's first constant is numbered before any code: its docstring, or None.
        if (_ctx.Scope is ScopeKind.Function or ScopeKind.Lambda && _ctx.Version < PythonVersion.V3_14) seenBefore.Add(0);
        for (int i = 0; i < _ops.Length && !ReferenceEquals(_flow.HandlerOf(i), handler); i++)
            if (_ops[i].Instruction.Argument is ConstArgument { Index: var c }) seenBefore.Add(c);
        // So do those the try body loads before the return: the body is compiled before its handlers.
        for (int i = 0; i < p; i++)
            if (_flow.HandlerOf(i) is { } h && h.IsWithin(handler) && _ops[i].Instruction.Argument is ConstArgument { Index: var c }) seenBefore.Add(c);
        var handlerCode = HandlerDominatedOps(handler);
        for (int i = 0; i < _ops.Length; i++)
            if (handlerCode[i] && _ops[i].Instruction.Argument is ConstArgument { Index: var c } && c < returned && !seenBefore.Contains(c)) return true;
        return false;
    }

    /// <summary>The ops of the blocks the handler's first block dominates: its code, as constants are numbered in it.</summary>
    private bool[] HandlerDominatedOps(ExceptionHandler handler)
    {
        int handlerBlock = _flow.BlockOf(RealAt(handler.Target)).Id;
        var code = new bool[_ops.Length];
        foreach (var block in _flow.Blocks)
            if (_flow.Dominates(handlerBlock, block.Id))
                for (int i = block.Start; i < block.End; i++) code[i] = true;
        return code;
    }

    /// <summary>
    /// Whether the borrow pass (<see cref="BorrowPass"/>) reached the straight code at <paramref name="pos"/> (up to
    /// <paramref name="until"/>): true when its first load that says is borrowed, false when it is a plain load the
    /// pass would have borrowed, null when none says (or the version has no borrowed loads). The first decides: the
    /// pass reaches what a try body runs into directly (an else) but not code reached only through the emptied dead
    /// exits of clauses that all leave (a try statement's follow), which may come next in the same straight code.
    /// Either reading gives the same instructions but for these loads, so a wrong guess is a mismatch of load kinds only.
    /// </summary>
    private bool? BorrowEvidence(int pos, int until = int.MaxValue)
    {
        if (pos < 0 || OpcodeTable.For(_ctx.Version).ByName("LOAD_FAST_BORROW") is null) return null;
        for (int i = RealAt(pos); i < _ops.Length && i < until; i = NextReal(i))
        {
            switch (BorrowPass.Read(_flow, i))
            {
                case LoadBorrowing.Borrowed: return true;
                case LoadBorrowing.LeftPlain: return false;
            }
            if (_ops[i].Kind is not OpKind.Plain) break;
        }
        return null;
    }

    /// <summary>
    /// When the body and every clause leave, the body's last statements may be the code after the try: a return needs
    /// no handler, so the compiler leaves it out of the protected range wherever it is written, and the optimizer copies a
    /// small exit block into the body's end. A statement on a line past the first clause's first statement cannot be
    /// written in the body: it follows the try or is its else. The index of the first such statement (the body keeps
    /// one), or null.
    /// </summary>
    private int? StatementsPastClauses(List<StmtNode> body, IReadOnlyList<ExcepthandlerNode> handlers)
    {
        int clauseLine = int.MaxValue;
        foreach (var handler in handlers)
        {
            // A clause ending in the same statement without a line of its own (on its previous statement's line): both
            // are copies of the exit after the try, which the cleanup merges.
            if (handler is ExceptHandler { Body: [.., var previous, var last] } && body is [.., var bodyLast] && last.Equals(bodyLast)
                && (!_ctx.Lines.TryGetValue(last, out int lastLine) || !_ctx.Lines.TryGetValue(previous, out int previousLine) || lastLine == previousLine))
                return null;
            if (handler is ExceptHandler { Body: [var first, ..] } && _ctx.Lines.TryGetValue(first, out int line) && line > 0)
                clauseLine = Math.Min(clauseLine, line);
        }
        int keep = body.Count;
        while (keep > 1 && _ctx.Lines.TryGetValue(body[keep - 1], out int line) && line > clauseLine) keep--;
        return keep < body.Count ? keep : null;
    }

    /// <summary>Whether <paramref name="stmt"/> is a compound statement whose code branches (not a def or class).</summary>
    private static bool HasBranches(StmtNode stmt) => stmt is If or While or For or AsyncFor or With or AsyncWith or Try or TryStar or Match;

    /// <summary>Whether code walked on <paramref name="line"/> lies past <paramref name="from"/> in the layout.</summary>
    private bool LaidOutAfter(int line, int from)
    {
        for (int i = from + 1; i < _ops.Length; i++)
            if (_ctx.Consumed[i] && _ops[i].Kind != OpKind.Skip && _ops[i].Instruction.Line == line) return true;
        return false;
    }

    private static void MoveToFollow(List<StmtNode> orelse, int first, List<StmtNode> afterTry)
    {
        afterTry.AddRange(orelse.Skip(first));
        orelse.RemoveRange(first, orelse.Count - first);
    }

    /// <summary>
    /// The index of the first of a walked else's statements (after its first) whose straight code the borrow pass
    /// did not visit (<see cref="BorrowEvidence"/> false), when an earlier one was visited: the pass follows
    /// fallthrough only out of non-empty blocks, and when every clause leaves, their dead exits (POP_EXCEPT; JUMP
    /// to the try's end, emptied in place as unreachable) lie between the else and the try's follow, so code
    /// reached only through them keeps plain loads; an else's own statements run on from visited code. Null when
    /// the loads do not say so.
    /// </summary>
    private int? FirstUnborrowedStatement(List<StmtNode> orelse, bool[] walkedBefore)
    {
        // Each statement's first op: the first the walk took on its line.
        var starts = new int[orelse.Count];
        for (int k = 0; k < orelse.Count; k++)
        {
            starts[k] = -1;
            if (!_ctx.Lines.TryGetValue(orelse[k], out int line)) continue;
            for (int i = 0; i < _ops.Length && starts[k] < 0; i++)
                if (_ctx.Consumed[i] && !walkedBefore[i] && _ops[i].Kind != OpKind.Skip && _ops[i].Instruction.Line == line) starts[k] = i;
        }
        bool visited = false;
        for (int k = 0; k < orelse.Count; k++)
        {
            if (starts[k] < 0) continue;
            int until = starts.Skip(k + 1).Where(s => s > starts[k]).DefaultIfEmpty(int.MaxValue).Min();
            switch (BorrowEvidence(starts[k], until))
            {
                case true: visited = true; break;
                case false when visited: return k;
                case false: return null;
            }
        }
        return null;
    }

    /// <summary>True when the first op after <paramref name="from"/> that no statement took is the dead implicit
    /// return that ends the code (<see cref="FunctionFlow.DeadImplicitReturnStart"/>).</summary>
    private bool FollowedByDeadImplicitReturn(int from)
    {
        int q = RealAt(from);
        while (q < _ops.Length && _ctx.Consumed[q]) q = NextReal(q);
        return _flow.DeadImplicitReturnStart is int tail && RealAt(tail) == q;
    }

    /// <summary>
    /// 3.11+ compile a try statement's else before its handlers and what follows the try after them; constants
    /// are numbered as the compiler meets them. True when the straight code at <paramref name="pos"/> (up to its
    /// first jump, return or raise) loads a constant new to it that is numbered before every constant the
    /// handler's code is the first to load (and there is one): that code is the else.
    /// </summary>
    private bool NumberedBeforeHandler(int pos, ExceptionHandler handler)
    {
        if (_ctx.Version < PythonVersion.V3_11) return false;
        int start = RealAt(pos);
        var handlerCode = HandlerDominatedOps(handler);
        // Constants the code laid out before it (the try body, what precedes the try) loads say nothing.
        var seen = new HashSet<int>();
        for (int i = 0; i < start && i < _ops.Length; i++)
            if (!handlerCode[i] && _ops[i].Instruction.Argument is ConstArgument { Index: var c }) seen.Add(c);
        int first = int.MaxValue;
        for (int i = start; i < _ops.Length; i++)
        {
            if (_ops[i].Instruction.Argument is ConstArgument { Index: var c } && !seen.Contains(c)) first = Math.Min(first, c);
            if (_ops[i].Kind is not (OpKind.Plain or OpKind.Skip)) break;
        }
        if (first == int.MaxValue) return false;
        // Evidence needs a constant the handler numbers after that one, and none it numbers before. A constant
        // the code outside the handler returns too is no evidence: the handler's `return None` may be the
        // optimizer's copy of a return that follows the try.
        var returnedOutside = new HashSet<int>();
        for (int i = 0; i < _ops.Length; i++)
            if (!handlerCode[i] && IsReturnAt(i) && _ops[i].Instruction.Argument is ConstArgument { Index: var r }) returnedOutside.Add(r);
        bool after = false;
        for (int i = 0; i < _ops.Length; i++)
        {
            if (!handlerCode[i] || _ops[i].Instruction.Argument is not ConstArgument { Index: var c } || seen.Contains(c)) continue;
            if (IsReturnAt(i) && returnedOutside.Contains(c)) continue;
            if (c <= first) return false;
            after = true;
        }
        return after;
    }

    /// <summary>What the numbering of constants, locals and names says of the code a trial walk took after a try body.</summary>
    /// <param name="IsElse">Its first statement was compiled before the handler (the try's else), or after (the follow).</param>
    /// <param name="FirstLateOp">The first op of it (in layout order) numbering something after the handler's, -1 when none.</param>
    private sealed record NumberingReading(bool IsElse, int FirstLateOp);

    /// <summary>
    /// 3.11+ compile a try statement's else before its handlers and what follows the try after them, numbering
    /// constants, local variables and names as they are met. For the code a trial walk just took (the ops consumed
    /// since <paramref name="walkedBefore"/>): whether the first constant (local, name) new to it is numbered before
    /// every one only the handler uses, and where it first numbers one after; null when no numbering says (a side
    /// with nothing new) or they disagree.
    /// </summary>
    private NumberingReading? ReadNumberingOrder(bool[] walkedBefore, ExceptionHandler handler)
    {
        if (_ctx.Version < PythonVersion.V3_11) return null;
        var handlerCode = HandlerDominatedOps(handler);
        int numbered = FoldedConstants.CodeGenerationEnd(_ctx.Code);
        // Before 3.14 a function's first constant is numbered before any code: its docstring, or None.
        bool firstConstantSeen = _ctx.Scope is ScopeKind.Function or ScopeKind.Lambda && _ctx.Version < PythonVersion.V3_14;
        // The None of a `return None` the walk took may be the implicit return's, compiled after everything.
        bool ImplicitReturnWalked(Op op, PyObject value) =>
            value is PyNone && IsReturnAt(op.Index) && _ctx.Consumed[op.Index] && !walkedBefore[op.Index] && !handlerCode[op.Index];
        var byConstants = ReadNumbers(walkedBefore, handlerCode,
            op => op.Instruction.Argument is ConstArgument { Index: var c, Value: var value } && c < numbered
                && !ImplicitReturnWalked(op, value) ? [c] : [],
            firstConstantSeen ? 0 : -1);
        // Arguments are numbered before any code; a cell's number is not its place in the code.
        int arguments = _ctx.Code.ParameterCount;
        var byLocals = ReadNumbers(walkedBefore, handlerCode,
            op => op.Instruction.Argument switch
            {
                LocalArgument { Index: var l } when l >= arguments => [l],
                LocalPairArgument { First.Index: var l1, Second.Index: var l2 } => [.. new[] { l1, l2 }.Where(l => l >= arguments)],
                _ => [],
            },
            -1, sharedOrderCounts: true);
        var byNames = ReadNumbers(walkedBefore, handlerCode, op => op.Instruction.Argument is NameArgument { Index: var n } ? [n] : [], -1);
        var readings = new[] { byConstants, byLocals, byNames }.OfType<NumberingReading>().ToList();
        if (readings.Count == 0 || readings.Any(r => r.IsElse != readings[0].IsElse)) return null;
        var late = readings.Where(r => r.FirstLateOp >= 0).Select(r => r.FirstLateOp).DefaultIfEmpty(-1).Min();
        return new NumberingReading(readings[0].IsElse, late);
    }

    /// <summary>
    /// The numbering test of <see cref="ReadNumberingOrder"/> for one kind of number (<paramref name="numbers"/>
    /// of an op). A number both sides use says nothing about the order by itself: either may have been first (the
    /// walked code's `return None` may be the implicit return, compiled last). With <paramref name="sharedOrderCounts"/>
    /// (locals) it does when it is lower than a number new to the walked code that comes before it there.
    /// </summary>
    private NumberingReading? ReadNumbers(bool[] walkedBefore, bool[] handlerCode, Func<Op, int[]> numbers, int seenFirst, bool sharedOrderCounts = false)
    {
        var seen = new HashSet<int> { seenFirst };
        var walked = new List<(int Op, int Number)>(); // in layout order
        var handlerOnly = new HashSet<int>();
        for (int i = 0; i < _ops.Length; i++)
            foreach (int n in numbers(_ops[i]))
            {
                if (handlerCode[i]) handlerOnly.Add(n);
                else if (walkedBefore[i]) seen.Add(n);
                else if (_ctx.Consumed[i]) walked.Add((i, n));
            }
        handlerOnly.ExceptWith(seen);
        var shared = walked.Select(w => w.Number).Where(handlerOnly.Contains).ToHashSet();
        handlerOnly.ExceptWith(shared);
        walked.RemoveAll(w => seen.Contains(w.Number));
        // A local both sides use was numbered where the symbol table met it first: in the else reading, in the walked
        // code. Walked after a local new to it yet numbered lower, it was numbered by the handler first. (Not for
        // constants: None is numbered by the `is None` tests the optimizer turned into jumps.)
        int firstNew = walked.FindIndex(w => !shared.Contains(w.Number));
        bool sharedNumberedFirst = sharedOrderCounts && firstNew >= 0
            && walked.Skip(firstNew + 1).Any(w => shared.Contains(w.Number) && w.Number < walked[firstNew].Number);
        int firstNewOp = firstNew >= 0 ? walked[firstNew].Op : -1;
        walked.RemoveAll(w => shared.Contains(w.Number));
        if (walked.Count == 0 || handlerOnly.Count == 0) return sharedNumberedFirst ? new NumberingReading(false, firstNewOp) : null;
        // The walked code's first statement decides: in the else reading it is the else's, compiled before the
        // handler; what follows it may be the try's follow either way (compiled after).
        int handlerFirst = handlerOnly.Min();
        int firstLate = walked.FindIndex(w => w.Number > handlerFirst);
        return new NumberingReading(walked[0].Number < handlerFirst, firstLate < 0 ? -1 : walked[firstLate].Op);
    }

    /// <summary>
    /// 3.12+ lay cold code (handlers, a with's exit on an exception) out after all other code, in the order it was
    /// compiled: a try statement's else before its handler, what follows the try after it. The index of the walked
    /// else's statement holding the first cold op the walk took that lies past <paramref name="handler"/>'s start
    /// (0: the walked code is the try's follow); null when there is none or the lines do not say.
    /// </summary>
    private int? FirstStatementCompiledAfterHandler(List<StmtNode> orelse, bool[] walkedBefore, ExceptionHandler handler)
    {
        if (_ctx.Version < PythonVersion.V3_12) return null;
        int? coldLine = null;
        for (int i = RealAt(handler.Target) + 1; i < _ops.Length && coldLine is null; i++)
            if (_ctx.Consumed[i] && !walkedBefore[i]) coldLine = _ops[i].Instruction.Line;
        if (coldLine is null) return null;
        int holding = -1;
        for (int k = 0; k < orelse.Count; k++)
        {
            if (!_ctx.Lines.TryGetValue(orelse[k], out int start)) return null;
            if (start <= coldLine) holding = k;
        }
        return holding < 0 ? null : holding;
    }

    /// <summary>
    /// 3.12+: the index of the first of <paramref name="orelse"/>'s statements that starts at or after the line of
    /// <paramref name="lateOp"/> and before which every statement starts earlier, when that leaves the else a
    /// statement; null when the lines do not say (a statement without a line, the op in the else's first statement).
    /// </summary>
    private int? LaterStatements(List<StmtNode> orelse, int lateOp)
    {
        if (_ctx.Version < PythonVersion.V3_12 || _ops[lateOp].Instruction.Line is not int lateLine) return null;
        int split = -1;
        for (int k = 0; k < orelse.Count; k++)
        {
            if (!_ctx.Lines.TryGetValue(orelse[k], out int start)) return null;
            if (start <= lateLine) split = k;
        }
        return split > 0 ? split : null;
    }

    /// <summary>Whether, past the exit code of enclosing constructs, <paramref name="pos"/> returns or jumps out of a loop.</summary>
    /// <param name="leftWithBeforeItsFollow">The exit code just taken before <paramref name="pos"/> was a with's whose
    /// follow is not the loop's end (<see cref="EndsAwayFromLoopEnd"/>).</param>
    private bool IsAbrupt(int pos, Region region, bool leftWithBeforeItsFollow = false)
    {
        var r = region;
        for (int guard = 0; guard < 64; guard++)
        {
            int p = RealAt(pos);
            if (p >= _ops.Length) return false;
            // The join of an enclosing statement: the construct completes normally there, whatever follows it.
            if (r.IsStop(pos) || r.IsStop(p)) return false;
            var op = _ops[p];
            // A module or class body cannot return: a return past an enclosing construct's exit code is the
            // compiler's, reached when that construct completes.
            if (IsReturnAt(p)) return ReferenceEquals(r, region) || _ctx.Scope is not (ScopeKind.Module or ScopeKind.Class);
            var loop = r.InnermostLoop;
            if (op.Kind == OpKind.Jump)
                return loop is not null && (loop.ContinueTargets.Contains(op.Target) && (p != loop.ClosingJump || leftWithBeforeItsFollow)
                    || Same(op.Target, loop.BreakTarget) || loop.BottomTest >= 0 && Same(op.Target, loop.Exit));
            if (op.Kind == OpKind.Plain && (op.Name == "ROT_TWO" || op.Name == "SWAP" && op.Instruction.Arg == 2) && NextReal(p) < _ops.Length && _ops[NextReal(p)].Name == "POP_TOP")
            {
                pos = NextReal(p);
                continue;
            }
            if (op.Name == "POP_TOP" && loop?.Iterator is not null) { pos = NextReal(p); continue; }
            if (op.Name == "POP_ITER" && loop?.Iterator is not null) { pos = NextReal(p); continue; }
            if (CopyOfBreakTargetEnd(p, r) is not null) return true;
            var outer = ExitRegion(r);
            if (outer?.Exit is not ConstructExit e) return false;
            int a = e.MatchUnwinding(p);
            if (a < 0) return false;
            // A with whose follow is not the loop's end cannot end the loop body: a jump back after its exit code is a
            // continue (3.12+ may lay the jump out last, in the handler code after the loop).
            if (EndsAwayFromLoopEnd(e, r)) leftWithBeforeItsFollow = true;
            pos = a;
            r = e.Outer;
        }
        return false;
    }

    /// <summary>True when <paramref name="exit"/> is a with's, in <paramref name="region"/>'s loop, whose follow is
    /// not that loop's end: the with statement is not the last of the loop body.</summary>
    private bool EndsAwayFromLoopEnd(ConstructExit exit, Region region)
    {
        if (exit is not WithExit { Handler: { } handler } || WithFollow(handler) is not int follow || region.InnermostLoop is not { } loop) return false;
        // The suppress path may jump to the jump back (the with ends the loop body) rather than be threaded past it.
        int dest = follow;
        for (int hops = 0; hops < 3 && !loop.ContinueTargets.Contains(dest) && !loop.ContinueTargets.Contains(RealAt(dest)); hops++)
            dest = JumpDestination(dest);
        return !loop.ContinueTargets.Contains(dest) && !loop.ContinueTargets.Contains(RealAt(dest));
    }

    /// <summary>True when the walk of <paramref name="region"/> stopped at <paramref name="end"/> because the body of the
    /// construct it is in ends there (its exit code follows).</summary>
    private bool EndsEnclosingBody(int end, Region region) =>
        ExitRegion(region)?.Exit is ConstructExit exit && exit.MatchUnwinding(end) >= 0;

    /// <summary>
    /// Where a with statement's suppress path (3.11+) goes on, read without taking it: past `POP_TOP; POP_EXCEPT;
    /// POP_TOP; POP_TOP` after the exit's test; null when the handler is laid out otherwise.
    /// </summary>
    private int? WithFollow(ExceptionHandler handler)
    {
        if (_ctx.Version < PythonVersion.V3_11) return null;
        int p = RealAt(handler.Target);
        for (int guard = 0; p < _ops.Length && guard < 8 && _ops[p].Kind != OpKind.CondJump; guard++) p = NextReal(p);
        if (p >= _ops.Length || _ops[p].Kind != OpKind.CondJump) return null;
        p = RealAt(_ops[p].Target);
        while (p < _ops.Length && _ops[p].Name is "POP_TOP" or "POP_EXCEPT") p = NextReal(p);
        return p < _ops.Length ? p : null;
    }

    // ---------------------------------------------------------------- op sequence matching

    /// <summary>The real ops of [from, to) in order.</summary>
    private List<int> RealOps(int from, int to)
    {
        var list = new List<int>();
        for (int i = from; i < to && i < _ops.Length; i++)
            if (_ops[i].Kind != OpKind.Skip) list.Add(i);
        return list;
    }

    /// <summary>
    /// Same opcode, or the same kind of local load: copies of one block may differ in 3.12+'s LOAD_FAST_CHECK and
    /// 3.14's LOAD_FAST_BORROW, which depend on the surrounding flow, not on the source.
    /// </summary>
    internal static bool SameOpcode(Instruction a, Instruction b) =>
        a.Opcode.Name == b.Opcode.Name
        || a.Opcode.Handler == b.Opcode.Handler && a.Opcode.Handler is OpcodeHandler.LoadFast or OpcodeHandler.LoadFastPair;

    /// <summary>True when the code at <paramref name="pos"/> repeats the real ops <paramref name="canonical"/>; returns the op after the copy.</summary>
    /// <param name="canonicalEnd">Where the canonical copy ends (its RERAISE): a jump there may, in a copy, go on
    /// to where the copy's own exit jump goes (the optimizer threads it), or -1.</param>
    /// <remarks>Ops are compared as single loads and stores: 3.13+ pairs them into superinstructions differently
    /// in each copy (`LOAD_FAST_LOAD_FAST a, b` in one, `LOAD_FAST_CHECK a; LOAD_FAST b` in another).</remarks>
    /// <param name="exitCopies">Filled with the exit blocks a copy's jumps reach where the canonical copy re-raises
    /// (see below): code of the copy, to be consumed with it.</param>
    /// <param name="handlers">The handler over the canonical copy's own code and the one over the copy's; a try
    /// statement inside the finally body has handler code of its own in each copy, laid out apart (after the
    /// copy's exit): it is matched too, and its ops in the copy are added to <paramref name="nestedHandlerCode"/>.</param>
    private int MatchCopy(int pos, List<int> canonical, int canonicalEnd = -1, List<int>? exitCopies = null,
        (ExceptionHandler? Canonical, ExceptionHandler? Copy)? handlers = null, List<int>? nestedHandlerCode = null)
    {
        int p = RealAt(pos);
        if (canonical.Count == 0) return p;
        var want = new List<Atom>();
        var wantAt = new Dictionary<int, int>(); // op index -> index of its first atom
        foreach (int c in canonical)
        {
            wantAt[c] = want.Count;
            want.AddRange(Atoms(c));
        }
        wantAt[canonicalEnd < 0 ? NextReal(canonical[^1]) : canonicalEnd] = want.Count;
        var got = new List<Atom>();
        var gotAt = new Dictionary<int, int>();
        int start = p;
        while (got.Count < want.Count)
        {
            if (p >= _ops.Length) return -1;
            gotAt[p] = got.Count;
            got.AddRange(Atoms(p));
            p = NextReal(p);
        }
        if (got.Count != want.Count) return -1;
        gotAt[p] = got.Count;
        int threaded = p < _ops.Length && _ops[p].Kind == OpKind.Jump ? _ops[p].Target : -1;
        if (handlers is { } bases && !MatchNestedHandlers(bases, want, got, wantAt, gotAt, nestedHandlerCode, (canonicalEnd, p, threaded))) return -1;
        for (int k = 0; k < want.Count; k++)
        {
            var (a, b) = (want[k], got[k]);
            if (a.Kind != b.Kind || !Equals(a.Arg, b.Arg)) return -1;
            if (!a.IsJump) continue;
            int wantTarget = _ops[a.Op].Target, gotTarget = _ops[b.Op].Target;
            // A jump past the last op (the end of the code) is no copy's.
            if (wantTarget < 0 || gotTarget < 0 || RealAt(wantTarget) >= _ops.Length) return -1;
            // A jump to a jump dropped from the canonical ops (over nested handler code, or to the RERAISE) goes where it goes.
            if (canonicalEnd >= 0 && !wantAt.ContainsKey(RealAt(wantTarget)) && _ops[RealAt(wantTarget)].Kind == OpKind.Jump
                && wantAt.ContainsKey(RealAt(_ops[RealAt(wantTarget)].Target))) wantTarget = RealAt(_ops[RealAt(wantTarget)].Target);
            if (wantTarget == canonicalEnd && (Same(gotTarget, p) || gotTarget == threaded)) continue;
            // Another branch of the finally body that re-raises on its own in the canonical copy: in this copy it
            // leaves at the end (where the next construct's code, even an enclosing finally's copy, starts).
            if (canonicalEnd >= 0 && _ops[RealAt(wantTarget)].Kind == OpKind.Reraise && !wantAt.ContainsKey(RealAt(wantTarget))
                && (Same(gotTarget, p) || gotTarget == threaded)) continue;
            // A finally body ending in branches re-raises once per branch; the normal copy leaves each branch into
            // what follows the try, which 3.12+ copy per branch when small (the implicit return): the op the copy
            // ends at is such a copy of the jump's target.
            if (exitCopies is not null && canonicalEnd >= 0 && _ops[RealAt(wantTarget)].Kind == OpKind.Reraise
                && !Same(gotTarget, p) && ExitCopyEnd(p, gotTarget) >= 0)
            {
                exitCopies.Add(RealAt(gotTarget));
                continue;
            }
            if (wantAt.TryGetValue(RealAt(wantTarget), out int wa) && gotAt.TryGetValue(RealAt(gotTarget), out int ga))
            {
                if (wa != ga) return -1;
            }
            else if (wantTarget - canonical[0] != gotTarget - start) return -1;
        }
        return p;
    }

    /// <summary>
    /// Pairs the handlers of the matched ops (canonical → copy, one to one, starting from the two copies' own
    /// handlers) and matches the code of each nested pair the same way, appending its atoms to the lists so that
    /// jumps between handler code and the copy are checked with the rest. False when the copies disagree.
    /// </summary>
    /// <param name="ends">Where the canonical copy re-raises, and where the matched copy ends (its follow) and the
    /// jump there goes when it is one (-1 otherwise).</param>
    private bool MatchNestedHandlers((ExceptionHandler? Canonical, ExceptionHandler? Copy) bases, List<Atom> want, List<Atom> got,
        Dictionary<int, int> wantAt, Dictionary<int, int> gotAt, List<int>? nestedHandlerCode, (int CanonicalEnd, int CopyEnd, int Threaded) ends)
    {
        var pairs = new Dictionary<ExceptionHandler, ExceptionHandler?>();
        var copies = new HashSet<ExceptionHandler>();
        if (bases.Canonical is not null) pairs[bases.Canonical] = bases.Copy;
        if (bases.Copy is not null) copies.Add(bases.Copy);
        for (int k = 0; k < want.Count; k++)
        {
            var hc = _flow.HandlerOf(want[k].Op);
            var hg = _flow.HandlerOf(got[k].Op);
            if (hc is null) { if (hg is not null && bases.Canonical is null) return false; continue; }
            if (pairs.TryGetValue(hc, out var known)) { if (!ReferenceEquals(known, hg)) return false; continue; }
            if (hg is null || !copies.Add(hg)) return false;
            pairs[hc] = hg;
            var wantCode = HandlerCode(hc);
            var gotCode = HandlerCode(hg);
            if (wantCode is null || gotCode is null) return false;
            // 3.9-3.11 lay the handler code out in line: then both copies hold it at the same place already.
            if (wantAt.TryGetValue(wantCode[0], out int wa0) && gotAt.TryGetValue(gotCode[0], out int ga0))
            {
                if (wa0 != ga0) return false;
                continue;
            }
            int j = 0;
            for (int i = 0; i < wantCode.Count; i++, j++)
            {
                if (j >= gotCode.Count || wantAt.ContainsKey(wantCode[i]) || gotAt.ContainsKey(gotCode[j])) return false;
                wantAt[wantCode[i]] = want.Count;
                if (LeavesWhereCanonicalReraises(wantCode[i], gotCode[j], ends) is int leftAt)
                {
                    // No atoms: both copies leave the finally body here, each its own way.
                    for (; j + 1 < gotCode.Count && gotCode[j] < leftAt; j++)
                    {
                        gotAt[gotCode[j]] = got.Count;
                        nestedHandlerCode?.Add(gotCode[j]);
                    }
                    gotAt[gotCode[j]] = got.Count;
                    nestedHandlerCode?.Add(gotCode[j]);
                    continue;
                }
                gotAt[gotCode[j]] = got.Count;
                var wa = Atoms(wantCode[i]).ToList();
                var ga = Atoms(gotCode[j]).ToList();
                if (wa.Count != ga.Count) return false;
                want.AddRange(wa);
                got.AddRange(ga);
                nestedHandlerCode?.Add(gotCode[j]);
            }
            if (j != gotCode.Count) return false;
        }
        return true;
    }

    /// <summary>
    /// A construct inside a finally body whose handler code ends by running into what follows it (an except clause's
    /// `POP_EXCEPT`, a with's suppress path) goes on to the finally body's end: in the canonical copy that is its
    /// closing RERAISE, which the optimizer copies in (one op); in a copy on the try's exit it is that copy's follow,
    /// jumped to or copied in when it is a small exit block (`return None`). When <paramref name="canonicalOp"/> is
    /// such a re-raise and <paramref name="copyOp"/> such a way out, the last op of that way out; else null.
    /// </summary>
    private int? LeavesWhereCanonicalReraises(int canonicalOp, int copyOp, (int CanonicalEnd, int CopyEnd, int Threaded) ends)
    {
        if (ends.CanonicalEnd < 0 || _ops[canonicalOp].Kind != OpKind.Reraise || _ops[copyOp].Kind == OpKind.Reraise
            || _ops[canonicalOp].Instruction.Arg != _ops[ends.CanonicalEnd].Instruction.Arg) return null;
        if (_ops[copyOp].Kind == OpKind.Jump)
            return Same(_ops[copyOp].Target, ends.CopyEnd) || _ops[copyOp].Target == ends.Threaded ? copyOp : null;
        return ends.CopyEnd < _ops.Length && ExitCopyEnd(copyOp, ends.CopyEnd) is int end and >= 0 ? end : null;
    }

    /// <summary>
    /// The real ops of a handler's own code: 3.11+ from its PUSH_EXC_INFO to its clean-up block (whose handler is
    /// paired on its own), or, for a clean-up (`COPY 3; POP_EXCEPT; RERAISE 1`, an except-as name's clean-up),
    /// up to its RERAISE; before 3.11 from its target up to the first RERAISE. Null when the layout is not one of these.
    /// </summary>
    private List<int>? HandlerCode(ExceptionHandler handler)
    {
        int start = RealAt(handler.Target);
        if (start >= _ops.Length) return null;
        if (_ops[start].Name == "PUSH_EXC_INFO")
        {
            var cleanup = _flow.HandlerOf(start);
            if (cleanup is null || !ExceptionHandlerBuilder.IsCleanupBlock(_ops, RealAt(cleanup.Target))) return null;
            int end = RealAt(cleanup.Target);
            if (end <= start) return null;
            var code = RealOps(start, end);
            // 3.11 lays a with handler's suppress path out after its clean-up block: up to where it leaves.
            if (_ctx.Version == PythonVersion.V3_11 && _ops[NextReal(start)].Name == "WITH_EXCEPT_START"
                && code.FirstOrDefault(i => _ops[i].Kind == OpKind.CondJump) is int test and > 0 && RealAt(_ops[test].Target) > end)
            {
                for (int i = RealAt(_ops[test].Target); i < _ops.Length; i = NextReal(i))
                {
                    code.Add(i);
                    if (_ops[i].Kind is OpKind.Jump or OpKind.Return or OpKind.Raise or OpKind.Reraise) break;
                }
            }
            return code;
        }
        int limit = _ctx.Version >= PythonVersion.V3_11 ? start + 8 : _ops.Length;
        for (int i = start; i < _ops.Length && i < limit; i = NextReal(i))
            if (_ops[i].Kind == OpKind.Reraise) return RealOps(start, i + 1);
        return null;
    }

    private readonly record struct Atom(string Kind, object? Arg, int Op, bool IsJump);

    /// <summary>An op as what it does: superinstructions split into their loads and stores; the LOAD_FAST variants as one.</summary>
    private IEnumerable<Atom> Atoms(int op)
    {
        var ins = _ops[op].Instruction;
        switch (ins.Opcode.Handler)
        {
            case OpcodeHandler.LoadFastPair when ins.Argument is LocalPairArgument pair:
                yield return new Atom("LOAD_FAST", pair.First.Name, op, false);
                yield return new Atom("LOAD_FAST", pair.Second.Name, op, false);
                yield break;
            case OpcodeHandler.StoreFastLoadFast when ins.Argument is LocalPairArgument pair:
                yield return new Atom("STORE_FAST", pair.First.Name, op, false);
                yield return new Atom("LOAD_FAST", pair.Second.Name, op, false);
                yield break;
            case OpcodeHandler.StoreFastPair when ins.Argument is LocalPairArgument pair:
                yield return new Atom("STORE_FAST", pair.First.Name, op, false);
                yield return new Atom("STORE_FAST", pair.Second.Name, op, false);
                yield break;
            case OpcodeHandler.LoadFast when ins.Argument is LocalArgument local:
                yield return new Atom("LOAD_FAST", local.Name, op, false);
                yield break;
            case OpcodeHandler.StoreFast when ins.Argument is LocalArgument local:
                yield return new Atom("STORE_FAST", local.Name, op, false);
                yield break;
        }
        // An op the normalizer turned into a jump (an inlined exit undone) is that jump.
        bool jump = ins.Argument is JumpArgument || _ops[op].Kind == OpKind.Jump;
        // Unconditional jumps as one: the optimizer picks forward, backward or absolute by where the target ended up.
        yield return new Atom(_ops[op].Kind == OpKind.Jump ? "JUMP" : ins.Opcode.Name, jump ? null : ins.Arg, op, jump);
    }

    // ---------------------------------------------------------------- handlers

    /// <summary>True when a handler's code starts with an except clause (a type test or a bare except's POP_TOP).</summary>
    private bool IsExceptClauseStart(int first)
    {
        var op = _ops[first];
        if (op.Name == "POP_TOP") return true;
        // 3.11+: a handler that only re-raises is an empty finally (`finally: pass`); no except clause starts so.
        if (op.Name == "RERAISE") return false;
        if (_ctx.Version < PythonVersion.V3_11 && op.Name != "DUP_TOP") return false;
        var term = _flow.Terminator(_flow.BlockOf(first));
        if (term is null || term.Kind != OpKind.CondJump) return false;
        if (term.Name == "JUMP_IF_NOT_EXC_MATCH") return true;
        int before = term.Index - 1;
        while (before > first && _ops[before].Kind == OpKind.Skip) before--;
        return _ops[before].Name is "CHECK_EXC_MATCH" or "CHECK_EG_MATCH"
            || _ops[before].Instruction.Argument is CompareArgument { Operator: "exception match" };
    }

    /// <summary>
    /// The stack a handler starts with: the stack at the protected code cut to the handler's depth, plus what the
    /// raise pushes (as many exception markers as the compiler counts at the handler: 1-2 from 3.11, 6 before);
    /// 3.11+'s PUSH_EXC_INFO evaluated. Returns the op after the entry.
    /// </summary>
    private int EnterHandler(SymbolicStack atTry, ExceptionHandler handler)
    {
        var stack = atTry.Clone();
        if (stack.Count < handler.Depth) throw Fail($"handler depth {handler.Depth} above the stack ({stack.Count})", handler.Target);
        stack.Truncate(handler.Depth);
        int start = RealAt(handler.Target);
        int depth = _ops[start].Depth;
        for (int k = handler.Depth; k < depth; k++) stack.Push(new ExceptionMarker("raised"));
        _eval.Stack = stack;
        if (_ops[start].Name == "PUSH_EXC_INFO")
        {
            _eval.Eval(_ops[start]);
            return NextReal(start);
        }
        return start;
    }

    /// <summary>
    /// The handler in charge of a handler's own code (an except clause's body, a finally body). The op the body
    /// starts at cannot say when the body opens with a try statement: that op is under the nested try's handler.
    /// 3.11+: the code is under the clean-up entry covering the handler's PUSH_EXC_INFO or, for `except ... as
    /// name`, under the name's clean-up nested directly in it. Before 3.11 a nested try starts with its own SETUP
    /// op, which is still under the enclosing handler.
    /// </summary>
    private ExceptionHandler? HandlerOfHandlerCode(ExceptionHandler handler, int bodyStart, string? exceptName)
    {
        var atStart = HandlerAt(bodyStart);
        if (_ctx.Version < PythonVersion.V3_11) return atStart;
        var cleanup = HandlerAt(handler.Target);
        if (exceptName is null) return cleanup;
        for (var h = atStart; h is not null; h = h.Parent)
            if (ReferenceEquals(HandlerAt(h.Target), cleanup)) return h;
        return atStart;
    }

    private void EvalOp(int i)
    {
        var op = _ops[i];
        if (op.Kind == OpKind.Skip) { Consume(i); return; }
        _eval.Eval(op);
    }

    private void ConsumeRange(int from, int to)
    {
        for (int i = from; i < to && i < _ops.Length; i++) Consume(i);
    }

    /// <summary>Consumes the generic clean-up `COPY 3; POP_EXCEPT; RERAISE 1` covering a handler's own code (3.11+).</summary>
    private void ConsumeCleanupOf(int handlerStart)
    {
        var cleanup = _flow.HandlerOf(handlerStart);
        if (cleanup is null) return;
        int c = RealAt(cleanup.Target);
        if (!ExceptionHandlerBuilder.IsCleanupBlock(_ops, c)) return;
        for (int k = 0; k < 3; k++) { Consume(c); c = NextReal(c); }
    }

    // ---------------------------------------------------------------- try / except

    /// <summary>The `try` keyword's line: the SETUP (3.8-3.10) or the NOP (3.11+) that opens the body, when there is one.</summary>
    private int TryLine(int pos)
    {
        for (int i = pos; i < RealAt(pos); i++)
            if (_ops[i].Name is "NOP" or "SETUP_FINALLY" && _ops[i].Line > 0) return _ops[i].Line;
        int real = RealAt(pos);
        int bodyLine = real < _ops.Length ? _ops[real].Line : 0;
        // 3.11+: the `try:` line's NOP sits just outside the protected range the walk starts the try at; 3.8-3.10:
        // the SETUP_FINALLY (the walk may start past it).
        for (int i = pos - 1; i >= 0 && _ops[i].Kind is OpKind.Skip or OpKind.Setup; i--)
            if (_ops[i].Name is "NOP" or "SETUP_FINALLY" && _ops[i].Line > 0)
                return _ops[i].Line < bodyLine ? _ops[i].Line : bodyLine;
        return bodyLine;
    }

    private sealed record Clause(ExprNode? Type, string? Name, int BodyStart, int Next);

    /// <summary>
    /// One except clause's head, per version: 3.11+ `type; CHECK_EXC_MATCH; POP_JUMP_IF_FALSE next; STORE|POP_TOP`;
    /// 3.9-3.10 `DUP_TOP; type; JUMP_IF_NOT_EXC_MATCH next; POP_TOP; STORE|POP_TOP; POP_TOP; [SETUP_FINALLY]`;
    /// 3.8 the same with `COMPARE_OP exception match; POP_JUMP_IF_FALSE`. A bare except pops the exception
    /// (POP_TOP, three of them before 3.11). Null at the no-match re-raise that ends the handler.
    /// </summary>
    private Clause? ParseClause(int p)
    {
        var op = _ops[p];
        bool modern = _ctx.Version >= PythonVersion.V3_11;
        if (op.Name == "RERAISE" || op.Kind == OpKind.EndFinally)
        {
            if (op.Kind == OpKind.EndFinally) _eval.ApplyStaticEffect(op); else Consume(p);
            return null;
        }
        if (op.Name == "POP_TOP")
        {
            int count = modern ? 1 : 3;
            for (int k = 0; k < count; k++)
            {
                if (_ops[p].Name != "POP_TOP") throw Fail("a bare except without its POP_TOPs", p);
                Consume(p);
                _eval.Stack.Pop();
                p = NextReal(p);
            }
            return new Clause(null, null, p, -1);
        }
        int term = TerminatorIndex(p);
        for (int i = p; i < term; i++) EvalOp(i);
        var jump = _ops[term];
        if (jump.Kind != OpKind.CondJump) throw Fail("an except clause without its test", term);
        Consume(term);
        ExprNode type;
        if (jump.Name == "JUMP_IF_NOT_EXC_MATCH")
        {
            type = _eval.PopExpr();
            _eval.Stack.Pop(); // the duplicated exception
        }
        else if (_eval.Stack.Pop() is ExceptionMatchMarker match) type = match.Type;
        else throw Fail("an except clause test that is not an exception match", term);
        p = NextReal(term);
        if (!modern)
        {
            if (_ops[p].Name != "POP_TOP") throw Fail("an except clause without its POP_TOP", p);
            Consume(p);
            _eval.Stack.Pop();
            p = NextReal(p);
        }
        string? name = null;
        var bind = _ops[p];
        if (bind.Name == "POP_TOP") { Consume(p); _eval.Stack.Pop(); }
        else if (bind.Handler is OpcodeHandler.StoreFast or OpcodeHandler.StoreName or OpcodeHandler.StoreGlobal or OpcodeHandler.StoreDeref)
        {
            Consume(p);
            _eval.Stack.Pop();
            name = bind.Instruction.Argument.ToString();
        }
        else throw Fail("an except clause that neither binds nor drops the exception", p);
        p = NextReal(p);
        if (!modern)
        {
            if (_ops[p].Name != "POP_TOP") throw Fail("an except clause without its last POP_TOP", p);
            Consume(p);
            _eval.Stack.Pop();
            p = NextReal(p);
            // `as name`: the body runs under SETUP_FINALLY of the name clean-up.
            if (name is not null && _ops[p].Kind == OpKind.Setup) { Consume(p); p = NextReal(p); }
        }
        return new Clause(type, name, p, jump.Target);
    }

    /// <summary>
    /// 3.8-3.9: a typed clause whose body leaves (break, continue, return, raise) is still followed by its dead normal
    /// exit, `POP_EXCEPT; JUMP_FORWARD follow`, right before the next clause's test: the POP_EXCEPT's index and the
    /// forward target (the try statement's follow), or null. A try ending a loop body jumps back to the loop head
    /// instead (its jump to the body's end threaded there).
    /// </summary>
    private (int Exit, int Follow)? DeadClauseExit(Clause clause, Region region)
    {
        if (!KeepsDeadExitAfterJump || clause.Next < 0) return null;
        int jump = PrevReal(RealAt(clause.Next));
        if (jump <= clause.BodyStart || _ops[jump].Kind != OpKind.Jump || _ctx.Consumed[jump]) return null;
        if (_ops[jump].Target <= RealAt(clause.Next) && region.InnermostLoop?.ContinueTargets.Contains(_ops[jump].Target) != true) return null;
        int pop = PrevReal(jump);
        if (pop < clause.BodyStart || _ops[pop].Name != "POP_EXCEPT" || _ctx.Consumed[pop]) return null;
        var block = _flow.BlockOf(pop);
        return block.Unreachable && block.Start == pop ? (pop, _ops[jump].Target) : null;
    }

    /// <summary>Where control goes from <paramref name="pos"/>: the target of a jump there, else the op itself.</summary>
    private int JumpDestination(int pos)
    {
        int p = RealAt(pos);
        return p < _ops.Length && _ops[p].Kind == OpKind.Jump ? _ops[p].Target : pos;
    }

    /// <summary>
    /// Whether <paramref name="op"/> is where the code of <paramref name="clause"/> ends: the next clause's test or the
    /// no-match re-raise; for `as name` from 3.9 the handler clearing the name, laid out right after the body.
    /// </summary>
    private bool IsClauseEnd(int op, Clause clause, ExceptionHandler? nameCleanup) =>
        (clause.Next >= 0 ? op == RealAt(clause.Next) : _ops[op].Kind == OpKind.EndFinally || _ops[op].Name == "RERAISE")
        || clause.Name is not null && nameCleanup is not null && op == RealAt(nameCleanup.Target);

    /// <summary>Writes the clauses' jumps back to the loop head as `continue` statements ending those clauses.</summary>
    private void WriteContinues(List<(int Index, List<StmtNode> Body, Op Jump)> clausesJumpingBack, ImmutableArray<ExcepthandlerNode>.Builder handlers)
    {
        foreach (var (index, clauseBody, jump) in clausesJumpingBack)
        {
            // The `pass` put on an empty clause's line is that continue's.
            if (clauseBody is [Pass]) clauseBody.Clear();
            EmitAt(S.Continue(), jump, clauseBody);
            var h = (ExceptHandler)handlers[index];
            handlers[index] = S.ExceptHandler(h.Type, h.Name, Body(clauseBody));
        }
    }

    /// <summary>
    /// 3.11+: a clause that falls off a try statement ending a while loop's body goes on to the loop's own end (its
    /// bottom test, or the jump back of `while True`), which carries the `while` line, so the clause's jump to it is
    /// not threaded on to the head. A clause's jump straight back to the head on a line of its own is a written
    /// `continue`. (A for loop's closing jump has no line: there the two compile alike.) Only where the clause reaches
    /// the jump from its last simple statement: the branches of a compound statement ending the clause may have
    /// ended in that continue (one written inside them), which a continue after the statement does not say.
    /// </summary>
    private bool WrittenWhileContinues(List<(int Index, List<StmtNode> Body, Op Jump)> clausesJumpingBack, Region region)
    {
        if (HandlersInLine || region.InnermostLoop is not { Iterator: null } loop) return false;
        int headLine = _ops[RealAt(loop.Head)].Line;
        return headLine > 0 && clausesJumpingBack.All(c => c.Jump.Line > 0 && c.Jump.Line != headLine && RealAt(c.Jump.Target) == RealAt(loop.Head)
            && c.Body is [] or [.., not (If or While or For or AsyncFor or With or AsyncWith or Try or TryStar or Match)]);
    }

    /// <summary>
    /// ≤3.10 lay a handler out right after its try body, so the ways out of body and clauses come in source order;
    /// 3.11+ move handlers after everything (a copy in a handler is not where the source's join was).
    /// </summary>
    private bool HandlersInLine => _ctx.Version < PythonVersion.V3_11;

    /// <summary>3.11 lays a try statement's follow out after its handlers (the body ends in a jump there); 3.12+
    /// may put a copy of a small follow, or the follow itself when every clause leaves, right after the body.</summary>
    private bool FollowAfterHandlers => _ctx.Version == PythonVersion.V3_11;

    /// <summary>Where the jump laid out just before the handler goes, when it jumps over it: the follow.</summary>
    private int? FollowPastHandler(ExceptionHandler handler)
    {
        int start = RealAt(handler.Target), k = start - 1;
        while (k >= 0 && _ops[k].Kind == OpKind.Skip) k--;
        return k >= 0 && _ops[k].Kind == OpKind.Jump && _ops[k].Target > start ? _ops[k].Target : null;
    }

    private int StructureTryExcept(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        int line = TryLine(pos);
        var atTry = _eval.Stack;
        _eval.Stack = atTry.Clone();
        var body = new List<StmtNode>();
        var bodyRegion = region.Child(handler: handler, keepHandler: false, exit: new TryBodyExit(this) { Outer = region, EndsLayout = next => next == RealAt(handler.Target) });
        int bodyEnd = WalkSequence(pos, bodyRegion, body);

        int p = EnterHandler(atTry, handler);
        var atHandler = _eval.Stack;
        var handlers = ImmutableArray.CreateBuilder<ExcepthandlerNode>();
        int join = -1, reraise = -1;
        var deadExits = new List<(int Exit, int Follow)>();
        // Clauses whose exit is the jump back to the loop head taken as the loop body's end (see below).
        var clausesJumpingBack = new List<(int Index, List<StmtNode> Body, Op Jump)>();
        while (true)
        {
            _eval.Stack = atHandler.Clone();
            var clause = ParseClause(p);
            if (clause is null) { reraise = p; break; }
            int excBase = _eval.Stack.Count;
            var clauseHandler = HandlerOfHandlerCode(handler, clause.BodyStart, clause.Name);
            var exit = new ExceptBodyExit(this, clause.Name) { Outer = region, EndsLayout = next => IsClauseEnd(next, clause, clauseHandler) };
            var clauseRegion = region.Child(handler: clauseHandler, keepHandler: false, baseDepth: excBase, exit: exit, exceptName: clause.Name);
            var clauseBody = new List<StmtNode>();
            int clauseEnd = WalkSequence(clause.BodyStart, clauseRegion, clauseBody);
            if (clauseEnd >= 0)
            {
                int after = exit.MatchUnwinding(clauseEnd);
                if (after < 0) throw Fail("an except clause that ends without POP_EXCEPT", clauseEnd);
                exit.ConsumeUnwinding(clauseEnd, after);
                if (IsAbrupt(after, region) && !IsThreadedNormalExit(after, region, exit.EndsLayout))
                {
                    var abruptIn = LeaveEnclosingExits(ref after, region);
                    int end = WalkAfterUnwinding(after, abruptIn.Child(), clauseBody);
                    if (end >= 0) throw Fail("an except clause's exit does not leave", after);
                }
                else
                {
                    // The unwinding's POP_EXCEPT carries the line of an empty clause's `pass`; the statement after
                    // the try must not start on it.
                    if (clauseBody.Count == 0 && _eval.StatementLine > 0) EmitPassOn(_eval.StatementLine, clauseBody);
                    _eval.StatementLine = 0;
                    int target = after;
                    if (_ops[after].Kind == OpKind.Jump)
                    {
                        Consume(after);
                        target = _ops[after].Target;
                        if (region.InnermostLoop?.ContinueTargets.Contains(target) == true) clausesJumpingBack.Add((handlers.Count, clauseBody, _ops[after]));
                    }
                    if (join >= 0 && !Same(join, target))
                    {
                        if (!ConsumedAsCopyOfFollow(target, join, region)) throw Fail($"except clauses rejoin at ops {join} and {target}", after);
                    }
                    else join = target;
                }
            }
            if (clause.Name is not null && ConsumeNameCleanupHandler(clauseHandler, clauseLeaves: clauseEnd < 0) is int leftTo && join < 0)
                join = leftTo;
            if (clause.Name is null && DeadClauseExit(clause, region) is (int deadExit, int follow)) deadExits.Add((deadExit, follow));
            handlers.Add(S.ExceptHandler(clause.Type, clause.Name, Body(clauseBody)));
            if (clause.Type is null || clause.Next < 0) break;
            p = RealAt(clause.Next);
        }
        if (_ctx.Version >= PythonVersion.V3_11) ConsumeCleanupOf(RealAt(handler.Target));

        if (join < 0 && bodyEnd >= 0 && deadExits.Count > 0 && deadExits.All(d => d.Follow == deadExits[0].Follow))
        {
            // Every clause leaves, and their dead normal exits say where the try statement's follow is.
            foreach (var (deadExit, _) in deadExits) ConsumeRange(deadExit, NextReal(deadExit) + 1);
            join = deadExits[0].Follow;
        }
        _eval.Stack = atTry.Clone();
        var orelse = new List<StmtNode>();
        var afterTry = new List<StmtNode>(); // statements of a walked else that follow the try
        NumberingReading? numbering = null;
        int resume = bodyEnd;
        var borrowed = BorrowEvidence(bodyEnd);
        var walkedBefore = (bool[])_ctx.Consumed.Clone();
        int? compiledAfterHandler = null; // the walked else's first statement compiled after the handler (3.12+)
        // 3.11 lays an else out right after the body and the follow after the handlers: a body whose normal exit jumps
        // past the handlers has no else.
        bool bodyJumpsPastHandlers = FollowAfterHandlers && bodyEnd >= 0 && RealAt(bodyEnd) > RealAt(handler.Target);
        if (bodyEnd >= 0 && join < 0 && !bodyJumpsPastHandlers && IsCodeEnd(region) && borrowed != false
            && handlers.Any(h => EndsInImplicitReturn(((ExceptHandler)h).Body))
            && TrialWalk(bodyEnd, region.Child(), orelse, end => (end < 0 || RunsIntoReturnNone(end)) && ReadNumberingOrder(walkedBefore, handler)?.IsElse != false
                && (compiledAfterHandler = FirstStatementCompiledAfterHandler(orelse, walkedBefore, handler)) is not 0) is int elseRunsTo)
        {
            // A clause ends in the optimizer's copy of the implicit return: the try statement ended the function,
            // and what the body falls into (which never falls out, or runs into that return where an enclosing
            // if ends) is its else, up to where the borrow pass stopped or the code compiled after the handler
            // starts (the rest follows the try).
            resume = elseRunsTo;
            int? split = compiledAfterHandler;
            if (FirstUnborrowedStatement(orelse, walkedBefore) is int unborrowed && (split is null || unborrowed < split)) split = unborrowed;
            if (split is int first) MoveToFollow(orelse, first, afterTry);
        }
        else if (bodyEnd >= 0 && join < 0 && KeepsDeadExitAfterJump && IsCodeEnd(region)
            && TrialWalk(bodyEnd, region.Child(), orelse, end => end < 0 && FollowedByDeadImplicitReturn(bodyEnd)) is not null)
        {
            // 3.8-3.9 keep the implicit return after a last statement that cannot fall through: the try was the
            // last statement, so what the body runs into (which leaves) is its else.
            resume = -1;
        }
        else if (bodyEnd >= 0 && join < 0 && FollowAfterHandlers && RealAt(bodyEnd) < RealAt(handler.Target) && _ops[RealAt(bodyEnd)].Kind != OpKind.Jump
            && (FollowPastHandler(handler) ?? -1) is var follow
            && TrialWalk(bodyEnd, follow < 0 ? region.Child() : region.Child(stops: [follow, RealAt(follow)]), orelse,
                // A lone `return` is the copy of the implicit return that 3.11 gives each way out of the code.
                end => (end < 0 || follow >= 0 && Same(end, follow)) && orelse is not [Return { Value: null }]) is int elseLeaves)
        {
            // Every clause leaves, and 3.11 lays a try statement's follow out after its handlers: what the body runs
            // into before them is its else, which jumps over the handlers to the follow (or leaves).
            resume = elseLeaves;
        }
        else if (bodyEnd >= 0 && join < 0 && !bodyJumpsPastHandlers
            && TrialWalk(bodyEnd, region.Child(), orelse, end => (end < 0 || EndsEnclosingBody(end, region))
                && ((numbering = ReadNumberingOrder(walkedBefore, handler)) is { } read
                    // Numbered after the handler, but the statements before the first new number have none: the borrow
                    // pass reaching them straight from a body that falls through says they are the else (the numbered
                    // ones follow the try, split off below). A body ending in branches jumps to the follow, which the
                    // pass then reaches as well.
                    ? read.IsElse || borrowed == true && body is [.., var bodyLast] && !HasBranches(bodyLast)
                        && read.FirstLateOp >= 0 && LaterStatements(orelse, read.FirstLateOp) is not null
                    : borrowed != false && (borrowed == true || NumberedBeforeHandler(bodyEnd, handler)))
                && (compiledAfterHandler = FirstStatementCompiledAfterHandler(orelse, walkedBefore, handler)) is not 0) is int elseEndsAt)
        {
            // Every clause leaves and what the body runs into was compiled before the handler (its constants are
            // numbered first), or was borrow-optimized where the try's end would not be (see BorrowEvidence): it is
            // the try's else, up to where the code leaves or the enclosing construct's body ends.
            resume = elseEndsAt;
            int? split = numbering is { FirstLateOp: >= 0 } ? LaterStatements(orelse, numbering.FirstLateOp) : null;
            if (compiledAfterHandler is int late && (split is null || late < split)) split = late;
            if (FirstUnborrowedStatement(orelse, walkedBefore) is int unborrowed && (split is null || unborrowed < split)) split = unborrowed;
            // The else ends where the code compiled after the handler starts, or where the borrow pass stopped: the
            // rest follows the try (3.12+ lay the follow of a try whose clauses all leave right after the else,
            // before the cold handlers).
            if (split is int first) MoveToFollow(orelse, first, afterTry);
        }
        else if (bodyEnd >= 0 && join >= 0 && HandlersInLine && CopiedExitEnd(bodyEnd, join) is int bodyCopyEnd)
        {
            // The body's way out is a copy of the clauses' join: no else.
            ConsumeRange(RealAt(bodyEnd), bodyCopyEnd + 1);
            resume = join;
        }
        else if (bodyEnd >= 0 && join >= 0 && _ops[RealAt(bodyEnd)].Kind == OpKind.Jump
            && LinelessExitCopyEnd(_ops[RealAt(bodyEnd)].Target, join) is int jumpedCopyEnd)
        {
            // 3.10: the body jumps to its own copy of the exit block the clauses meet at (copied per jump for want
            // of a line: POP_BLOCK, a finally body, the return): no else.
            Consume(RealAt(bodyEnd));
            ConsumeRange(BlockStartBeforePopBlocks(_ops[RealAt(bodyEnd)].Target), jumpedCopyEnd + 1);
            resume = join;
        }
        else if (bodyEnd >= 0 && join >= 0 && !Same(bodyEnd, join))
        {
            int start = bodyEnd;
            if (_ops[RealAt(start)].Kind == OpKind.Jump && Same(_ops[RealAt(start)].Target, join)) { Consume(RealAt(start)); start = join; }
            else if (ConsumedAsCopyOfFollow(start, join, region)) start = join = OriginalAfterCopies(bodyEnd, join);
            resume = join;
            bool continues = clausesJumpingBack.Count > 0 && Same(join, clausesJumpingBack[0].Jump.Target);
            int? elseEnd = null;
            if (!Same(start, join) && (continues && (borrowed == false || bodyJumpsPastHandlers)
                || (elseEnd = TrialWalk(start, region.Child(stops: [join, RealAt(join)]), orelse,
                    end => end < 0 || Same(end, join) || ExitCopyEnd(end, join) >= 0 || region.InnermostLoop is { } loop && EndsInBreakFallingOut(end, loop, orelse))) is null))
            {
                // The clauses jump back to the loop head, the last jump back in layout (3.12+ lay handlers out after the
                // loop), yet what the body runs into does not end the loop body, or was not borrow-optimized as an else
                // would be, or lies past the handlers (3.11): those jumps are written `continue`s (the same code), and
                // that is the try statement's follow.
                if (!continues) throw Fail("try-else ends away from the clauses' join", bodyEnd);
                WriteContinues(clausesJumpingBack, handlers);
                resume = bodyEnd;
            }
            // The else ran into a copy of the small exit block the clauses meet at (the exit of an except clause the
            // try ends, copied with the implicit return into each way out): the try rejoins there.
            else if (elseEnd is int e && e >= 0 && !Same(e, join) && ExitCopyEnd(e, join) is int copyEnd and >= 0)
                ConsumeRange(RealAt(e), copyEnd + 1);
        }
        else if (bodyEnd < 0 && clausesJumpingBack.Count > 0 && WrittenWhileContinues(clausesJumpingBack, region))
        {
            // The body leaves and the clauses jump straight back to a while loop's head: those are written `continue`s.
            WriteContinues(clausesJumpingBack, handlers);
            resume = -1;
        }
        else if (bodyEnd < 0) resume = join;
        // 3.8: no-match END_FINALLY may (by the compiler's count) fall through, so the code after it is kept even
        // when every clause leaves; it is the try statement's follow (often the implicit `return None`).
        if (resume < 0 && orelse.Count == 0 && reraise >= 0 && _ops[reraise].Kind == OpKind.EndFinally && NextReal(reraise) < _ops.Length)
            resume = NextReal(reraise);
        else if (resume >= 0 && reraise >= 0 && _ops[reraise].Kind == OpKind.EndFinally && NextReal(reraise) is int fallen && fallen < _ops.Length
            && fallen != RealAt(resume) && _ops[fallen].Kind == OpKind.Jump && Same(_ops[fallen].Target, JumpDestination(resume)))
        {
            // The exits were threaded past the jump END_FINALLY falls into (to the loop head it goes to): that jump is
            // the try statement's follow, as it would be unthreaded.
            if (_ops[RealAt(resume)].Kind == OpKind.Jump) Consume(RealAt(resume));
            resume = fallen;
        }
        // The follow may be past the else of the ifs the try is in (its exits' jumps threaded to their join, which
        // handlers laid out in line leave in order): their then-branches end there.
        if (resume >= 0 && HandlersInLine) EndThenBranchesAt(resume, region, pos);
        if (bodyEnd < 0 && join < 0 && orelse.Count == 0 && afterTry.Count == 0 && StatementsPastClauses(body, handlers) is int past)
        {
            // 3.11 lays the follow out after the handlers (the body jumps there) and an else before them.
            bool laidOutAfterHandler = _ctx.Lines.TryGetValue(body[past], out int pastLine) && LaidOutAfter(pastLine, RealAt(handler.Target));
            bool isElse = FollowAfterHandlers && !laidOutAfterHandler;
            MoveToFollow(body, past, isElse ? orelse : afterTry);
        }
        _eval.Stack = atTry.Clone();
        var stmt = S.Try(Body(body), handlers.ToImmutable(), [.. orelse], []);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        output.AddRange(afterTry);
        return resume;
    }

    /// <summary>
    /// True (and the copy consumed) when the code at <paramref name="copy"/> is the optimizer's copy of the small
    /// exit block the try statement's follow starts with (3.10, 3.12+ inline such a block into each jump to it):
    /// that path of the try statement rejoins the follow. A return of a non-constant written inside the construct
    /// would unwind after its value is loaded, so it cannot read the same; a constant one is an abrupt exit, read
    /// before this.
    /// </summary>
    private bool ConsumedAsCopyOfFollow(int copy, int follow, Region region)
    {
        if (!InlinesSmallExitBlocks || ExitCopyEnd(copy, follow) is not (int end and >= 0)) return false;
        ConsumeRange(RealAt(copy), end + 1);
        // A copy of a finally body's closing RERAISE closes that body too (the first in layout is the canonical end).
        if (_ops[end].Kind == OpKind.Reraise && region.InFinallyHandler) FinallyRegion(region)!.ClosingReraises.Add(end);
        return true;
    }

    /// <summary>
    /// When the try body's exit and the clauses' join are both copies of one exit block and that block follows the
    /// body's copy directly, it is the original both jumped to (the follow of an enclosing statement, laid out right
    /// after the body): the try statement rejoins there, and the join's copy is consumed as well. Else the join.
    /// </summary>
    private int OriginalAfterCopies(int bodyCopy, int join)
    {
        int bodyCopyEnd = LastConsumedFrom(bodyCopy);
        int next = NextReal(bodyCopyEnd);
        if (next >= _ops.Length || _ctx.Consumed[next] || ExitCopyEnd(join, next) is not (int joinEnd and >= 0)) return join;
        ConsumeRange(RealAt(join), joinEnd + 1);
        return next;
    }

    /// <summary>The last op of the consumed run starting at <paramref name="pos"/>.</summary>
    private int LastConsumedFrom(int pos)
    {
        int p = RealAt(pos);
        while (p + 1 < _ops.Length && _ctx.Consumed[p + 1]) p++;
        return p;
    }

    private void EmitPassOn(int line, List<StmtNode> output)
    {
        var pass = S.Pass();
        output.Add(pass);
        _ctx.SetLine(pass, line);
    }

    /// <summary>
    /// A jump to the loop head at <paramref name="jump"/> that ends a try body or an except clause, followed in layout
    /// by <paramref name="constructEnd"/> (the handler, the next clause's test, the closing re-raise): the construct's
    /// normal exit (`POP_BLOCK; JUMP_FORWARD`, `POP_EXCEPT; JUMP_FORWARD` to the try's follow), threaded on to the head
    /// when the try statement ends the loop body. A written `continue` there would be followed by that normal exit,
    /// which compilers that keep dead code after a jump (<see cref="KeepsDeadExitAfterJump"/>) leave in place.
    /// </summary>
    private bool IsThreadedNormalExit(int jump, Region region, Func<int, bool>? constructEnd)
    {
        if (!KeepsDeadExitAfterJump) return false;
        int p = RealAt(jump);
        if (p >= _ops.Length || _ops[p].Kind != OpKind.Jump || region.InnermostLoop is not { } loop) return false;
        if (!loop.ContinueTargets.Contains(_ops[p].Target)) return false;
        int next = NextReal(p);
        return next < _ops.Length && constructEnd is not null && constructEnd(next);
    }

    /// <summary>
    /// 3.8-3.9 emit a construct's normal exit even after a body that ended in a jump (3.10+ drop unreachable code):
    /// the dead copy tells a written `continue` from a threaded normal exit.
    /// </summary>
    private bool KeepsDeadExitAfterJump => _ctx.Version < PythonVersion.V3_10;

    /// <summary>`except ... as name`: the handler that clears the name when the body raises
    /// (`LOAD_CONST None; STORE; DELETE; RERAISE` — END_FINALLY in 3.8).</summary>
    /// <returns>3.8: where the clause's unreached `POP_EXCEPT; JUMP` after the clean-up goes (the clauses' join, which
    /// the compiler still laid out: the try statement's follow), or null.</returns>
    private int? ConsumeNameCleanupHandler(ExceptionHandler? clauseHandler, bool clauseLeaves)
    {
        if (clauseHandler is null) return null;
        int c = RealAt(clauseHandler.Target);
        if (c + 3 < _ops.Length && _ops[c].Name == "LOAD_CONST" && _ops[NextReal(c)].Name.StartsWith("STORE_", StringComparison.Ordinal))
        {
            int s = NextReal(c), d = NextReal(s), r = NextReal(d);
            if (_ops[d].Name.StartsWith("DELETE_", StringComparison.Ordinal) && _ops[r].Name is "RERAISE" or "END_FINALLY")
            {
                Consume(c); Consume(s); Consume(d); Consume(r);
                // 3.8: END_FINALLY "falls" into the clause's `POP_EXCEPT; JUMP` even when the clause body never
                // reaches it; those ops belong to the clause as written.
                int after = NextReal(r);
                if (clauseLeaves && _ops[r].Kind == OpKind.EndFinally && after < _ops.Length && _ops[after].Name == "POP_EXCEPT")
                {
                    Consume(after);
                    int jump = NextReal(after);
                    if (jump < _ops.Length && _ops[jump].Kind == OpKind.Jump)
                    {
                        Consume(jump);
                        return _ops[jump].Target;
                    }
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- try / finally

    /// <summary>3.9+: the finally body is copied onto every exit of the try body; the handler holds the canonical copy.</summary>
    private int StructureTryFinally(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        int line = TryLine(pos);
        var atTry = _eval.Stack;
        int finStart = EnterHandler(atTry, handler);
        var finRegion = region.Child(handler: HandlerOfHandlerCode(handler, finStart, exceptName: null), keepHandler: false, baseDepth: _eval.Stack.Count, finallyHandler: true);
        var finalBody = new List<StmtNode>();
        int finEnd = WalkSequence(finStart, finRegion, finalBody);
        if (finEnd >= 0) throw Fail("a finally body that does not end in RERAISE", finStart);
        int reraise = FindFinallyReraise(finStart, finRegion);
        var canonical = CanonicalFinallyOps(finStart, reraise);
        if (_ctx.Version >= PythonVersion.V3_11) ConsumeCleanupOf(RealAt(handler.Target));

        _eval.Stack = atTry.Clone();
        var exit = new FinallyExit(this, canonical, reraise, finRegion.Handler) { Outer = region, EndsLayout = next => next == RealAt(handler.Target) };
        var body = new List<StmtNode>();
        var bodyRegion = region.Child(handler: handler, keepHandler: false, exit: exit);
        int bodyEnd = WalkSequence(pos, bodyRegion, body);
        int resume = -1;
        if (bodyEnd >= 0)
        {
            int after = exit.MatchUnwinding(bodyEnd);
            if (after < 0) throw Fail("the normal exit of a try body does not repeat its finally block", bodyEnd);
            exit.ConsumeUnwinding(bodyEnd, after);
            resume = after;
        }
        _eval.Stack = atTry.Clone();
        EmitTryFinally(body, finalBody, line, output);
        return resume;
    }

    private void EmitTryFinally(List<StmtNode> body, List<StmtNode> finalBody, int line, List<StmtNode> output)
    {
        // try/except/finally is a try/except inside a try/finally: print it as one statement.
        StmtNode stmt = body is [Try { Finalbody.IsEmpty: true, Handlers.IsEmpty: false } inner]
            ? S.Try(inner.Body, inner.Handlers, inner.Orelse, Body(finalBody))
            : S.Try(Body(body), [], [], Body(finalBody));
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
    }

    /// <summary>The RERAISE that closes a finally handler's body: the first (in layout) of those that ended the
    /// body's own walk; a RERAISE of a try statement inside the body (3.8-3.11 lay its handler code out in line,
    /// before the closing one) ended a walk of its own.</summary>
    private int FindFinallyReraise(int finStart, Region finRegion)
    {
        int first = finRegion.ClosingReraises.Where(r => r >= finStart).DefaultIfEmpty(-1).Min();
        if (first >= 0 && _ctx.Version >= PythonVersion.V3_11)
        {
            // A copy the walk took as another construct's exit (a loop's bottom test falling into the RERAISE its top
            // test jumps to) can come first: any consumed RERAISE of the body's own code (under the same clean-up).
            var cleanup = _flow.HandlerOf(first);
            for (int i = finStart; i < first; i++)
                if (_ops[i].Kind == OpKind.Reraise && _ctx.Consumed[i] && _ops[i].Instruction.Arg == _ops[first].Instruction.Arg
                    && ReferenceEquals(_flow.HandlerOf(i), cleanup)) return i;
        }
        if (first >= 0) return first;
        for (int i = finStart; i < _ops.Length; i++)
            if (_ops[i].Name == "RERAISE" && _ctx.Consumed[i]) return i;
        throw Fail("the finally body's RERAISE was not found", finStart);
    }

    /// <summary>
    /// The canonical finally body's ops, as the copies on the try's exits repeat them: 3.11+ without the handler
    /// code of try statements inside it (each copy has its own, matched apart) and without a last jump to the
    /// closing RERAISE over such code (a copy runs on where it ends). The canonical copy, itself handler code, keeps
    /// nested handler code in line; a copy outside handlers has it moved to the end of the code and runs on where the
    /// canonical copy jumps over it: a second reading drops those jumps too, a third keeps the handler code.
    /// </summary>
    private List<List<int>> CanonicalFinallyOps(int finStart, int reraise)
    {
        var ops = RealOps(finStart, reraise);
        if (_ctx.Version < PythonVersion.V3_11) return [ops];
        var nested = new HashSet<int>();
        foreach (var h in _flow.Handlers)
        {
            if (h.Target <= finStart || h.Target >= reraise) continue;
            if (HandlerCode(h) is { } code) nested.UnionWith(code);
        }
        if (nested.Count == 0) return [ops];
        var inLine = new List<int>(ops);
        ops.RemoveAll(nested.Contains);
        bool JumpsOnlyOver(List<int> list, int k) =>
            _ops[list[k]].Kind == OpKind.Jump && Same(_ops[list[k]].Target, k + 1 < list.Count ? list[k + 1] : reraise);
        if (ops.Count > 0 && JumpsOnlyOver(ops, ops.Count - 1)) ops.RemoveAt(ops.Count - 1);
        var movedOut = new List<int>(ops);
        for (int k = movedOut.Count - 1; k >= 0; k--)
            if (JumpsOnlyOver(movedOut, k)) movedOut.RemoveAt(k);
        // Last, the copy as laid out with its nested handler code in line (3.11 lays every copy out so; 3.12+ a copy in
        // a handler, where nothing is moved).
        return movedOut.Count == ops.Count ? [ops, inLine] : [ops, movedOut, inLine];
    }

    /// <summary>
    /// 3.8: one finally body run as a subroutine — the normal exit is `POP_BLOCK; BEGIN_FINALLY` falling into it,
    /// return/break/continue are `POP_BLOCK; CALL_FINALLY` then the jump; the body ends with END_FINALLY.
    /// </summary>
    private int StructureTryFinally38(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        int line = TryLine(pos);
        var atTry = _eval.Stack;
        _eval.Stack = atTry.Clone();
        var exit = new CallFinallyExit(this) { Outer = region };
        var body = new List<StmtNode>();
        var bodyRegion = region.Child(handler: handler, keepHandler: false, exit: exit);
        int bodyEnd = WalkSequence(pos, bodyRegion, body);
        int fin = RealAt(handler.Target);
        if (bodyEnd >= 0)
        {
            int begin = RealAt(bodyEnd);
            if (_ops[begin].Name != "BEGIN_FINALLY" || NextReal(begin) != fin) throw Fail("the normal exit of a try body does not enter its finally block", begin);
            _eval.ApplyStaticEffect(_ops[begin]);
        }
        else
        {
            _eval.Stack = atTry.Clone();
            for (int k = atTry.Count; k < _ops[fin].Depth; k++) _eval.Stack.Push(new OpaqueMarker("BEGIN_FINALLY"));
        }
        var finRegion = region.Child(baseDepth: _eval.Stack.Count, finallyHandler: true);
        var finalBody = new List<StmtNode>();
        int follow = WalkSequence(fin, finRegion, finalBody);
        EmitTryFinally(body, finalBody, line, output);
        // END_FINALLY may fall through (by the compiler's count) even when the body never leaves normally: the code
        // after it is still the try statement's follow (often the implicit `return None`).
        return follow;
    }

    // ---------------------------------------------------------------- with

    private int StructureWith(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        if (_eval.Stack.Count == 0 || _eval.Stack.Peek() is not TargetSlot { Group.Kind: TargetGroupKind.WithEnter } slot)
            throw Fail("a with body without its __enter__ result", pos);
        int line = slot.Group.Line;
        var exitMarker = _eval.Stack.Items.OfType<WithExitMarker>().LastOrDefault() ?? throw Fail("a with body without its __exit__", pos);
        var atWith = _eval.Stack;
        _eval.Stack = atWith.Clone();
        ConstructExit exit = _ctx.Version == PythonVersion.V3_8
            ? new WithCleanupExit(this, RealAt(handler.Target)) { Outer = region }
            : new WithExit(this) { Outer = region, EndsLayout = next => next == RealAt(handler.Target), Handler = handler };
        var body = new List<StmtNode>();
        var bodyRegion = region.Child(handler: handler, keepHandler: false, baseDepth: atWith.Count - 1, exit: exit);
        int bodyEnd = WalkSequence(pos, bodyRegion, body);
        int resume = -1;
        bool suppressedIntoImplicitReturn = false, fallsOffLoopBody = false;
        if (bodyEnd >= 0)
        {
            if (_ctx.Version == PythonVersion.V3_8) resume = WithNormalExit38(bodyEnd, RealAt(handler.Target));
            else
            {
                int after = exit.MatchUnwinding(bodyEnd);
                if (after < 0) throw Fail("the normal exit of a with body does not call __exit__", bodyEnd);
                exit.ConsumeUnwinding(bodyEnd, after);
                resume = after;
            }
        }
        if (_ctx.Version == PythonVersion.V3_8)
        {
            // The clean-up's END_FINALLY may fall through (by the compiler's count): what follows is the with's
            // follow even when the body never leaves normally (often the implicit `return None`).
            int endFinally = ConsumeAll(RealAt(handler.Target), "END_FINALLY");
            if (resume < 0 && NextReal(endFinally) < _ops.Length) resume = NextReal(endFinally);
        }
        else
        {
            int suppressed = ConsumeWithHandler(handler, out int suppressJump, out suppressedIntoImplicitReturn);
            if (suppressed < _ops.Length && _ops[RealAt(suppressed)].Kind == OpKind.Reraise && region.InFinallyHandler && !_ctx.Consumed[RealAt(suppressed)])
            {
                // The with ends a finally body: the suppress path runs into the body's closing RERAISE, copied in.
                TerminateSpecial(_ops[RealAt(suppressed)], region, output);
            }
            // A body that never leaves normally: what follows the with is still reached when __exit__ swallows an
            // exception (unless that is a copy of the return it falls into, consumed with the handler).
            fallsOffLoopBody = suppressJump >= 0 && bodyEnd < 0 && region.InnermostLoop is { } loop && loop.ContinueTargets.Contains(suppressed)
                && ReferenceEquals(InnermostThenRegion(region), region);
            if (resume < 0 && suppressed < _ops.Length && !_ctx.Consumed[RealAt(suppressed)])
            {
                resume = suppressed;
                // Its jump went past the else of the if the with ends (threaded on to their join): the then-branch
                // ends there.
                if (suppressJump >= 0) EndThenBranchesAt(suppressed, region, suppressJump);
            }
        }
        _eval.Stack = atWith.Clone();
        while (_eval.Stack.Count > 0 && !ReferenceEquals(_eval.Stack.Pop(), exitMarker)) { }
        var item = S.Withitem(exitMarker.Context, slot.Group.Targets[0]);
        StmtNode stmt = MergeWith(item, body, exitMarker.IsAsync);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        // A with whose __exit__ may swallow an exception runs on into the implicit return: it ends its code, like
        // the copy of that return would.
        if (resume < 0 && suppressedIntoImplicitReturn) _withsEndingInImplicitReturn.Add(stmt);
        if (fallsOffLoopBody)
        {
            // ... or on to the loop head: a with ending an if's then-branch falls off the loop body there, and the if
            // has the rest of the body for its else.
            EmitLoopBodyEnd(output, line, ownJump: true);
            return -1;
        }
        return resume;
    }

    /// <summary>With statements whose suppress path is the optimizer's copy of the implicit return (see
    /// <see cref="EndsInImplicitReturn"/>).</summary>
    private readonly HashSet<StmtNode> _withsEndingInImplicitReturn = new(SyntaxNodeIdentity.Instance);

    /// <summary>3.8: `BEGIN_FINALLY` falls into the handler `WITH_CLEANUP_START; [await]; WITH_CLEANUP_FINISH; END_FINALLY`.</summary>
    private int WithNormalExit38(int bodyEnd, int handlerStart)
    {
        int p = RealAt(bodyEnd);
        if (_ops[p].Name != "BEGIN_FINALLY" || NextReal(p) != handlerStart) throw Fail("the normal exit of a with body does not enter its clean-up", p);
        while (true)
        {
            var op = _ops[p];
            _eval.ApplyStaticEffect(op);
            p = NextReal(p);
            if (op.Name == "END_FINALLY") return p;
            if (p >= _ops.Length) throw Fail("a with clean-up without END_FINALLY", handlerStart);
        }
    }

    /// <summary>Marks ops from <paramref name="p"/> up to and including the first <paramref name="last"/> as consumed; returns that op.</summary>
    private int ConsumeAll(int p, string last)
    {
        for (; p < _ops.Length; p = NextReal(p))
        {
            Consume(p);
            if (_ops[p].Name == last) break;
        }
        return p;
    }

    private static StmtNode MergeWith(Withitem item, List<StmtNode> body, bool isAsync)
    {
        // `with a, b:` is compiled as nested withs; the nested form prints as one statement.
        if (!isAsync && body is [With inner]) return S.With([item, .. inner.Items], inner.Body);
        if (isAsync && body is [AsyncWith ainner]) return S.AsyncWith([item, .. ainner.Items], ainner.Body);
        return isAsync ? S.AsyncWith([item], Body(body)) : S.With([item], Body(body));
    }

    /// <summary>
    /// The with handler: `[PUSH_EXC_INFO]; WITH_EXCEPT_START; [await]; [TO_BOOL]; POP_JUMP_IF_TRUE; RERAISE`, then the
    /// suppress path `POP_TOP...; POP_EXCEPT; POP_TOP...; [JUMP]` (or the follow copied into it). Returns where the
    /// suppress path goes on: the with statement's follow.
    /// </summary>
    private int ConsumeWithHandler(ExceptionHandler handler, out int jump, out bool intoImplicitReturn)
    {
        intoImplicitReturn = false;
        jump = -1;
        int p = RealAt(handler.Target);
        int guard = 0;
        while (p < _ops.Length && guard++ < 40)
        {
            var op = _ops[p];
            Consume(p);
            if (op.Kind == OpKind.CondJump)
            {
                int reraise = NextReal(p);
                if (reraise < _ops.Length && _ops[reraise].Name == "RERAISE") Consume(reraise);
                p = RealAt(op.Target);
                break;
            }
            p = NextReal(p);
        }
        if (_ctx.Version >= PythonVersion.V3_11) ConsumeCleanupOf(RealAt(handler.Target));
        while (p < _ops.Length && _ops[p].Name is "POP_TOP" or "POP_EXCEPT")
        {
            Consume(p);
            p = NextReal(p);
        }
        if (p < _ops.Length && _ops[p].Kind == OpKind.Jump)
        {
            Consume(p);
            jump = p;
            return _ops[p].Target;
        }
        intoImplicitReturn = MarkDuplicateTail(p);
        return p;
    }

    /// <summary>Code the optimizer copied from a construct's follow into a handler path: consumed as an alias when it
    /// is the implicit `return None`, or a small exit block (at most 4 ops, 3.10+'s copy limit) whose same ops on
    /// the same lines stand elsewhere (`return self.close()`). Any other return is the follow itself, reached only
    /// that way (`with suppress(E): return f()` then `return False`).</summary>
    /// <returns>True when the copy consumed is the implicit `return None`.</returns>
    private bool MarkDuplicateTail(int p)
    {
        int start = p, guard = 0;
        bool loadsOnly = true, onlyNone = true;
        while (p < _ops.Length && guard++ < 8)
        {
            var op = _ops[p];
            if (op.Kind == OpKind.Plain)
            {
                loadsOnly &= op.Name is "LOAD_CONST" or "LOAD_SMALL_INT" or "LOAD_FAST" or "LOAD_FAST_BORROW" or "LOAD_FAST_CHECK" or "LOAD_GLOBAL" or "LOAD_NAME" or "LOAD_DEREF";
                onlyNone &= op.Name == "LOAD_CONST" && ReturnsNone(p);
                if (!loadsOnly && guard >= 4) return false;
                p = NextReal(p);
                continue;
            }
            bool implicitReturn = loadsOnly && onlyNone && (op.Name != "RETURN_CONST" || ReturnsNone(p));
            if (op.Kind != OpKind.Return || !implicitReturn && !CopiedElsewhere(start, p)) return false;
            ConsumeRange(start, p + 1);
            return implicitReturn;
        }
        return false;
    }

    // ---------------------------------------------------------------- exit rules

    /// <summary>
    /// A try body under an except: no exit code (3.11+ zero-cost; 3.8-3.10's POP_BLOCK is consumed in the body, except
    /// after an inner construct's exit code, where it is this try's part of a return's unwinding).
    /// </summary>
    private sealed class TryBodyExit(Structurer s) : ConstructExit
    {
        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            return p < s._ops.Length && s._ops[p].Kind == OpKind.PopBlock ? s.NextReal(p) : pos;
        }

        public override void ConsumeUnwinding(int pos, int after) => s.ConsumeRange(pos, after);
    }

    /// <summary>
    /// A with body's exit: `[SWAP|ROT_TWO...]` then the __exit__ call — 3.11+ `LOAD_CONST None x3; CALL`, 3.9-3.10
    /// `LOAD_CONST None; DUP_TOP; DUP_TOP; CALL_FUNCTION 3` — then `[await]; POP_TOP`.
    /// </summary>
    private sealed class WithExit(Structurer s) : ConstructExit
    {
        /// <summary>The with's handler (3.9+), whose suppress path goes on to the with statement's follow.</summary>
        public ExceptionHandler? Handler { get; init; }

        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            var ops = s._ops;
            // 3.9-3.10: the POP_BLOCK of an outer with's body is part of its unwinding (an inner one's was the body's last op).
            if (p < ops.Length && ops[p].Kind == OpKind.PopBlock) p = s.NextReal(p);
            for (int k = 0; k < 2 && p < ops.Length && ops[p].Name is "SWAP" or "ROT_TWO"; k++) p = s.NextReal(p);
            if (p >= ops.Length || ops[p].Name != "LOAD_CONST" || ops[p].Instruction.Argument is not ConstArgument { Value: PyNone }) return -1;
            p = s.NextReal(p);
            if (s._ctx.Version >= PythonVersion.V3_11)
            {
                for (int k = 0; k < 2; k++)
                {
                    if (p >= ops.Length || ops[p].Name != "LOAD_CONST" || ops[p].Instruction.Argument is not ConstArgument { Value: PyNone }) return -1;
                    p = s.NextReal(p);
                }
                if (p >= ops.Length || ops[p].Name != "CALL") return -1;
            }
            else
            {
                for (int k = 0; k < 2; k++)
                {
                    if (p >= ops.Length || ops[p].Name != "DUP_TOP") return -1;
                    p = s.NextReal(p);
                }
                if (p >= ops.Length || ops[p].Name != "CALL_FUNCTION" || ops[p].Instruction.Arg != 3) return -1;
            }
            p = s.NextReal(p);
            if (p < ops.Length && ops[p].Name == "GET_AWAITABLE")
            {
                p = s.NextReal(p);
                if (p < ops.Length && ops[p].Name == "LOAD_CONST") p = s.NextReal(p);
                if (p < ops.Length && ops[p].Name is "SEND" or "YIELD_FROM") p = s.NextReal(p);
                if (p < ops.Length && ops[p].Name == "END_SEND") p = s.NextReal(p);
            }
            if (p >= ops.Length || ops[p].Name != "POP_TOP") return -1;
            return s.NextReal(p);
        }

        public override void ConsumeUnwinding(int pos, int after)
        {
            for (int i = pos; i < after; i++)
                if (s._ops[i].Kind == OpKind.PopBlock) s.Consume(i);
                else s.EvalOp(i);
        }
    }

    /// <summary>
    /// 3.8 with: return/break/continue run `[ROT_TWO]; BEGIN_FINALLY; WITH_CLEANUP_START; [await]; WITH_CLEANUP_FINISH;
    /// POP_FINALLY`; the normal exit's BEGIN_FINALLY falls into the handler instead (not an exit rule).
    /// </summary>
    private sealed class WithCleanupExit(Structurer s, int handlerStart) : ConstructExit
    {
        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            var ops = s._ops;
            // The POP_BLOCK of an outer with's body is part of its unwinding (an inner one's was the body's last op).
            if (p < ops.Length && ops[p].Kind == OpKind.PopBlock) p = s.NextReal(p);
            if (p < ops.Length && ops[p].Name == "ROT_TWO") p = s.NextReal(p);
            if (p >= ops.Length || ops[p].Name != "BEGIN_FINALLY") return -1;
            p = s.NextReal(p);
            if (p == handlerStart || p >= ops.Length || ops[p].Name != "WITH_CLEANUP_START") return -1;
            for (int guard = 0; guard < 8 && p < ops.Length; guard++)
            {
                if (ops[p].Name == "POP_FINALLY") return s.NextReal(p);
                p = s.NextReal(p);
            }
            return -1;
        }

        public override void ConsumeUnwinding(int pos, int after)
        {
            for (int i = pos; i < after; i++)
            {
                var op = s._ops[i];
                if (op.Kind == OpKind.Skip) { s.Consume(i); continue; }
                if (op.Name == "ROT_TWO") s.EvalOp(i);
                else s._eval.ApplyStaticEffect(op);
            }
        }
    }

    /// <summary>
    /// An except clause body's exit: `[SWAP|ROT_FOUR]; [POP_BLOCK]; [ROT_FOUR]; POP_EXCEPT`, then for `as name` the
    /// clean-up (3.9+: `LOAD_CONST None; STORE; DELETE`; 3.8: `CALL_FINALLY` to it, or on the normal exit
    /// `BEGIN_FINALLY; LOAD_CONST None; STORE; DELETE; END_FINALLY` before POP_EXCEPT).
    /// </summary>
    private sealed class ExceptBodyExit(Structurer s, string? name) : ConstructExit
    {
        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            var ops = s._ops;
            if (p < ops.Length && ops[p].Name is "SWAP" or "ROT_TWO" or "ROT_FOUR") p = s.NextReal(p);
            if (p < ops.Length && ops[p].Kind == OpKind.PopBlock) p = s.NextReal(p);
            if (p < ops.Length && ops[p].Name is "ROT_FOUR") p = s.NextReal(p);
            if (p < ops.Length && ops[p].Name == "BEGIN_FINALLY" && name is not null)
            {
                // 3.8 normal exit of `except ... as name`: the clean-up finally runs in line.
                p = s.SkipNameCleanup(s.NextReal(p), name);
                if (p >= ops.Length || ops[p].Name != "END_FINALLY") return -1;
                p = s.NextReal(p);
            }
            if (p >= ops.Length || ops[p].Name != "POP_EXCEPT") return -1;
            p = s.NextReal(p);
            if (name is not null)
            {
                if (p < ops.Length && ops[p].Kind == OpKind.CallFinally) p = s.NextReal(p);
                else p = s.SkipNameCleanup(p, name);
            }
            return p;
        }

        public override void ConsumeUnwinding(int pos, int after)
        {
            // Only the moves and POP_EXCEPT change the model; the name clean-up and 3.8's finally plumbing cancel out.
            for (int i = pos; i < after; i++)
            {
                var op = s._ops[i];
                if (op.Name is "SWAP" or "ROT_TWO" or "ROT_FOUR" or "POP_EXCEPT") s.EvalOp(i);
                else s.Consume(i);
            }
        }
    }

    /// <summary>3.8 try/finally: return/break/continue run `[POP_BLOCK]; CALL_FINALLY`.</summary>
    private sealed class CallFinallyExit(Structurer s) : ConstructExit
    {
        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            if (p < s._ops.Length && s._ops[p].Kind == OpKind.PopBlock) p = s.NextReal(p);
            return p < s._ops.Length && s._ops[p].Kind == OpKind.CallFinally ? s.NextReal(p) : -1;
        }

        public override void ConsumeUnwinding(int pos, int after) => s.ConsumeRange(pos, after);
    }

    /// <summary>A try body under a finally: each exit repeats the finally body.</summary>
    /// <param name="canonicalHandler">The handler over the canonical finally body (3.11+ its clean-up).</param>
    /// <param name="canonicals">The readings of the canonical finally body's ops a copy may repeat (<see cref="CanonicalFinallyOps"/>).</param>
    private sealed class FinallyExit(Structurer s, List<List<int>> canonicals, int canonicalEnd, ExceptionHandler? canonicalHandler) : ConstructExit
    {
        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            if (p < s._ops.Length && s._ops[p].Kind == OpKind.PopBlock) p = s.NextReal(p);
            foreach (var canonical in canonicals)
            {
                _exitCopies.Clear();
                _nestedHandlerCode.Clear();
                int after = s.MatchCopy(p, canonical, canonicalEnd, _exitCopies, (canonicalHandler, Outer.Handler), _nestedHandlerCode);
                if (after >= 0) return after;
            }
            return -1;
        }

        private readonly List<int> _exitCopies = [];
        private readonly List<int> _nestedHandlerCode = [];

        public override void ConsumeUnwinding(int pos, int after)
        {
            for (int i = pos; i < after; i++) s.Consume(i);
            foreach (int op in _nestedHandlerCode) s.Consume(op);
            foreach (int start in _exitCopies) s.ConsumeExitBlock(start);
            // What the try runs into is then itself a copy of that exit block: the implicit `return None` when
            // it is one, which the try did not write.
            if (_exitCopies.Count > 0 && s.ImplicitReturnAt(after) is int ret) s._implicitReturnOps.Add(ret);
        }
    }

    /// <summary>The return op of a `return None` block at <paramref name="p"/> (LOAD_CONST None; RETURN_VALUE, or RETURN_CONST None), or null.</summary>
    private int? ImplicitReturnAt(int p)
    {
        p = RealAt(p);
        if (p >= _ops.Length || _ops[p].Instruction.Argument is not ConstArgument { Value: PyNone }) return null;
        if (_ops[p].Kind == OpKind.Return) return p;
        int r = NextReal(p);
        return _ops[p].Name == "LOAD_CONST" && r < _ops.Length && _ops[r].Kind == OpKind.Return ? r : null;
    }

    /// <summary>True when <paramref name="p"/> is a `return None` block, or a jump to one (a copy the normalizer
    /// turned back into a jump).</summary>
    private bool RunsIntoReturnNone(int p)
    {
        p = RealAt(p);
        if (ImplicitReturnAt(p) is not null) return true;
        return p < _ops.Length && _ops[p].Kind == OpKind.Jump && ImplicitReturnAt(_ops[p].Target) is not null;
    }

    /// <summary>The small exit block at <paramref name="start"/>: its ops up to the return or raise that ends it.</summary>
    private void ConsumeExitBlock(int start)
    {
        for (int q = start; q < _ops.Length; q = NextReal(q))
        {
            ConsumeRange(q, q + 1);
            if (_ops[q].Kind is OpKind.Return or OpKind.Raise or OpKind.Reraise) return;
        }
    }

    /// <summary>`LOAD_CONST None; STORE name; DELETE name` after an except-as body.</summary>
    private int SkipNameCleanup(int p, string name)
    {
        if (p >= _ops.Length || _ops[p].Name != "LOAD_CONST" || _ops[p].Instruction.Argument is not ConstArgument { Value: PyNone }) return p;
        int s = NextReal(p);
        if (s >= _ops.Length || !_ops[s].Name.StartsWith("STORE_", StringComparison.Ordinal) || _ops[s].Instruction.Argument.ToString() != name) return p;
        int d = NextReal(s);
        if (d >= _ops.Length || !_ops[d].Name.StartsWith("DELETE_", StringComparison.Ordinal)) return p;
        return NextReal(d);
    }
}
