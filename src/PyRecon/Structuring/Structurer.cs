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
/// Turns one code object's flow into statements: a walk over ops that evaluates straight-line code through
/// the <see cref="Evaluator"/> and, at each control-flow op, recognises the construct the compiler made it
/// from (if/elif/else, while/for with else, break/continue, try/except/finally, with, boolean and
/// conditional expressions). Regions carry where a sequence must stop, so each construct's extent comes
/// from the flow (jump targets, handlers, dominators), never from guessing offsets.
/// </summary>
internal sealed partial class Structurer
{
    private readonly CodeContext _ctx;
    private readonly FunctionFlow _flow;
    private readonly Op[] _ops;
    private readonly Evaluator _eval;

    public Structurer(CodeContext ctx)
    {
        _ctx = ctx;
        _flow = ctx.Flow;
        _ops = _flow.Ops;
        _eval = new Evaluator(ctx);
    }

    public Evaluator Evaluator => _eval;

    public List<StmtNode> Run()
    {
        var output = new List<StmtNode>();
        var root = new Region { Base = InitialDepth() };
        for (int k = 0; k < root.Base; k++) _eval.Stack.Push(new OpaqueMarker("generator entry"));
        _root = root;
        int end = _ctx.Scope switch
        {
            ScopeKind.Module or ScopeKind.Class => WalkContained(0, root, output),
            ScopeKind.Annotate => WalkAnnotate(root, output),
            _ => WalkSequence(0, root, output),
        };
        if (end >= 0) throw _ctx.Fail("structure", $"the body ends in the middle of the code (op {end})");
        return output;
    }

    private Region? _root;
    private int _rootStatement = -1;

    /// <summary>
    /// A module or class body keeps every statement that decompiles: when a top-level statement fails, it becomes a
    /// marked `pass` and the walk resumes at the first op after it that all its paths reach (its immediate
    /// post-dominator at statement level); only when there is none does the whole body fail.
    /// </summary>
    private int WalkContained(int pos, Region root, List<StmtNode> output)
    {
        while (true)
        {
            var stack = _eval.Stack.Clone();
            try
            {
                return WalkSequence(pos, root, output);
            }
            catch (DecompileFailure failure)
            {
                int failedAt = _rootStatement;
                int resume = failedAt < 0 ? -1 : ResumeAfter(failedAt, root);
                if (resume < 0) throw;
                SkipFailedRegion(failedAt, resume);
                var marker = S.Pass();
                int firstLine = _ops[RealAt(failedAt)].Line;
                _ctx.Comments[marker] = [$"PYRECON: the statement at line {firstLine} could not be decompiled ({failure.Stage}: {failure.Message})"];
                _ctx.SetLine(marker, firstLine);
                output.Add(marker);
                _ctx.PartialFailures.Add(failure);
                stack.Truncate(root.Base);
                _eval.Stack = stack;
                _eval.StatementLine = 0;
                pos = resume;
            }
        }
    }

    private int ResumeAfter(int failedAt, Region root)
    {
        int block = _flow.BlockIdOf(failedAt);
        for (int b = _flow.ImmediatePostDominator(block), guard = 0; b >= 0 && b != _flow.VirtualNode && guard < _flow.Blocks.Length; b = _flow.ImmediatePostDominator(b), guard++)
        {
            int start = _flow.Blocks[b].Start;
            int real = RealAt(start);
            if (start <= failedAt || real >= _ops.Length) continue;
            if (_ops[real].Depth == root.Base && _flow.HandlerOf(real) is null) return start;
        }
        return -1;
    }

    /// <summary>Marks the ops of a failed statement (all code it reaches before the resume point) as accounted for.</summary>
    private void SkipFailedRegion(int failedAt, int resume)
    {
        int stop = _flow.BlockIdOf(resume);
        var seen = new HashSet<int>();
        var work = new Stack<int>();
        work.Push(_flow.BlockIdOf(failedAt));
        while (work.Count > 0)
        {
            int b = work.Pop();
            if (b == stop || !seen.Add(b)) continue;
            var block = _flow.Blocks[b];
            for (int i = Math.Max(block.Start, b == _flow.BlockIdOf(failedAt) ? failedAt : block.Start); i < block.End; i++) Consume(i);
            foreach (var s in block.Successors) work.Push(s);
            for (int i = block.Start; i < block.End; i++)
                if (_flow.HandlerOf(i) is { } h) work.Push(_flow.BlockIdOf(h.Target));
        }
    }

    /// <summary>
    /// A 3.14 class or module `__annotate__` builds its dict with `BUILD_MAP 0` and fills it by statements
    /// (`{}['x'] = T`) with the dict kept on the stack: after the format guard, the rest is walked with it in the base.
    /// </summary>
    private int WalkAnnotate(Region root, List<StmtNode> output)
    {
        int build = Array.FindIndex(_ops, o => o.Name == "BUILD_MAP" && o.Instruction.Arg == 0 && o.Depth == root.Base);
        if (build < 0) return WalkSequence(0, root, output);
        var guard = new Region { Parent = root, Base = root.Base };
        guard.Stops.Add(build);
        int stopped = WalkSequence(0, guard, output);
        if (stopped != build) throw Fail("an __annotate__ function without its dict", build);
        Consume(build);
        _eval.Stack.Push(S.Dict());
        return WalkSequence(NextReal(build), root.Child(baseDepth: root.Base + 1), output);
    }

    private int InitialDepth()
    {
        // The first op that is not plumbing (3.11+ generators start with RETURN_GENERATOR; POP_TOP, absorbed).
        for (int i = 0; i < _ops.Length; i++)
            if (_ops[i].Depth >= 0 && _ops[i].Kind != OpKind.Skip) return _ops[i].Depth;
        return 0;
    }

    private DecompileFailure Fail(string reason, int op = -1) =>
        _ctx.Fail("structure", reason, op >= 0 && op < _ops.Length ? _ops[op] : null);

    // ---------------------------------------------------------------- op navigation

    internal int NextReal(int i) => _flow.NextReal(i);

    /// <summary>The op itself when it is not a Skip, else the next real op.</summary>
    internal int PrevReal(int i)
    {
        for (i--; i >= 0 && _ops[i].Kind == OpKind.Skip; i--) { }
        return i;
    }

    /// <summary>The latest source line of the ops in [<paramref name="from"/>, <paramref name="to"/>), 0 when none has one.</summary>
    private int LastLineIn(int from, int to)
    {
        int line = 0;
        for (int i = Math.Max(from, 0); i < to && i < _ops.Length; i++) line = Math.Max(line, _ops[i].Line);
        return line;
    }

    internal int RealAt(int i) => i >= 0 && i < _ops.Length && _ops[i].Kind == OpKind.Skip ? NextReal(i) : i;

    private void ConsumeSkipsFrom(int from, int to)
    {
        for (int k = from; k < to && k < _ops.Length; k++)
            if (_ops[k].Kind == OpKind.Skip) _ctx.Consume(k);
    }

    /// <summary>3.10 and 3.12+ replace jumps to small blocks that leave the scope by copies of them; 3.11 does not.</summary>
    private bool InlinesSmallExitBlocks => _ctx.Version >= PythonVersion.V3_10 && _ctx.Version != PythonVersion.V3_11;

    /// <summary>
    /// 3.8-3.9's peephole pass retargets any jump to an unconditional jump, even where that jump is a branch's whole
    /// body (`if a or b: break`); 3.10+ keep a body's line-carrying NOP in the way (`if a or b: pass`).
    /// </summary>
    private bool PeepholeThreadsThroughBodies => _ctx.Version < PythonVersion.V3_10;

    /// <summary>3.13+ also copy a small block that has no line number of its own (compiler plumbing such as a
    /// clause's `POP_EXCEPT; JUMP`) into each jump to it, whatever it ends in.</summary>
    private bool InlinesSmallLinelessBlocks => _ctx.Version >= PythonVersion.V3_13;

    /// <summary>The most instructions the optimizer copies into a jump site (flowgraph.c's MAX_COPY_SIZE).</summary>
    private const int MaxCopySize = 4;

    private ExceptionHandler? HandlerAt(int pos)
    {
        int real = RealAt(pos);
        if (real < _ops.Length) return _flow.HandlerOf(real);
        return null;
    }

    /// <summary>Index of the terminator of the block holding <paramref name="pos"/>, or the block end when it falls through.</summary>
    private int TerminatorIndex(int pos)
    {
        var block = _flow.BlockOf(pos);
        var term = _flow.Terminator(block);
        return term?.Index ?? block.End;
    }

    private void Consume(int op)
    {
        _ctx.Consume(op);
    }

    // ---------------------------------------------------------------- the walk

    /// <summary>
    /// Walks statements from <paramref name="pos"/> until the region stops: returns the op where it stopped
    /// (a stop of the region or a parent, or a position outside the region's handler), or -1 when the
    /// sequence ended in return, raise, break or continue.
    /// </summary>
    private int _depth;
    private readonly HashSet<int> _walking = [];
    /// <summary>Continues the bytecode shows were written (see <see cref="LoopInfo.ExplicitContinueTargets"/>).</summary>
    private readonly HashSet<StmtNode> _explicitContinues = new(SyntaxNodeIdentity.Instance);

    /// <summary>
    /// Walks a sequence whose reading is a guess: when it fails or <paramref name="accept"/> rejects where it ended,
    /// the ops it consumed and the stack are put back and the result is null.
    /// </summary>
    private int? TrialWalk(int pos, Region region, List<StmtNode> output, Func<int, bool> accept)
    {
        var consumed = (bool[])_ctx.Consumed.Clone();
        var stack = _eval.Stack.Clone();
        int outCount = output.Count;
        try
        {
            int end = WalkSequence(pos, region, output);
            if (accept(end)) return end;
        }
        catch (DecompileFailure) { }
        Array.Copy(consumed, _ctx.Consumed, consumed.Length);
        _eval.Stack = stack;
        output.RemoveRange(outCount, output.Count - outCount);
        return null;
    }

    internal int WalkSequence(int pos, Region region, List<StmtNode> output)
    {
        if (++_depth > 600) throw Fail("constructs nested too deeply", pos);
        _eval.StatementLine = 0; // a new sequence (a construct's body) starts a new statement
        try
        {
            return Walk(pos, region, output);
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>Whether every op the walk started at is the loop head, passed only on its way to <paramref name="pos"/>.
    /// (A loop, not a lambda: a lambda would move <c>pos</c> into a closure for the whole of Walk.)</summary>
    private bool OnlyPassedSkippedOps(HashSet<int> started, int head, int pos)
    {
        foreach (int s in started)
            if (!(s == head && s < pos && RealAt(s) == RealAt(pos))) return false;
        return true;
    }

    // The ops each walk started at, one set per walk in progress (walks nest): reused, not made per construct.
    private readonly Stack<HashSet<int>> _startedSets = new();

    private int Walk(int pos, Region region, List<StmtNode> output)
    {
        var started = _startedSets.Count > 0 ? _startedSets.Pop() : [];
        try
        {
            return Walk(pos, region, output, started);
        }
        finally
        {
            started.Clear();
            _startedSets.Push(started);
        }
    }

    private int Walk(int pos, Region region, List<StmtNode> output, HashSet<int> started)
    {
        while (true)
        {
            if (pos < 0) return -1;
            if (pos >= _ops.Length) throw Fail("the walk ran past the last instruction");
            if (region.IsStop(pos) || pos >= region.Limit) return pos;
            // (Not when the walk started at the loop head and only passed its skipped ops to get here.)
            if (started.Count > 0 && region.InnermostLoop is { } current
                && !OnlyPassedSkippedOps(started, current.Head, pos)
                && (current.ContinueTargets.Contains(pos) || current.ContinueTargets.Contains(RealAt(pos))))
            {
                // A construct whose follow is the loop head (a threaded break of an inner loop): the body ends here.
                EmitAt(S.Continue(), _ops[RealAt(pos)], output);
                return -1;
            }
            if (!started.Add(pos)) throw Fail($"control flow returns to op {pos} outside any loop", pos);
            if (ReferenceEquals(region, _root)) _rootStatement = pos;
            _eval.Out = output;
            _eval.Unwound.Clear();
            _eval.StatementBase = region.Base;

            var handler = HandlerAt(pos);
            if (!ReferenceEquals(handler, region.Handler) && LoopHeadBefore(pos, RealAt(pos), region) is int head)
            {
                // A loop whose body starts with a try: its head (the try's NOP) is still outside the handler.
                ConsumeRange(pos, head);
                if (head != pos) { pos = head; continue; }
                handler = region.Handler;
            }
            if (!ReferenceEquals(handler, region.Handler))
            {
                if (handler is not null && handler.IsWithin(region.Handler))
                {
                    pos = StructureProtected(pos, OutermostNew(handler, region.Handler), region, output);
                    continue;
                }
                return LeaveRegion(pos, region, output);
            }

            var block = _flow.BlockOf(pos);
            if (pos != block.Start && IsUnhandledLoopHead(block.Start, region) && OnlySkipsBetween(block.Start, pos))
            {
                // A condition falls to its next real op; when the skipped ops before it start a loop (3.14 `if c:`
                // whose body starts with `while True:`, the loop's NOP being its head), the loop starts there.
                pos = block.Start;
            }
            if (IsUnhandledLoopHead(pos, region))
            {
                int after = StructureLoop(pos, region, output);
                if (after == LoopNotHandled) { }
                // A loop whose break goes past the else of the if it is in (the break's jump threaded to the join)
                // ends that then-branch.
                else if (after >= 0 && !region.IsStop(after) && EndThenBranchesAt(after, region, pos, innermostAlways: false)) return after;
                else { pos = after; continue; }
            }

            CheckDepth(pos, region);
            int term = TerminatorIndex(pos);
            if (term < _ops.Length && _ops[term].Kind == OpKind.Return && CopyOfBreakTargetEnd(pos, region) is int copyEnd)
            {
                // A break whose jump the optimizer replaced with a copy of the while loop's follow, lines and all
                // (a return written here would have a line of its own): the break's own line is gone.
                ConsumeRange(RealAt(pos), copyEnd + 1);
                output.Add(S.Break());
                return -1;
            }
            if (term < _ops.Length && _ops[term].Kind == OpKind.Return && IsFollowCopiedIntoWhileTrue(pos, term, region))
            {
                // A break whose jump the optimizer replaced with a copy of the follow of a `while True` loop nothing else
                // leaves; the original, unreachable, is gone. The follow is walked after the loop (the break's own line
                // is gone).
                var loop = region.InnermostLoop!;
                loop.BreakTarget = RealAt(pos);
                loop.InlinedBreak = true;
                output.Add(S.Break());
                return -1;
            }
            int stopped = EvaluateStraight(pos, term, region, output);
            if (stopped == InlinedBreakSentinel) return -1;
            if (stopped != term)
            {
                pos = stopped;
                continue;
            }
            if (term >= block.End)
            {
                pos = block.End;
                continue;
            }
            pos = Terminate(_ops[term], region, output);
        }
    }

    /// <summary>
    /// 3.12+: whether the small return block at <paramref name="pos"/> ending at <paramref name="ret"/>, inside a
    /// `while True` loop with no other way out, is the copy of the loop's follow: its line is past every line of the
    /// code that goes round the loop again, some of which the body runs after it, so no return written there could
    /// have it.
    /// </summary>
    private bool IsFollowCopiedIntoWhileTrue(int pos, int ret, Region region)
    {
        if (_ctx.Version < PythonVersion.V3_12 || region.InnermostLoop is not { Iterator: null, Exit: < 0, Blocks: { } loopBlocks } loop) return false;
        int start = RealAt(pos), line = _ops[ret].Line, count = 0;
        // The copy is the only way out, so the loop may have taken it for its follow already.
        if (loop.BreakTarget >= 0 && RealAt(loop.BreakTarget) != start) return false;
        if (line <= 0 || _flow.BlockOf(start).Start != start && _flow.FirstRealOp(_flow.BlockOf(start)) != start) return false;
        for (int k = start; k < ret; k = NextReal(k))
            if (_ops[k].Kind != OpKind.Plain || ++count > 3) return false;
        // The body ends before the follow starts: everything that goes round again stands on an earlier line, and some
        // of its statements are laid out after the copy (a return ending the body text comes after all but the jump back).
        bool goesOnAfter = false;
        foreach (int b in loopBlocks)
            for (int k = _flow.Blocks[b].Start; k < _flow.Blocks[b].End; k++)
            {
                if (_ops[k].Line >= line) return false;
                if (k > ret && _ops[k].Kind == OpKind.Plain) goesOnAfter = true;
            }
        if (!goesOnAfter) return false;
        int head = _flow.BlockIdOf(loop.Head);
        // The follow's original still stands outside the loop when something else reaches it (the walk meets it there).
        for (int q = 0; q < _ops.Length; q = NextReal(q))
            if ((q < start || q > ret) && !_flow.BlockOf(q).Unreachable && !_flow.Dominates(head, _flow.BlockIdOf(q)) && SameCodeAndLines(start, ret, q))
                return false;
        return true;
    }

    /// <summary>The handler right inside <paramref name="current"/> on <paramref name="handler"/>'s chain.</summary>
    private static ExceptionHandler OutermostNew(ExceptionHandler handler, ExceptionHandler? current)
    {
        var h = handler;
        while (h.Parent is not null && !ReferenceEquals(h.Parent, current)) h = h.Parent;
        return h;
    }

    /// <summary>
    /// The start of an unstructured loop's head block in [from, to) whose first op is outside the handler of
    /// <paramref name="to"/>: under the region's handler, or a skipped NOP the exception table leaves out (3.12+)
    /// before a handler nested in the region's.
    /// </summary>
    private int? LoopHeadBefore(int from, int to, Region region)
    {
        bool nested = to < _ops.Length && _flow.HandlerOf(to) is { } inner && inner.IsWithin(region.Handler);
        for (int k = from; k < to && k < _ops.Length; k++)
            if (IsUnhandledLoopHead(k, region)
                && (ReferenceEquals(_flow.HandlerOf(k), region.Handler) || nested && _ops[k].Kind == OpKind.Skip && _flow.HandlerOf(k) is null))
                return k;
        return null;
    }

    private bool OnlySkipsBetween(int from, int to)
    {
        for (int k = from; k < to; k++)
            if (_ops[k].Kind != OpKind.Skip) return false;
        return true;
    }

    private bool IsUnhandledLoopHead(int pos, Region region)
    {
        var block = _flow.BlockOf(pos);
        return pos == block.Start && _flow.IsLoopHead(block.Id) && !IsHandledHead(region, pos);
    }

    private static bool IsHandledHead(Region region, int pos)
    {
        for (var r = region; r is not null; r = r.Parent)
            if (r.Loop is not null && (r.Loop.Head == pos || r.Loop.ContinueTargets.Contains(pos))) return true;
        return false;
    }

    [System.Diagnostics.Conditional("DEBUG")]
    private void CheckDepthDebug(int pos) { }

    private void CheckDepth(int pos, Region region)
    {
        int real = RealAt(pos);
        if (real >= _ops.Length) return;
        int expected = _ops[real].Depth;
        // 3.11's PRECALL counts its arguments off before CALL does; the model keeps them for the CALL.
        for (int k = pos; k < real; k++)
            if (_ops[k].Name == "PRECALL") { expected = _ops[pos].Depth; break; }
        if (expected >= 0 && expected != _eval.Stack.Count)
            throw Fail($"stack model out of step at op {real}: {_eval.Stack.Count} items, the compiler counts {expected} ({_eval.Stack})", real);
    }

    /// <summary>
    /// Evaluates ops [pos, term) — plain ops through the evaluator, 3.8-3.10 SETUP_*/POP_BLOCK as the
    /// structure markers they are. Returns <paramref name="term"/>, or an earlier op where the region changes.
    /// </summary>
    private int EvaluateStraight(int pos, int term, Region region, List<StmtNode> output)
    {
        for (int i = pos; i < term; i++)
        {
            var op = _ops[i];
            switch (op.Kind)
            {
                case OpKind.Skip:
                    Consume(i);
                    break;
                case OpKind.Plain:
                    if (i != pos && !ReferenceEquals(_flow.HandlerOf(i), region.Handler)) return i;
                    // A stop inside a block: a loop's follow that a break without its jump falls into.
                    if (i != pos && region.IsStop(i)) return i;
                    if (region.ActiveExceptName is string excName && op.Name == "LOAD_CONST")
                    {
                        // `except E as name:` ends by clearing the name (None; store; delete): not statements.
                        int skip = SkipNameCleanup(i, excName);
                        if (skip != i && skip <= term) { ConsumeRange(i, skip); i = skip - 1; continue; }
                    }
                    if (op.Name == "POP_EXCEPT" && _eval.PendingCount == 0 && ExitRegion(region) is { Exit: ExceptBodyExit } clause)
                    {
                        // An except clause ends at the POP_EXCEPT that drops its exception (nothing left pending).
                        clause.Stops.Add(i);
                        return i;
                    }
                    if (TryInlineComprehension(i, region, output, out int resume))
                    {
                        if (resume != i) return resume;
                    }
                    if (IsMatchStart(i, region))
                    {
                        int afterMatch = StructureMatch(i, region, output);
                        return afterMatch < 0 ? InlinedBreakSentinel : afterMatch; // the sentinel ends the sequence
                    }
                    _eval.Eval(op);
                    if (op.Name is "POP_TOP" or "POP_ITER" && IsInlinedBreak(i, region))
                    {
                        // `break` whose follow (a small return) the compiler copied in place of the jump.
                        EmitAt(S.Break(), op, output);
                        return InlinedBreakSentinel;
                    }
                    break;
                case OpKind.Setup:
                    Consume(i);
                    SetupOp(op);
                    break;
                case OpKind.PopBlock:
                    Consume(i);
                    break;
                default:
                    throw Fail($"{op.Name} in the middle of a block", i);
            }
        }
        return term;
    }

    private const int InlinedBreakSentinel = int.MinValue + 1;

    /// <summary>
    /// True when the op just evaluated popped the for loop's iterator and what follows is a small return of a
    /// value computed after the pop: a `return x` inside the loop would compute x first, so this is a break whose
    /// follow was inlined (3.10+). Constant returns read the same both ways and stay returns. So is a pop followed by
    /// the copied end of the except clause the loop is in (3.13+, see <see cref="EndsClauseAfterBreak"/>). Records the
    /// follow as the loop's break target.
    /// </summary>
    private bool IsInlinedBreak(int popAt, Region region)
    {
        var loop = region.InnermostLoop;
        if (loop?.Iterator is null || !_eval.Unwound.Contains(loop.Iterator) || _eval.Stack.Count != loop.BodyBase - 1) return false;
        if (_ctx.Version < PythonVersion.V3_10) return false;
        if (EndsClauseAfterBreak(popAt, region) is int clauseExit)
        {
            loop.BreakTarget = clauseExit;
            loop.InlinedBreak = true;
            return true;
        }
        int p = NextReal(popAt), count = 0, first = p, firstValue = -1;
        while (p < _ops.Length && _ops[p].Kind == OpKind.Plain && count < 4)
        {
            // Leaving an except clause (POP_EXCEPT) or popping an enclosing loop's iterator before any value computes
            // nothing: a `return` in the loop does it too.
            bool unwinding = _ops[p].Name == "POP_EXCEPT" || firstValue < 0 && _ops[p].Name is "POP_TOP" or "POP_ITER";
            if (!unwinding) { count++; if (firstValue < 0) firstValue = p; }
            p = NextReal(p);
        }
        if (p >= _ops.Length || _ops[p].Kind != OpKind.Return) return false;
        bool constantReturn = count == 0 && _ops[p].Instruction.Argument is ConstArgument
            || count == 1 && _ops[firstValue].Name is "LOAD_CONST" or "LOAD_SMALL_INT";
        if (count == 0 && !constantReturn) return false;
        // `return` (None) stays a return: the implicit return at the end looks the same.
        if (constantReturn && !ReturnsNone(count == 0 ? p : firstValue))
        {
            // `return <constant>` reads the same as a break whose follow returns it. It is the break when the
            // original of the block stands after the loop (a copy keeps its line), or when its constant was
            // numbered after code laid out later (it was compiled after that code, as the loop's follow).
            if (loop.Exit >= 0 && OriginalAfter(first, p, loop.Exit) is int original)
            {
                ConsumeRange(first, p + 1);
                loop.BreakTarget = original;
                return true;
            }
            if (!BelowLoopElse(p, loop) && !NumberedAfterLaterCode(count == 0 ? p : firstValue) && !CopiedElsewhere(first, p)) return false;
        }
        else if (constantReturn) return false;
        if (loop.BreakTarget >= 0 && loop.BreakTarget != loop.Exit && loop.BreakTarget != loop.AfterExit && RealAt(loop.BreakTarget) != first) return false;
        // When the loop's own exit runs the same code, the break goes there and the loop has no else.
        if (loop.AfterExit >= 0 && SameCode(first, p, RealAt(loop.AfterExit)))
        {
            ConsumeRange(first, p + 1);
            loop.BreakTarget = loop.AfterExit;
            return true;
        }
        loop.BreakTarget = first;
        loop.InlinedBreak = true;
        return true;
    }

    /// <summary>
    /// 3.13+: the POP_EXCEPT after a break's pop of the iterator, when it starts the copy of the end of the except clause
    /// the loop is in (POP_EXCEPT, then the jump on to the try statement's follow), which the optimizer put in place of
    /// the break's jump: the loop's follow. Null otherwise, and for a jump to an enclosing loop's head or way out (a
    /// continue or break of that loop leaves the clause the same way).
    /// </summary>
    private int? EndsClauseAfterBreak(int popAt, Region region)
    {
        if (!InlinesSmallLinelessBlocks || ExitRegion(region) is not { Exit: ExceptBodyExit }) return null;
        int clauseExit = NextReal(popAt);
        if (clauseExit >= _ops.Length || _ops[clauseExit].Name != "POP_EXCEPT") return null;
        int jump = NextReal(clauseExit);
        if (jump >= _ops.Length || _ops[jump].Kind != OpKind.Jump) return null;
        int target = _ops[jump].Target;
        for (var r = region; r is not null; r = r.Parent)
            if (r.Loop is { } outer && (outer.ContinueTargets.Contains(target) || outer.ContinueTargets.Contains(RealAt(target))
                || Same(target, outer.BreakTarget) || Same(target, outer.Exit)))
                return null;
        return clauseExit;
    }

    /// <summary>A copy keeps its original's line: a return below where the loop's else starts is not in the body
    /// (the else's first op must be a statement of its own, not the implicit return on the loop's line).</summary>
    private bool BelowLoopElse(int returnAt, LoopInfo loop)
    {
        if (loop.AfterExit < 0 || RealAt(loop.AfterExit) >= _ops.Length) return false;
        return _ops[RealAt(loop.AfterExit)] is { Kind: OpKind.Plain, Line: > 0 } elseStart && elseStart.Name != "POP_EXCEPT"
            && _ops[returnAt].Line > elseStart.Line && elseStart.Line > _ops[RealAt(loop.Head)].Line;
    }

    /// <summary>True when another block has the same ops on the same lines as [<paramref name="from"/>,
    /// <paramref name="to"/>]: one source statement compiled twice, so both are copies of one follow.</summary>
    private bool CopiedElsewhere(int from, int to)
    {
        for (int q = 0; q < _ops.Length; q = NextReal(q))
        {
            if ((q < from || q > to) && SameCodeAndLines(from, to, q)) return true;
        }
        return false;
    }

    /// <summary>A copy the optimizer made keeps its original's lines: same ops, same lines.</summary>
    private bool SameCodeAndLines(int from, int to, int other)
    {
        if (!SameCode(from, to, other)) return false;
        for (int a = RealAt(from), b = RealAt(other); a <= to; a = NextReal(a), b = NextReal(b))
            if (_ops[a].Line != _ops[b].Line) return false;
        return true;
    }

    private bool ReturnsNone(int at) => _ops[at].Instruction.Argument is ConstArgument { Value: PyNone };

    /// <summary>The start of a block after <paramref name="after"/> with the same ops on the same lines as
    /// [<paramref name="from"/>, <paramref name="to"/>]: the original the optimizer copied.</summary>
    private int? OriginalAfter(int from, int to, int after)
    {
        for (int q = RealAt(after); q < _ops.Length; q = NextReal(q))
        {
            if (q >= from && q <= to || _ctx.Consumed[q]) continue;
            // An exception handler's copy (a break leaving an except clause) is not the original.
            if (!ReferenceEquals(_flow.HandlerOf(q), _flow.HandlerOf(from))) continue;
            if (SameCodeAndLines(from, to, q)) return q;
        }
        return null;
    }

    /// <summary>
    /// True when the constant <paramref name="at"/> loads is numbered after a constant that only code laid out after
    /// it loads: constants are numbered in compile order, so the code at <paramref name="at"/> is a copy of code
    /// compiled later (3.8-3.13; 3.14's small ints are not constants).
    /// </summary>
    private bool NumberedAfterLaterCode(int at)
    {
        if (_ops[at].Instruction.Argument is not ConstArgument { Index: var k }) return false;
        // Slot 0 is numbered first whatever loads it (a function's docstring or None, a class's name).
        var before = new HashSet<int> { 0 };
        for (int i = 0; i < at; i++)
            if (_ops[i].Instruction.Argument is ConstArgument { Index: var c }) before.Add(c);
        if (before.Contains(k)) return false;
        for (int i = at + 1; i < _ops.Length; i++)
            if (_ops[i].Instruction.Argument is ConstArgument { Index: var c } && c < k && !before.Contains(c)) return true;
        return false;
    }

    /// <summary>True when the real ops of [from, to] repeat, op for op, the ops starting at <paramref name="other"/>.</summary>
    private bool SameCode(int from, int to, int other)
    {
        for (int a = RealAt(from), b = RealAt(other); a <= to; a = NextReal(a), b = NextReal(b))
        {
            if (b >= _ops.Length) return false;
            var x = _ops[a].Instruction;
            var y = _ops[b].Instruction;
            if (!SameOpcode(x, y) || x.Arg != y.Arg) return false;
        }
        return true;
    }

    /// <summary>3.8-3.10 SETUP_WITH / SETUP_ASYNC_WITH: what BEFORE_WITH does in later versions.</summary>
    private void SetupOp(Op op)
    {
        if (op.Name == "SETUP_WITH")
        {
            var context = _eval.PopExpr();
            _eval.Push(new WithExitMarker(context, false));
            _eval.Push(new TargetSlot(new TargetGroup(TargetGroupKind.WithEnter, 1) { Context = context, Line = op.Line }, 0));
        }
    }

    /// <summary>Handles a block's terminator; returns where the walk goes on (-1 when the sequence ended).</summary>
    private int Terminate(Op op, Region region, List<StmtNode> output)
    {
        switch (op.Kind)
        {
            case OpKind.Jump:
                return HandleJump(op, region, output);
            case OpKind.Return:
            case OpKind.Raise:
                _eval.Eval(op);
                ClassifyReturn(op, output);
                if (KeepsDeadExitAfterJump && output.Count > 0 && IsBeforeDeadJumpBack(op.Index)) _beforeDeadJumpBack.Add(output[^1]);
                return -1;
            case OpKind.CondJump:
            case OpKind.KeepJump:
                return StructureCondition(op, region, output);
            case OpKind.ForIter:
            case OpKind.AsyncForIter:
                // A for loop whose body always leaves (`for x in xs: return x`) has no jump back: no loop head.
                if (_eval.Stack.Count > 0 && _eval.Stack.Peek() is IteratorMarker) return StructureFor(op.Index, op.Index, region, output);
                throw Fail($"{op.Name} outside a loop head", op.Index);
            default:
                return TerminateSpecial(op, region, output);
        }
    }

    /// <summary>
    /// 3.10+: a bare return is either one the source wrote or a copy of the implicit `return None` the optimizer
    /// put where a branch jumped to it. The copy has no line of its own (it gets its predecessor's); a written
    /// return shared by several paths stays one block (an implicit one would have been copied to each).
    /// </summary>
    private void ClassifyReturn(Op op, List<StmtNode> output)
    {
        if (_ctx.Version < PythonVersion.V3_10) return;
        if (op.Kind != OpKind.Return || output.Count == 0 || output[^1] is not Return { Value: null } ret) return;
        if (_implicitReturnOps.Contains(op.Index)) { _ctx.ImplicitReturns.Add(ret); return; }
        int first = op.Name == "RETURN_CONST" ? op.Index : PrevReal(op.Index);
        if (first < 0) return;
        var block = _flow.BlockOf(first);
        if (block.Start == first || _flow.FirstRealOp(block) == first)
        {
            if (block.Predecessors.Count == 1 && LastRealOp(_flow.Blocks[block.Predecessors[0]]) is int pred && _ops[pred].Line == _ops[first].Line)
                _ctx.ImplicitReturns.Add(ret);
            else if (block.Predecessors.Count > 1 || block.Predecessors.Count == 1 && _flow.Blocks[block.Predecessors[0]].Next != block.Id)
                _ctx.SharedReturns.Add(ret);
        }
        else if (_ops[PrevReal(first)].Line == _ops[first].Line)
            _ctx.ImplicitReturns.Add(ret);
    }

    private int? LastRealOp(BasicBlock block)
    {
        for (int i = block.End - 1; i >= block.Start; i--)
            if (_ops[i].Kind != OpKind.Skip) return i;
        return null;
    }

    private int HandleJump(Op op, Region region, List<StmtNode> output)
    {
        Consume(op.Index);
        int t = op.Target;
        // A jump to where this very region ends (a for-else clause reaching its loop's follow, which a threaded
        // break made the enclosing loop's head) ends the branch rather than continuing that loop.
        // (Not a loop body's own stop at its follow where a jump there from the body is a break: a `while True`
        // body's, and in 3.8-3.9 any loop's, whose dead jump back after a break ending the body keeps it from falling out.)
        bool ownFollow = region.Loop is { } own && own.BreakTarget >= 0 && Same(t, own.BreakTarget)
            && (own is { Exit: < 0, Iterator: null } || _ctx.Version <= PythonVersion.V3_9);
        if (!ownFollow && (region.HasOwnStop(t) || region.HasOwnStop(RealAt(t)))) return t;
        var loop = region.InnermostLoop;
        if (loop is not null)
        {
            if (loop.ContinueTargets.Contains(t) && EndThenBranchesAtLoopEnd(op.Index, t, region)) return t;
            if (loop.ContinueTargets.Contains(t) || (loop.BottomTest >= 0 && RealAt(t) == loop.BottomTest))
            {
                var written = S.Continue();
                if (loop.ExplicitContinueTargets.Contains(t)) _explicitContinues.Add(written);
                else if (IsThreadedLoopEnd(op)) _threadedLoopEnds.Add(written);
                else if (KeepsDeadExitAfterJump && !op.Instruction.IsLineStart) _linelessContinues.Add(written);
                EmitAt(written, op, output);
                return -1;
            }
            if (t == loop.BreakTarget || (loop.Iterator is not null && _eval.Unwound.Contains(loop.Iterator) && t != loop.Exit))
            {
                if (loop.BreakTarget < 0) loop.BreakTarget = t;
                EmitAt(S.Break(), op, output);
                return -1;
            }
        }
        if (region.IsStop(t)) return t;
        if (EndThenBranchesAt(t, region, op.Index)) return t;
        if (t <= op.Index) throw Fail($"backward jump to op {t} outside a loop", op.Index);
        return t;
    }

    /// <summary>Continues that stand for the end of the loop body reached by falling off an if (see <see cref="IsThreadedLoopEnd"/>).</summary>
    private readonly HashSet<StmtNode> _threadedLoopEnds = new(SyntaxNodeIdentity.Instance);

    /// <summary>Of those, the ones standing for an if/else that falls off the loop body (no jump of their own).</summary>
    private readonly HashSet<StmtNode> _fallOffLoopEnds = new(SyntaxNodeIdentity.Instance);

    /// <summary>
    /// Marks where a construct runs off the end of the loop body (a `continue` the enclosing if reads as the end of
    /// its then-branch, making the rest of the body its else; see IsThreadedLoopEnd). <paramref name="ownJump"/>:
    /// the construct reaches the loop head by a jump of its own (a with's suppress path) rather than by falling off.
    /// </summary>
    private void EmitLoopBodyEnd(List<StmtNode> output, int line, bool ownJump)
    {
        var end = S.Continue();
        _threadedLoopEnds.Add(end);
        if (!ownJump) _fallOffLoopEnds.Add(end);
        output.Add(end);
        if (line > 0) _ctx.SetLine(end, line);
    }

    /// <summary>
    /// 3.12+: a conditional jump to the end of a loop body (`while a and b:` as the last statement of an if's
    /// then-branch, its exit falling to the if's end and on to the loop's jump back) is threaded to the loop head,
    /// and the backward conditional jump becomes a forward one to a jump back of its own, on its line. Such a lone
    /// jump, entered only by conditional jumps on its line, is the body's end, not a `continue`: a written one has
    /// a line of its own and is one block all the jumps share.
    /// </summary>
    private bool IsThreadedLoopEnd(Op jump)
    {
        if (_ctx.Version < PythonVersion.V3_12 || jump.Target > jump.Index) return false;
        if (_threadedExitJumps.Contains(jump.Index)) return true;
        var block = _flow.BlockOf(jump.Index);
        if (_flow.FirstRealOp(block) != jump.Index || block.Predecessors.Count == 0) return false;
        foreach (int p in block.Predecessors)
        {
            var term = _flow.Terminator(_flow.Blocks[p]);
            if (term is null || term.Kind != OpKind.CondJump || RealAt(term.Target) != jump.Index || term.Line != jump.Line) return false;
        }
        return true;
    }

    /// <summary>
    /// A jump forward past the else of enclosing ifs ends their then-branches there: t is their join (jump
    /// threading carries an inner if's jump over its else on to the join of the ifs whose branches end with it).
    /// Beyond the innermost, only then-branches the jump at <paramref name="from"/> sits in: 3.11+ lay handlers
    /// out after everything, so a jump there says nothing about the ifs around its try.
    /// </summary>
    /// <param name="innermostAlways">Whether the innermost then-branch ends there wherever <paramref name="from"/> sits
    /// (a jump does; an if's end in 3.11+, where it may sit in a handler laid out apart, only when inside it).</param>
    private static bool EndThenBranchesAt(int t, Region region, int from, bool innermostAlways = true)
    {
        bool any = false;
        for (var r = region; r is not null; r = r.Parent)
        {
            if (r.ElseStart < 0 || t <= r.ElseStart || (any || !innermostAlways) && from >= r.ElseStart) continue;
            r.JumpedPast = t;
            r.Stops.Add(t);
            any = true;
        }
        return any;
    }

    /// <summary>
    /// 3.8-3.9: a jump to the loop head inside a construct nested in an if's then-branch, right before that if's else,
    /// is the then-branch's jump over the else, threaded on to the head because the if/else ends the loop body: a
    /// written `continue` ending the nested construct would be followed by that jump, kept dead. The then-branches
    /// from here out to that if end at the head, their join. (Right before the innermost if's own else, `continue`
    /// and the threaded jump compile alike, unless the jump ends an else nested there.)
    /// </summary>
    private bool EndThenBranchesAtLoopEnd(int jump, int head, Region region)
    {
        if (!KeepsDeadExitAfterJump) return false;
        int next = NextReal(jump);
        Region? ending = null;
        for (var r = region; r is not null && r.Loop is null; r = r.Parent)
            if (r.ElseStart >= 0 && Same(r.ElseStart, next)) { ending = r; break; }
        // Inside a construct that is not itself a then-branch (an inner if's else), the jump is the threaded one when it
        // has no line of its own: a written `continue` would.
        if (ending is null || ReferenceEquals(ending, region)
            || ReferenceEquals(ending, InnermostThenRegion(region)) && _ops[jump].Instruction.IsLineStart) return false;
        for (var r = region; ; r = r.Parent!)
        {
            r.Stops.Add(head);
            r.Stops.Add(RealAt(head));
            if (ReferenceEquals(r, ending)) return true;
        }
    }

    private static Region? InnermostThenRegion(Region region)
    {
        for (var r = region; r is not null && r.Loop is null; r = r.Parent)
            if (r.ElseStart >= 0) return r;
        return null;
    }

    private void EmitAt(StmtNode stmt, Op op, List<StmtNode> output)
    {
        output.Add(stmt);
        _ctx.SetLine(stmt, _eval.StatementLine > 0 ? _eval.StatementLine : op.Line);
        _eval.StatementLine = 0;
    }
}
