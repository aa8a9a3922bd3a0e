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
/// Loops: for / async for (FOR_ITER heads), while with the test at the head (3.8-3.9, 3.14, and the
/// continue target of 3.10-3.13), while with the test duplicated at the bottom (3.10-3.13), while True;
/// each with its else clause (the code between the loop's own exit and the break target).
/// </summary>
internal sealed partial class Structurer
{
    private const int LoopNotHandled = int.MinValue;

    /// <summary>Blocks of the natural loop of <paramref name="head"/>: those that reach a back edge without passing the head.</summary>
    private HashSet<int> NaturalLoop(int head)
    {
        var set = new HashSet<int> { head };
        var work = new Stack<int>();
        foreach (var p in _flow.Blocks[head].Predecessors)
            if (_flow.Dominates(head, p) && set.Add(p)) work.Push(p);
        while (work.Count > 0)
        {
            int b = work.Pop();
            foreach (var p in _flow.Blocks[b].Predecessors)
                if (!_flow.Blocks[p].Unreachable && set.Add(p)) work.Push(p);
        }
        return set;
    }

    /// <summary>
    /// The last (in layout) unconditional jump back to the head: the loop body's natural end. 3.8-3.9 lay it out right
    /// before the loop's exit <paramref name="layoutEnd"/> (-1: unknown) and keep it even when nothing reaches it (a
    /// body ending in a try whose clauses all leave); when a return ends the body in the same block, the optimizer
    /// dropped it, and every jump to the head is a continue. 3.11+ lay handlers out after everything: a jump back from
    /// a handler (a `continue` in an except clause) comes after the body's own end, so a jump back before the exit
    /// comes first.
    /// </summary>
    private int ClosingJump(HashSet<int> loopBlocks, int head, int layoutEnd = -1)
    {
        int headBlock = _flow.BlockIdOf(head), best = -1, bestBeforeEnd = -1;
        if (KeepsDeadExitAfterJump && layoutEnd > head)
        {
            int last = PrevReal(layoutEnd);
            return last > head && _ops[last].Kind == OpKind.Jump && _flow.BlockIdOf(_ops[last].Target) == headBlock ? last : -1;
        }
        foreach (var b in loopBlocks)
        {
            var term = _flow.Terminator(_flow.Blocks[b]);
            if (term is null || term.Kind != OpKind.Jump || _flow.BlockIdOf(term.Target) != headBlock) continue;
            best = Math.Max(best, term.Index);
            if (term.Index < layoutEnd) bestBeforeEnd = Math.Max(bestBeforeEnd, term.Index);
        }
        return !HandlersInLine && bestBeforeEnd >= 0 ? bestBeforeEnd : best;
    }

    /// <summary>
    /// The op a `break` jumps to: an unconditional jump from the loop body (the blocks its first block dominates)
    /// to code outside the natural loop, other than the loop's head; forward past the loop's exit, or — a break
    /// that ends an enclosing loop's body is threaded to that loop's head — an enclosing loop's continue target.
    /// A `while True` body is the whole loop, so only jumps past the loop's last block count.
    /// </summary>
    private int FindBreakTarget(int bodyEntry, HashSet<int> loopBlocks, int head, int exit, Region region, bool whileTrue = false)
    {
        int best = -1, outer = -1;
        var enclosing = region.InnermostLoop;
        int entryBlock = _flow.BlockIdOf(bodyEntry), headBlock = _flow.BlockIdOf(head);
        // 3.11+ lay code reached only through an exception (handlers, and what only they reach) out after the rest,
        // in order: a target is past the loop when it is past the loop's blocks of its own kind.
        bool coldLast = _ctx.Version >= PythonVersion.V3_11;
        if (coldLast) loopBlocks = WithProtectedBlocks(loopBlocks, headBlock);
        int LastLoopOp(bool cold) => loopBlocks.Where(b => !coldLast || IsCold(b) == cold).Select(b => _flow.Blocks[b].End - 1).DefaultIfEmpty(-1).Max();
        int lastWarmOp = LastLoopOp(cold: false), lastColdOp = LastLoopOp(cold: true);
        // The handlers of try statements around the loop are entered from its body, so it dominates them; their jumps
        // are no breaks of it. (Up to 3.10 the handler of the head op is a try's around the loop: one in the body
        // starts with its SETUP op. 3.11+ protect the head of a body that starts with a try.)
        var enclosingHandlerEntries = new List<int>();
        for (var h = _ctx.Version < PythonVersion.V3_11 ? _flow.HandlerOf(RealAt(head)) : null; h is not null; h = h.Parent)
            if (RealAt(h.Target) < _ops.Length) enclosingHandlerEntries.Add(_flow.BlockIdOf(RealAt(h.Target)));
        foreach (var block in _flow.Blocks)
        {
            if (block.Unreachable || !_flow.Dominates(entryBlock, block.Id)) continue;
            if (enclosingHandlerEntries.Any(e => _flow.Dominates(e, block.Id))) continue;
            var term = _flow.Terminator(block);
            if (term is null || term.Kind != OpKind.Jump) continue;
            int target = term.Target, tb = _flow.BlockIdOf(target);
            if (tb == headBlock) continue;
            if (loopBlocks.Contains(tb) || whileTrue && target <= (coldLast && IsCold(tb) ? lastColdOp : lastWarmOp) && target > head) continue;
            if (target <= head)
            {
                if (enclosing is not null && enclosing.ContinueTargets.Contains(target)) outer = target;
                continue;
            }
            if (exit >= 0 && target < exit) continue;
            if (best < 0 || target < best) best = target;
        }
        return best >= 0 ? best : outer;
    }

    /// <summary>
    /// A natural loop (found through flow edges) with the code its handlers protect: a handler in the loop is entered
    /// from the protected blocks (an exception edge), which are in the loop too when the loop head dominates them.
    /// </summary>
    private HashSet<int> WithProtectedBlocks(HashSet<int> loopBlocks, int headBlock)
    {
        var set = new HashSet<int>(loopBlocks);
        var work = new Stack<int>(set);
        while (work.Count > 0)
        {
            var block = _flow.Blocks[work.Pop()];
            var entered = ProtectedBlocks().TryGetValue(_flow.FirstRealOp(block), out var from) ? from : [];
            foreach (var p in block.Predecessors.Concat(entered))
                if (!_flow.Blocks[p].Unreachable && _flow.Dominates(headBlock, p) && set.Add(p)) work.Push(p);
        }
        return set;
    }

    private Dictionary<int, List<int>>? _protectedBlocks;

    /// <summary>For each handler's first real op, the blocks with an op it protects.</summary>
    private Dictionary<int, List<int>> ProtectedBlocks()
    {
        if (_protectedBlocks is not null) return _protectedBlocks;
        _protectedBlocks = [];
        foreach (var block in _flow.Blocks)
        {
            var seen = new HashSet<ExceptionHandler>();
            for (int i = block.Start; i < block.End; i++)
            {
                if (_flow.HandlerOf(i) is not { } h || !seen.Add(h)) continue;
                int entry = RealAt(h.Target);
                if (!_protectedBlocks.TryGetValue(entry, out var list)) _protectedBlocks[entry] = list = [];
                list.Add(block.Id);
            }
        }
        return _protectedBlocks;
    }

    private bool[]? _warm;

    /// <summary>Whether the code reaches block <paramref name="b"/> only through an exception (no path of flow edges from the entry).</summary>
    private bool IsCold(int b)
    {
        if (_warm is null)
        {
            _warm = new bool[_flow.Blocks.Length];
            var work = new Stack<int>();
            _warm[0] = true;
            work.Push(0);
            while (work.Count > 0)
                foreach (var s in _flow.Blocks[work.Pop()].Successors)
                    if (s >= 0 && s < _warm.Length && !_warm[s]) { _warm[s] = true; work.Push(s); }
        }
        return !_warm[b];
    }

    private int StructureLoop(int pos, Region region, List<StmtNode> output)
    {
        int real = RealAt(pos);
        var op = _ops[real];
        if (op.Kind is OpKind.ForIter or OpKind.AsyncForIter) return StructureFor(pos, real, region, output);
        var block = _flow.BlockOf(pos);
        var loopBlocks = NaturalLoop(block.Id);
        var term = _flow.Terminator(block);
        if (term is not null && term.Kind == OpKind.CondJump && IsPureTest(pos, term.Index, region) && !IsWhileTrueWithTestFirst(pos, term, loopBlocks))
        {
            int tb = _flow.BlockIdOf(term.Target), fb = _flow.BlockIdOf(NextReal(term.Index));
            if (!loopBlocks.Contains(tb) && loopBlocks.Contains(fb))
                return StructureWhileAtHead(pos, term, loopBlocks, region, output);
            if (TryWhileWithCompoundTest(pos, term, loopBlocks, region, output, out int after)) return after;
        }
        return StructureWhileTrue(pos, loopBlocks, region, output);
    }

    /// <summary>
    /// 3.10-3.13 repeat a while loop's test at the bottom of its body, so a loop whose head test is not repeated there,
    /// and whose closing jump stands on the line of a NOP before the head, above the test's line, is `while True:`
    /// whose body starts with an if (the closing jump keeps the `while` statement's line; `while c:` has none).
    /// </summary>
    private bool IsWhileTrueWithTestFirst(int pos, Op term, HashSet<int> loopBlocks)
    {
        if (KeepsDeadExitAfterJump) return DeadClosingJumpAfterExit(pos, term);
        if (_ctx.Version < PythonVersion.V3_10 || _ctx.Version > PythonVersion.V3_13 || pos == 0) return false;
        int bodyStart = RealAt(NextReal(term.Index));
        if (bodyStart < _ops.Length && _flow.IsLoopHead(_flow.BlockIdOf(bodyStart)) && _flow.BlockIdOf(bodyStart) != _flow.BlockIdOf(pos)) return false;
        int testLine = _ops[RealAt(pos)].Line, nopLine = 0;
        for (int k = pos - 1; k < RealAt(pos); k++)
            if (k >= 0 && _ops[k] is { Kind: OpKind.Skip, Name: "NOP", Line: > 0 } nop && nop.Line < testLine) nopLine = nop.Line;
        int closing = ClosingJump(loopBlocks, pos);
        return nopLine > 0 && closing >= 0 && _ops[closing].Line == nopLine;
    }

    /// <summary>
    /// 3.8-3.9 keep the dead jump back that closes a `while True:` body ending in an if/else whose else leaves: when
    /// the head test's way out is straight code that leaves and then that jump, the test is the if's. An else that
    /// is a `break` is a dead jump to where the test's jump was threaded, right before that closing jump.
    /// </summary>
    private bool DeadClosingJumpAfterExit(int head, Op term)
    {
        int exit = RealAt(term.Target), headBlock = _flow.BlockIdOf(head);
        bool IsDeadJumpTo(int k, Func<int, bool> to) => k > term.Index && _flow.BlockOf(k).Unreachable && _ops[k].Kind == OpKind.Jump && to(_ops[k].Target);
        // The then-branch before that else ends in its jump over it, threaded to the head: no line of its own (a
        // written `continue` there, then `break`, is a `while c:` body's end).
        bool ThenJumpsBackBefore(int k) => k > term.Index && _ops[k].Kind == OpKind.Jump && _flow.BlockIdOf(_ops[k].Target) == headBlock && !_ops[k].Instruction.IsLineStart;
        int closing = PrevReal(exit);
        if (IsDeadJumpTo(closing, t => _flow.BlockIdOf(t) == headBlock) && IsDeadJumpTo(PrevReal(closing), t => RealAt(t) == exit)
            && ThenJumpsBackBefore(PrevReal(PrevReal(closing)))) return true;
        // (The normalizer may have pointed the test back at that break: see OpNormalizer.UnthreadJumpOnlyElses.)
        if (_ops[exit].Kind == OpKind.Jump && _ops[exit].Target > exit && IsDeadJumpTo(NextReal(exit), t => _flow.BlockIdOf(t) == headBlock)
            && ThenJumpsBackBefore(PrevReal(exit))) return true;
        for (int k = exit; k > term.Index && k < _ops.Length; k = NextReal(k))
        {
            if (_flow.BlockOf(k).Unreachable) return IsDeadJumpTo(k, t => _flow.BlockIdOf(t) == headBlock);
            if (_ops[k].Kind is not (OpKind.Plain or OpKind.Return or OpKind.Raise)) return false;
        }
        return false;
    }

    /// <summary>True when the ops [pos, term) only compute a value (no statement ends inside: depth stays above base).</summary>
    private bool IsPureTest(int pos, int term, Region region)
    {
        for (int i = pos; i < term; i++)
        {
            if (_ops[i].Kind == OpKind.Skip) continue;
            if (_ops[i].Kind != OpKind.Plain) return false;
            if (i > pos && _ops[i].Depth == region.Base) return false;
        }
        return true;
    }

    private int StructureFor(int pos, int real, Region region, List<StmtNode> output)
    {
        var op = _ops[real];
        int line = op.Line;
        ConsumeSkipsFrom(pos, real);
        Consume(real);
        if (_eval.Stack.Count == 0 || _eval.Stack.Peek() is not IteratorMarker iterator)
            throw Fail("a for loop without an iterator on the stack", real);
        int exit = RealAt(op.Target);
        int afterExit = exit;
        // Exit plumbing (3.12 END_FOR; 3.13 END_FOR, POP_TOP; 3.14 END_FOR, POP_ITER; async END_ASYNC_FOR): whatever
        // runs at the exit while the stack is still above the loop's own base.
        int loopBase = _eval.Stack.Count - 1;
        while (afterExit < _ops.Length && (_ops[afterExit].Depth > loopBase || _ops[afterExit].Name == "END_ASYNC_FOR"))
        {
            Consume(afterExit);
            afterExit = NextReal(afterExit);
        }
        var loopBlocks = NaturalLoop(_flow.BlockIdOf(pos));
        int breakTarget = FindBreakTarget(NextReal(real), loopBlocks, pos, afterExit, region);
        // The breaks were threaded through the exit's jump (they jump where it goes): they end the loop, which has no
        // else, and the jump is the end of the enclosing loop's body, reached by falling off this loop.
        bool threadedExit = IsThreadedExitJump(afterExit, breakTarget, line, region);
        if (threadedExit) _threadedExitJumps.Add(RealAt(afterExit));
        if (breakTarget < 0) breakTarget = afterExit;

        var loop = new LoopInfo
        {
            Head = pos,
            ContinueTargets = [pos, real],
            Exit = exit,
            AfterExit = afterExit,
            Iterator = iterator,
            BreakTarget = breakTarget,
            BodyBase = _eval.Stack.Count,
            ClosingJump = ClosingJump(loopBlocks, pos, exit),
        };
        var atLoop = _eval.Stack;
        _eval.Stack = atLoop.Clone();
        var group = new TargetGroup(TargetGroupKind.ForItem, 1) { Line = line };
        _eval.Stack.Push(new TargetSlot(group, 0));
        var body = new List<StmtNode>();
        var bodyRegion = region.Child(stops: [exit], loop: loop, baseDepth: atLoop.Count);
        int end = WalkSequence(NextReal(real), bodyRegion, body);
        if (end >= 0) throw Fail($"for loop body stops at op {end}", real);
        if (group.Targets[0] is not ExprNode target) throw Fail("for loop without a target", real);
        FoldThreadedElses(body);
        StripJumpsOverElse(body);
        StripTrailingContinue(body);

        _eval.Stack = atLoop.Clone();
        _eval.Stack.Pop();
        var orelse = new List<StmtNode>();
        // A break the optimizer replaced with a copy of the follow names its target while the body is walked: the copy
        // itself (InlinedBreak), or the original standing after the loop (then the loop's else ends there). Breaks
        // threaded through the exit's jump go to the exit.
        breakTarget = threadedExit && !loop.InlinedBreak && loop.BreakTarget == breakTarget ? afterExit : loop.BreakTarget;
        int after = breakTarget;
        // 3.8-3.9: the exit falls into a jump on (a then-branch's jump over its else, threaded back to an outer loop's
        // head) and the break went to the jump that one once led to (the peephole threads one step at a time). Neither
        // an else nor a follow there reads back to the same jumps: say so rather than print either.
        if (KeepsDeadExitAfterJump && AreLoneJumpsToOnePlace(afterExit, breakTarget))
            throw Fail("the loop's exit and its break go on through two jumps to one place", afterExit);
        if (!Same(breakTarget, afterExit))
        {
            var elseRegion = region.Child(stops: [breakTarget, RealAt(breakTarget)]);
            int elseEnd = WalkSequence(afterExit, elseRegion, orelse);
            // An else that leaves its except clause (a continue there) stops at the clause's POP_EXCEPT (see LeaveClauseFromBranch).
            // (A follow copied in place of the break's jump is laid out before the else: anywhere after it then.)
            elseEnd = LeaveClauseFromBranch(elseEnd, loop.InlinedBreak ? int.MaxValue : breakTarget, region, orelse);
            if (elseEnd >= 0 && !Same(elseEnd, breakTarget)) throw Fail("for-else ends away from the break target", afterExit);
            _eval.Stack = atLoop.Clone();
            _eval.Stack.Pop();
        }
        StmtNode stmt = iterator.IsAsync
            ? S.AsyncFor(target, iterator.Iterable, Body(body), [.. orelse])
            : S.For(target, iterator.Iterable, Body(body), [.. orelse]);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        _eval.StatementLine = 0;
        return after;
    }

    /// <summary>
    /// 3.12+: whether the loop's exit goes on through a jump of the compiler's (no line of its own past the loop's)
    /// straight to where its breaks go, an enclosing loop's head: the end of that loop's body, reached by falling off
    /// this loop (an if's then-branch ending with it, its jump over the else threaded to the head). The optimizer
    /// threads the breaks through it; a `continue` written there would stand on a line of its own and keep them.
    /// </summary>
    private bool IsThreadedExitJump(int afterExit, int breakTarget, int loopLine, Region region)
    {
        int jump = RealAt(afterExit);
        return _ctx.Version >= PythonVersion.V3_12 && breakTarget >= 0
            && region.InnermostLoop is { } enclosing && enclosing.ContinueTargets.Contains(breakTarget)
            && jump < _ops.Length && _ops[jump].Kind == OpKind.Jump && Same(_ops[jump].Target, breakTarget) && _ops[jump].Line == loopLine;
    }

    /// <summary>The jumps <see cref="IsThreadedExitJump"/> found: each reads as the end of its loop body.</summary>
    private readonly HashSet<int> _threadedExitJumps = [];

    /// <summary>A while loop whose test is at its head (3.8-3.9, 3.14; 3.10-3.13 when a continue targets the test).</summary>
    private int StructureWhileAtHead(int pos, Op term, HashSet<int> loopBlocks, Region region, List<StmtNode> output)
    {
        int line = _ops[RealAt(pos)].Line;
        var atLoop = _eval.Stack;
        _eval.Stack = atLoop.Clone();
        for (int i = pos; i < term.Index; i++)
        {
            if (_ops[i].Kind == OpKind.Skip) { Consume(i); continue; }
            _eval.Eval(_ops[i]);
        }
        var headRegion = region.Child(stops: []);
        var node = BuildCondition(term, headRegion, loopTest: true);
        return WhileLoop(pos, node, loopBlocks, line, atLoop, region, output, continueAlso: null);
    }

    /// <summary>
    /// A test at the head made of several jumps (`while a or b:`, `while a and not b:`): the head block's own jump
    /// stays in the loop, so only the whole condition shows whether it leaves it. Tried; put back when not.
    /// </summary>
    private bool TryWhileWithCompoundTest(int pos, Op term, HashSet<int> loopBlocks, Region region, List<StmtNode> output, out int after)
    {
        after = -1;
        var consumed = (bool[])_ctx.Consumed.Clone();
        var atLoop = _eval.Stack;
        _eval.Stack = atLoop.Clone();
        try
        {
            for (int i = pos; i < term.Index; i++)
            {
                if (_ops[i].Kind == OpKind.Skip) { Consume(i); continue; }
                _eval.Eval(_ops[i]);
            }
            var node = BuildCondition(term, region.Child(stops: []), loopTest: true);
            bool leaves = node.Blocks.All(loopBlocks.Contains) && !loopBlocks.Contains(_flow.BlockIdOf(node.Target))
                && loopBlocks.Contains(_flow.BlockIdOf(node.Fall)) && _eval.Stack.Count == atLoop.Count;
            if (leaves)
            {
                after = WhileLoop(pos, node, loopBlocks, _ops[RealAt(pos)].Line, atLoop, region, output, continueAlso: null);
                return true;
            }
        }
        catch (DecompileFailure) { }
        Array.Copy(consumed, _ctx.Consumed, consumed.Length);
        _eval.Stack = atLoop;
        return false;
    }

    /// <summary>
    /// 3.10-3.13: the start of the loop-head block the top test of a while falls into (its body's own head, the target
    /// of the bottom test), or null. The condition falls to a real op; the head may start at a skipped op before it
    /// (the NOP of a `try:` starting the body).
    /// </summary>
    private int? BodyHeadAfterTest(CondNode node)
    {
        if (_ctx.Version < PythonVersion.V3_10 || _ctx.Version > PythonVersion.V3_13) return null;
        int bodyStart = RealAt(node.Fall);
        if (bodyStart >= _ops.Length) return null;
        for (int k = bodyStart; k > node.LastOp && (k == bodyStart || _ops[k].Kind == OpKind.Skip); k--)
        {
            var block = _flow.BlockOf(k);
            if (block.Start == k && _flow.IsLoopHead(block.Id)) return k;
        }
        return null;
    }

    private int WhileLoop(int head, CondNode node, HashSet<int> loopBlocks, int line, SymbolicStack atLoop, Region region, List<StmtNode> output, int? continueAlso)
    {
        int exit = node.Target;
        int bodyStart = BodyHeadAfterTest(node) is int bodyHead && _flow.BlockIdOf(bodyHead) != _flow.BlockIdOf(head) ? bodyHead : node.Fall;
        // 3.10-3.13: the body head carries its own back edge from the duplicated test at the bottom.
        int bodyBlock = _flow.BlockIdOf(bodyStart);
        int bottomTest = -1;
        var allBlocks = new HashSet<int>(loopBlocks);
        if (_flow.IsLoopHead(bodyBlock) && bodyBlock != _flow.BlockIdOf(head))
        {
            bottomTest = bodyStart;
            allBlocks.UnionWith(NaturalLoop(bodyBlock));
        }
        int breakTarget = FindBreakTarget(bodyStart, allBlocks, head, RealAt(exit), region);
        if (breakTarget < 0) breakTarget = exit;
        var loop = new LoopInfo
        {
            Head = bottomTest >= 0 ? bodyStart : head,
            ContinueTargets = continueAlso is int c ? [head, RealAt(head), c] : [head, RealAt(head)],
            ExplicitContinueTargets = _ctx.Version >= PythonVersion.V3_10 && _ctx.Version <= PythonVersion.V3_13 ? [head, RealAt(head)] : [],
            Exit = exit,
            BreakTarget = breakTarget,
            BottomTest = bottomTest,
            BodyBase = atLoop.Count,
            ClosingJump = ClosingJump(allBlocks, head, RealAt(exit)),
        };
        if (bottomTest >= 0) loop.ContinueTargets.Add(bodyStart);
        _eval.Stack = atLoop.Clone();
        var body = new List<StmtNode>();
        var bodyRegion = region.Child(stops: [RealAt(exit)], loop: loop);
        int end = WalkSequence(bodyStart, bodyRegion, body);
        if (EndsInBreakFallingOut(end, loop, body)) end = -1;
        if (end >= 0) throw Fail($"while loop body stops at op {end}", head);
        FoldThreadedElses(body);
        StripJumpsOverElse(body);
        StripTrailingContinue(body);

        _eval.Stack = atLoop.Clone();
        var orelse = new List<StmtNode>();
        if (!Same(breakTarget, exit))
        {
            var elseRegion = region.Child(stops: [breakTarget, RealAt(breakTarget)]);
            int elseEnd = WalkSequence(exit, elseRegion, orelse);
            elseEnd = LeaveClauseFromBranch(elseEnd, breakTarget, region, orelse);
            if (elseEnd >= 0 && !Same(elseEnd, breakTarget)) throw Fail("while-else ends away from the break target", exit);
            _eval.Stack = atLoop.Clone();
        }
        var stmt = S.While(JumpTest(node.FallCond), Body(body), [.. orelse]);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        _eval.StatementLine = 0;
        // 3.12: the top test's way out can go past the else of enclosing ifs (its jump threaded to their join): their
        // then-branches end with the loop. A way out that is still a jump is followed by the walk.
        if (_ctx.Version == PythonVersion.V3_12 && Same(breakTarget, exit) && !region.IsStop(breakTarget) && _ops[RealAt(breakTarget)].Kind != OpKind.Jump)
            EndThenBranchesAt(breakTarget, region, node.LastOp, innermostAlways: false);
        return breakTarget;
    }

    /// <summary>
    /// A loop body sequence that stopped at the loop's way out by falling into it ends in a break whose jump the
    /// exit made redundant: only its line's NOP is left of it. Appends that break to <paramref name="body"/>.
    /// </summary>
    private bool EndsInBreakFallingOut(int end, LoopInfo loop, List<StmtNode> body)
    {
        if (end < 0 || loop.Iterator is not null) return false;
        int way = loop.Exit >= 0 ? loop.Exit : loop.BreakTarget;
        if (way < 0 || !Same(end, way) || LineOfBreakFallingInto(RealAt(way)) is not int breakLine) return false;
        var brk = S.Break();
        body.Add(brk);
        _ctx.SetLine(brk, breakLine);
        return true;
    }

    /// <summary>
    /// 3.14: where a `while True` loop that no jump leaves goes on. A body ending in `if c: ...; break` has its
    /// condition's jump back to the head reversed by normalize_jumps into a forward jump to the then-branch, laid
    /// out after the loop, whose break falls into the follow: the follow starts after the break's NOP, the first
    /// line-carrying NOP on the straight way from where the body leaves the loop.
    /// </summary>
    private int BreakFallingOutOf(HashSet<int> loopBlocks, int head, out bool pastTry)
    {
        pastTry = false;
        if (WaysOut(loopBlocks, head, loopBlocks.Contains).FirstOrDefault() is int leaves and > 0
            && BreakNopOnTheWay(loopBlocks, head, leaves, loopBlocks.Contains) is int follow)
            return follow;
        // 3.14: the body's other ways out, past a try statement (whose body and else the natural loop through its
        // handler does not hold): one is a break's when the borrow pass did not reach what its NOP falls into, as
        // the dead code after a break (a try statement's jump to its end, emptied in place) lies between them.
        int headBlock = _flow.BlockIdOf(head);
        bool InBody(int b) => _flow.Dominates(headBlock, b);
        foreach (int way in WaysOut(loopBlocks, head, InBody))
            if (BreakNopOnTheWay(loopBlocks, head, way, InBody) is int after && BorrowEvidence(after) == false)
            {
                pastTry = true;
                return after;
            }
        // A break ending a try body: its NOP ends the straight code the body runs through.
        foreach (var block in _flow.Blocks)
        {
            if (loopBlocks.Contains(block.Id) || block.Unreachable || !InBody(block.Id) || block.Handler is null) continue;
            int last = block.End - 1;
            if (_ops[last] is { Name: "NOP", Line: > 0 } nop && nop.Depth == _ops[head].Depth && block.End < _ops.Length
                && _flow.HandlerOf(block.End) is null && BorrowEvidence(block.End) == false)
            {
                pastTry = true;
                return block.End;
            }
        }
        return -1;
    }

    /// <summary>In layout order, the starts of the blocks outside the loop that a conditional jump of an <paramref name="inBody"/> block goes to.</summary>
    private SortedSet<int> WaysOut(HashSet<int> loopBlocks, int head, Func<int, bool> inBody)
    {
        var leaving = new SortedSet<int>();
        foreach (var block in _flow.Blocks)
        {
            if (!inBody(block.Id) || block.Unreachable || _flow.Terminator(block) is not { Kind: OpKind.CondJump }) continue;
            foreach (int s in block.Successors)
                if (!loopBlocks.Contains(s) && !_flow.Blocks[s].Unreachable && _flow.Blocks[s].Start > head) leaving.Add(_flow.Blocks[s].Start);
        }
        return leaving;
    }

    /// <summary>The op after the break NOP that the straight code from <paramref name="leaves"/> falls through, or null.</summary>
    private int? BreakNopOnTheWay(HashSet<int> loopBlocks, int head, int leaves, Func<int, bool> inBody)
    {
        // The way there is straight code that only the loop reaches (the then-branch, not a join after it).
        var passed = new HashSet<int>();
        for (int k = leaves; k + 1 < _ops.Length; k++)
        {
            var block = _flow.BlockOf(k);
            if (k == block.Start && !block.Predecessors.All(p => inBody(p) || passed.Contains(p))) return null;
            passed.Add(block.Id);
            // At the loop's own depth: a break inside a with falls into the with's exit, not the follow.
            if (_ops[k].Name == "NOP" && _ops[k].Line > 0) return _ops[k].Depth == _ops[head].Depth ? k + 1 : null;
            if (_ops[k].Kind is not (OpKind.Plain or OpKind.Skip)) return null;
        }
        return null;
    }

    /// <summary>The line of a NOP that falls into <paramref name="exit"/> (a break statement with its jump removed), or null.</summary>
    private int? LineOfBreakFallingInto(int exit)
    {
        int j = exit - 1;
        while (j >= 0 && _ops[j].Kind == OpKind.Skip && _ops[j].Name != "NOP") j--;
        return j >= 0 && _ops[j].Name == "NOP" && _ops[j].Line > 0 && !_flow.BlockOf(j).Unreachable ? _ops[j].Line : null;
    }

    /// <summary>3.10-3.13: `while c:` compiles to `if c: (body; if c: loop)`; recognise it at the top test.</summary>
    private bool TryWhileWithBottomTest(CondNode node, Region region, List<StmtNode> output, out int after)
    {
        after = -1;
        if (BodyHeadAfterTest(node) is not int bodyHead || BottomTestLatch(node, bodyHead) is null) return false;
        var bodyBlock = _flow.BlockOf(bodyHead);
        int line = _ops[node.FirstOp].Line;
        var loopBlocks = NaturalLoop(bodyBlock.Id);
        after = WhileLoop(node.FirstOp, node, loopBlocks, line, _eval.Stack, region, output, continueAlso: null);
        return true;
    }

    /// <summary>3.10-3.13: the latch of a while loop whose top test is <paramref name="node"/> and whose body starts at
    /// <paramref name="bodyHead"/>: the duplicated test's conditional jump back to the body head, or null.</summary>
    private Op? BottomTestLatch(CondNode node, int bodyHead)
    {
        var bodyBlock = _flow.BlockOf(bodyHead);
        foreach (var p in bodyBlock.Predecessors)
        {
            if (!_flow.Dominates(bodyBlock.Id, p)) continue;
            var term = _flow.Terminator(_flow.Blocks[p]);
            if (term is null || term.Kind != OpKind.CondJump) continue;
            if (Same(term.Target, bodyBlock.Start) || Same(term.Target, node.Fall)) return term;
        }
        return null;
    }

    /// <summary>
    /// 3.10-3.13: where, in a chain of conditions jumping to one place that falls into a while body, the loop's own
    /// test starts (an index into <paramref name="chain"/>), or null when the whole chain is the loop test. The
    /// bottom test repeats the loop test alone: the conditions before the part it repeats are ifs around the loop
    /// (`if a: while b:` jumps out from both tests to the loop's follow, as `while a and b:` would).
    /// </summary>
    private int? WhileTestStartInChain(List<CondNode> chain)
    {
        if (chain.Count < 2 || BodyHeadAfterTest(chain[^1]) is not int bodyHead || BottomTestLatch(chain[^1], bodyHead) is not { } latch) return null;
        int top = chain[^1].LastOp, bottom = latch.Index;
        while (top >= chain[0].FirstOp)
        {
            if (bottom < 0 || bottom == top) return null;
            var (a, b) = (_ops[top], _ops[bottom]);
            bool same = a.Kind == OpKind.CondJump ? b.Kind == OpKind.CondJump
                : a.Kind == b.Kind && SameOpcode(a.Instruction, b.Instruction) && a.Instruction.Arg == b.Instruction.Arg;
            if (!same) break;
            top = PrevReal(top);
            bottom = PrevReal(bottom);
        }
        if (top < chain[0].FirstOp) return null;
        // The conditions wholly repeated at the bottom are the loop's.
        int k = chain.Count;
        while (k > 0 && chain[k - 1].FirstOp > top) k--;
        return k > 0 && k < chain.Count ? k : null;
    }

    /// <summary>
    /// The duplicated test at the bottom of a 3.10-3.13 while body: it ends the body. Its way out may be the
    /// optimizer's copy of a small exit block (the implicit return) rather than the loop exit itself; the copy
    /// is consumed with the test.
    /// </summary>
    private bool IsBottomTest(CondNode node, LoopInfo loop)
    {
        bool backToHead = Same(node.Target, loop.Head) && LeavesTo(node.Fall, loop.Exit);
        bool fallsToHead = Same(node.Fall, loop.Head) && LeavesTo(node.Target, loop.Exit);
        return backToHead || fallsToHead;

        bool LeavesTo(int way, int exit)
        {
            if (Same(way, exit)) return true;
            if (IsLoneJumpTo(way, exit) && !_ctx.Consumed[RealAt(way)])
            {
                // The way out is a jump on to the exit (a then-branch's jump over its else), which the top test's jump
                // out was threaded through.
                Consume(RealAt(way));
                return true;
            }
            if (ExitCopyEnd(way, exit) is not (int copyEnd and >= 0)) return false;
            ConsumeRange(RealAt(way), copyEnd + 1);
            return true;
        }
    }

    /// <summary>An int 1 in co_consts that no op loads (3.14: the dropped test of `while 1:`), or null.</summary>
    private PyObject? UnloadedOne() => _ctx.UnloadedConstant(c => c is PyInt { Value.IsOne: true });

    /// <summary>
    /// `while True` or `while 1`: the same code, but 3.10-3.13 still add the test's constant to co_consts when the
    /// loop is compiled (3.12+ drop it again when nothing loads it), so it sits between the constants of the code
    /// before the loop and those of its body, ahead of any the body adds. 3.14 keeps it only where nothing else
    /// drops it: an int 1 that nothing loads says the source wrote 1.
    /// </summary>
    private PyObject WhileTrueConstant(int head)
    {
        var consts = _ctx.Code.Consts;
        if (_ctx.Version > PythonVersion.V3_13) return UnloadedOne() ?? PyBool.True;
        if (_ctx.Version < PythonVersion.V3_10) return PyBool.True;
        int trueAt = consts.IndexOf(PyBool.True), oneAt = consts.IndexOf(new PyInt(1));
        if (oneAt < 0) return PyBool.True;
        // Constants loaded before the loop (in layout) were added before its test; those first loaded in code the
        // loop head dominates (its body, exits and follow), after. Handlers laid out after the loop count for neither,
        // nor do constants added earlier but first loaded there (co_consts[0], the docstring slot).
        int before = 0, inBody = int.MaxValue, headBlock = _flow.BlockIdOf(head);
        var seen = new HashSet<int>();
        var loadedInLoop = new List<int>();
        for (int i = 0; i < _ops.Length; i++)
        {
            if (_ops[i].Instruction.Argument is not ConstArgument { Index: var c } || !seen.Add(c)) continue;
            if (i < head) before = Math.Max(before, c);
            else if (_flow.Dominates(headBlock, _flow.BlockIdOf(i))) loadedInLoop.Add(c);
        }
        foreach (int c in loadedInLoop)
            if (c > before) inBody = Math.Min(inBody, c);
        bool trueHere = trueAt > before && trueAt <= inBody, oneHere = oneAt > before && oneAt <= inBody;
        if (trueHere || oneHere) return oneHere && (!trueHere || oneAt < trueAt) ? new PyInt(1) : PyBool.True;
        // The constant was there already, or 3.12+ dropped it (either spelling then compiles alike). 3.10-3.11 keep
        // every constant: without a True anywhere, the test was not `True`.
        bool keepsUnusedConstants = _ctx.Version < PythonVersion.V3_12;
        return keepsUnusedConstants && trueAt < 0 ? new PyInt(1) : PyBool.True;
    }

    /// <summary>
    /// `while True:` compiles to no code: its line is the NOP the compiler keeps for it (3.10+: at the loop head
    /// in 3.14, just before it in 3.10-3.13) or, without one, the line above the body's first.
    /// </summary>
    private int WhileTrueLine(int pos)
    {
        int bodyLine = _ops[RealAt(pos)].Line;
        for (int k = pos; k < RealAt(pos); k++)
            if (_ops[k].Line is > 0 and var own && own < bodyLine) return own;
        if (pos > 0 && _ops[pos - 1] is { Kind: OpKind.Skip, Line: > 0 } before && before.Line < bodyLine) return before.Line;
        return bodyLine > 1 ? bodyLine - 1 : bodyLine;
    }

    private int StructureWhileTrue(int pos, HashSet<int> loopBlocks, Region region, List<StmtNode> output)
    {
        int line = WhileTrueLine(pos);
        int breakTarget = FindBreakTarget(pos, loopBlocks, pos, -1, region, whileTrue: true);
        bool breakPastTry = false;
        if (breakTarget < 0) breakTarget = BreakFallingOutOf(loopBlocks, pos, out breakPastTry);
        var loop = new LoopInfo
        {
            Head = pos,
            ContinueTargets = [pos, RealAt(pos)],
            BreakTarget = breakTarget,
            BodyBase = _eval.Stack.Count,
            ClosingJump = ClosingJump(loopBlocks, pos),
            Blocks = loopBlocks,
        };
        var atLoop = _eval.Stack;
        _eval.Stack = atLoop.Clone();
        var body = new List<StmtNode>();
        // Code laid out after the loop that falls into the follow leaves the loop there (a break without its jump).
        bool afterLoop = breakTarget > loopBlocks.Max(b => _flow.Blocks[b].End - 1) || breakPastTry;
        var bodyRegion = afterLoop ? region.Child(stops: [RealAt(breakTarget)], loop: loop) : region.Child(loop: loop);
        // The head block is this loop's own: walking it must not start the loop again.
        int end = WalkSequence(pos, bodyRegion, body);
        if (EndsInBreakFallingOut(end, loop, body)) end = -1;
        if (end >= 0) throw Fail($"while True body stops at op {end}", pos);
        FoldThreadedElses(body, whileTrue: true);
        StripJumpsOverElse(body);
        StripTrailingContinue(body);
        _eval.Stack = atLoop.Clone();
        var stmt = S.While(S.Constant(WhileTrueConstant(pos)), Body(body));
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        _eval.StatementLine = 0;
        return loop.BreakTarget >= 0 ? loop.BreakTarget : -1;
    }
}
