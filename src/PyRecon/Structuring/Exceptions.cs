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
    private int StructureProtected(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        if (_ctx.Version >= PythonVersion.V3_11) return StructureProtected311(pos, handler, region, output);
        return StructureProtected38(pos, handler, region, output);
    }

    private int StructureProtected38(int pos, ExceptionHandler handler, Region region, List<StmtNode> output) =>
        throw Fail("try/with statements of 3.8-3.10 are not supported yet", pos);

    private int TerminateSpecial(Op op, Region region, List<StmtNode> output)
    {
        if (op.Kind == OpKind.Reraise && region.InFinallyHandler)
        {
            Consume(op.Index);
            return -1;
        }
        throw Fail($"{op.Name} outside its construct", op.Index);
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
        exit.ConsumeUnwinding(pos, after);
        return Walk(after, exit.Outer.Child(), output);
    }

    /// <summary>Whether, past the exit code of enclosing constructs, <paramref name="pos"/> returns or jumps out of a loop.</summary>
    private bool IsAbrupt(int pos, Region region)
    {
        var r = region;
        for (int guard = 0; guard < 64; guard++)
        {
            int p = RealAt(pos);
            if (p >= _ops.Length) return false;
            var op = _ops[p];
            if (op.Kind == OpKind.Return) return true;
            var loop = r.InnermostLoop;
            if (op.Kind == OpKind.Jump)
                return loop is not null && (loop.ContinueTargets.Contains(op.Target) || Same(op.Target, loop.BreakTarget) || loop.BottomTest >= 0 && Same(op.Target, loop.Exit));
            if (op.Kind == OpKind.Plain && (op.Name == "ROT_TWO" || op.Name == "SWAP" && op.Instruction.Arg == 2) && NextReal(p) < _ops.Length && _ops[NextReal(p)].Name == "POP_TOP")
            {
                pos = NextReal(p);
                continue;
            }
            if (op.Name == "POP_TOP" && loop?.Iterator is not null) { pos = NextReal(p); continue; }
            if (op.Name == "POP_ITER" && loop?.Iterator is not null) { pos = NextReal(p); continue; }
            var outer = ExitRegion(r);
            if (outer?.Exit is not ConstructExit e) return false;
            int a = e.MatchUnwinding(p);
            if (a < 0) return false;
            pos = a;
            r = e.Outer;
        }
        return false;
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

    /// <summary>True when the code at <paramref name="pos"/> repeats the real ops <paramref name="canonical"/>; returns the op after the copy.</summary>
    private int MatchCopy(int pos, List<int> canonical)
    {
        int p = RealAt(pos);
        if (canonical.Count == 0) return p;
        int origin = canonical[0];
        var matched = new List<int>();
        foreach (int c in canonical)
        {
            if (p >= _ops.Length) return -1;
            var a = _ops[c].Instruction;
            var b = _ops[p].Instruction;
            if (a.Opcode.Name != b.Opcode.Name) return -1;
            if (a.Argument is JumpArgument)
            {
                if (_ops[c].Target - origin != _ops[p].Target - RealAt(pos)) return -1;
            }
            else if (a.Arg != b.Arg) return -1;
            matched.Add(p);
            p = NextReal(p);
        }
        return p;
    }

    // ---------------------------------------------------------------- 3.11+

    private int StructureProtected311(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        int start = RealAt(handler.Target);
        if (_ops[start].Name != "PUSH_EXC_INFO") throw Fail("a handler that does not start with PUSH_EXC_INFO", start);
        int first = NextReal(start);
        var firstOp = _ops[first];
        if (firstOp.Name == "WITH_EXCEPT_START") return StructureWith311(pos, handler, region, output);
        if (IsExceptClauseStart(first)) return StructureTryExcept311(pos, handler, region, output);
        return StructureTryFinally311(pos, handler, region, output);
    }

    private bool IsExceptClauseStart(int first)
    {
        if (_ops[first].Name == "POP_TOP") return true;
        if (_ops[first].Name == "RERAISE") return true;
        var block = _flow.BlockOf(first);
        var term = _flow.Terminator(block);
        if (term is null || term.Kind != OpKind.CondJump) return false;
        int before = term.Index - 1;
        while (before > first && _ops[before].Kind == OpKind.Skip) before--;
        return _ops[before].Name is "CHECK_EXC_MATCH" or "CHECK_EG_MATCH";
    }

    /// <summary>The stack a handler starts with: the region's stack cut to the handler's depth, the exception (and lasti) on top.</summary>
    private SymbolicStack HandlerStack(SymbolicStack atTry, ExceptionHandler handler)
    {
        var stack = atTry.Clone();
        if (stack.Count < handler.Depth) throw Fail($"handler depth {handler.Depth} above the stack ({stack.Count})", handler.Target);
        stack.Truncate(handler.Depth);
        if (handler.Lasti) stack.Push(new ExceptionMarker("lasti"));
        stack.Push(new ExceptionMarker("exception"));
        return stack;
    }

    private void EvalOp(int i)
    {
        var op = _ops[i];
        if (op.Kind == OpKind.Skip) { Consume(i); return; }
        _eval.Eval(op);
    }

    /// <summary>Consumes the generic clean-up `COPY 3; POP_EXCEPT; RERAISE 1` covering a handler's own code.</summary>
    private void ConsumeCleanupOf(int handlerStart)
    {
        var cleanup = _flow.HandlerOf(handlerStart);
        if (cleanup is null) return;
        int c = RealAt(cleanup.Target);
        if (!ExceptionHandlerBuilder.IsCleanupBlock(_ops, c)) return;
        for (int k = 0; k < 3; k++) { Consume(c); c = NextReal(c); }
    }

    private int StructureTryExcept311(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        int line = _ops[RealAt(pos)].Line;
        var atTry = _eval.Stack;
        _eval.Stack = atTry.Clone();
        var body = new List<StmtNode>();
        var bodyRegion = region.Child(handler: handler, keepHandler: false, exit: new TryBodyExit { Outer = region });
        int bodyEnd = WalkSequence(pos, bodyRegion, body);

        // The handler: PUSH_EXC_INFO, then clauses `type; CHECK_EXC_MATCH; POP_JUMP_IF_FALSE next; STORE name | POP_TOP; body`.
        _eval.Stack = HandlerStack(atTry, handler);
        int p = RealAt(handler.Target);
        EvalOp(p);
        int excBase = _eval.Stack.Count - 1; // previous exception under the current one
        var handlers = ImmutableArray.CreateBuilder<ExcepthandlerNode>();
        int join = -1;
        var savedHandlerStack = _eval.Stack;
        p = NextReal(p);
        while (true)
        {
            _eval.Stack = savedHandlerStack.Clone();
            var op = _ops[p];
            ExprNode? type = null;
            string? name = null;
            int next = -1;
            int clauseLine = op.Line;
            if (op.Name == "RERAISE")
            {
                Consume(p);
                break;
            }
            if (op.Name == "POP_TOP")
            {
                Consume(p);
                _eval.Stack.Pop();
                p = NextReal(p);
            }
            else
            {
                int term = TerminatorIndex(p);
                for (int i = p; i < term; i++)
                {
                    if (_ops[i].Kind == OpKind.Skip) { Consume(i); continue; }
                    _eval.Eval(_ops[i]);
                }
                var jump = _ops[term];
                if (jump.Kind != OpKind.CondJump) throw Fail("an except clause without its test", term);
                Consume(term);
                if (_eval.Stack.Pop() is not ExceptionMatchMarker match) throw Fail("an except clause test that is not CHECK_EXC_MATCH", term);
                type = match.Type;
                next = jump.Target;
                p = NextReal(term);
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
            }
            var clauseHandler = HandlerAt(p);
            var clauseRegion = region.Child(handler: clauseHandler, keepHandler: false, baseDepth: excBase,
                exit: new ExceptBodyExit(this, name) { Outer = region }, exceptName: name);
            var clauseBody = new List<StmtNode>();
            _eval.StatementBase = excBase;
            int clauseEnd = WalkSequence(p, clauseRegion, clauseBody);
            if (clauseEnd >= 0)
            {
                int after = new ExceptBodyExit(this, name) { Outer = region }.MatchUnwinding(clauseEnd);
                if (after < 0) throw Fail("an except clause that ends without POP_EXCEPT", clauseEnd);
                ConsumeRange(clauseEnd, after);
                int target = after;
                if (_ops[after].Kind == OpKind.Jump) { Consume(after); target = _ops[after].Target; }
                if (join >= 0 && !Same(join, target)) throw Fail($"except clauses rejoin at ops {join} and {target}", after);
                join = target;
            }
            if (name is not null) ConsumeNameCleanupHandler(clauseHandler);
            handlers.Add(S.ExceptHandler(type, name, Body(clauseBody)));
            _ = clauseLine;
            if (type is null || next < 0) break;
            p = RealAt(next);
        }
        ConsumeCleanupOf(RealAt(handler.Target));

        _eval.Stack = atTry.Clone();
        var orelse = new List<StmtNode>();
        int resume = bodyEnd;
        if (bodyEnd >= 0 && join >= 0 && !Same(bodyEnd, join))
        {
            int elseEnd = WalkSequence(bodyEnd, region.Child(stops: [join, RealAt(join)]), orelse);
            if (elseEnd >= 0 && !Same(elseEnd, join)) throw Fail("try-else ends away from the clauses' join", bodyEnd);
            resume = join;
        }
        else if (bodyEnd < 0) resume = join;
        _eval.Stack = atTry.Clone();
        var stmt = S.Try(Body(body), handlers.ToImmutable(), [.. orelse], []);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        return resume;
    }

    private void ConsumeRange(int from, int to)
    {
        for (int i = from; i < to && i < _ops.Length; i++) Consume(i);
    }

    /// <summary>`except ... as name`: the handler that clears the name when the body raises (`LOAD_CONST None; STORE; DELETE; RERAISE 1`).</summary>
    private void ConsumeNameCleanupHandler(ExceptionHandler? clauseHandler)
    {
        if (clauseHandler is null) return;
        int c = RealAt(clauseHandler.Target);
        if (c + 3 < _ops.Length && _ops[c].Name == "LOAD_CONST" && _ops[NextReal(c)].Name.StartsWith("STORE_", StringComparison.Ordinal))
        {
            int s = NextReal(c), d = NextReal(s), r = NextReal(d);
            if (_ops[d].Name.StartsWith("DELETE_", StringComparison.Ordinal) && _ops[r].Name == "RERAISE")
            {
                Consume(c); Consume(s); Consume(d); Consume(r);
            }
        }
    }

    private int StructureTryFinally311(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        int line = _ops[RealAt(pos)].Line;
        var atTry = _eval.Stack;
        // The canonical finally body: the handler's code between PUSH_EXC_INFO and its RERAISE 0.
        _eval.Stack = HandlerStack(atTry, handler);
        int push = RealAt(handler.Target);
        EvalOp(push);
        int finStart = NextReal(push);
        var finRegion = region.Child(handler: HandlerAt(finStart), keepHandler: false, baseDepth: _eval.Stack.Count, finallyHandler: true);
        var finalBody = new List<StmtNode>();
        int finEnd = WalkSequence(finStart, finRegion, finalBody);
        if (finEnd >= 0) throw Fail("a finally body that does not end in RERAISE", finStart);
        int reraise = FindFinallyReraise(finStart);
        var canonical = RealOps(finStart, reraise);
        ConsumeCleanupOf(push);

        _eval.Stack = atTry.Clone();
        var exit = new FinallyExit(this, canonical) { Outer = region };
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
        StmtNode stmt = body is [Try { Finalbody.IsEmpty: true, Handlers.IsEmpty: false } inner]
            ? S.Try(inner.Body, inner.Handlers, inner.Orelse, Body(finalBody))
            : S.Try(Body(body), [], [], Body(finalBody));
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        return resume;
    }

    /// <summary>The RERAISE that closes a finally handler's body (the last op the finally walk consumed).</summary>
    private int FindFinallyReraise(int finStart)
    {
        int best = -1;
        for (int i = finStart; i < _ops.Length; i++)
        {
            if (_ops[i].Name == "RERAISE" && _ctx.Consumed[i]) { best = i; break; }
        }
        if (best < 0) throw Fail("the finally body's RERAISE was not found", finStart);
        return best;
    }

    private int StructureWith311(int pos, ExceptionHandler handler, Region region, List<StmtNode> output)
    {
        if (_eval.Stack.Count == 0 || _eval.Stack.Peek() is not TargetSlot { Group.Kind: TargetGroupKind.WithEnter } slot)
            throw Fail("a with body without its __enter__ result", pos);
        int line = slot.Group.Line;
        var exitMarker = _eval.Stack.Items.OfType<WithExitMarker>().LastOrDefault() ?? throw Fail("a with body without its __exit__", pos);
        var atWith = _eval.Stack;
        _eval.Stack = atWith.Clone();
        var exit = new WithExit(this) { Outer = region };
        var body = new List<StmtNode>();
        var bodyRegion = region.Child(handler: handler, keepHandler: false, baseDepth: atWith.Count - 1, exit: exit);
        int bodyEnd = WalkSequence(pos, bodyRegion, body);
        int resume = -1;
        if (bodyEnd >= 0)
        {
            int after = exit.MatchUnwinding(bodyEnd);
            if (after < 0) throw Fail("the normal exit of a with body does not call __exit__", bodyEnd);
            exit.ConsumeUnwinding(bodyEnd, after);
            resume = after;
        }
        ConsumeWithHandler311(handler);
        // The stack after the with: its own items gone.
        _eval.Stack = atWith.Clone();
        while (_eval.Stack.Count > 0 && !ReferenceEquals(_eval.Stack.Pop(), exitMarker)) { }
        var item = S.Withitem(exitMarker.Context, slot.Group.Targets[0]);
        StmtNode stmt = MergeWith(item, body, exitMarker.IsAsync);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        return resume;
    }

    private static StmtNode MergeWith(Withitem item, List<StmtNode> body, bool isAsync)
    {
        // `with a, b:` is compiled as nested withs; the nested form prints as one statement.
        if (!isAsync && body is [With inner]) return S.With([item, .. inner.Items], inner.Body);
        if (isAsync && body is [AsyncWith ainner]) return S.AsyncWith([item, .. ainner.Items], ainner.Body);
        return isAsync ? S.AsyncWith([item], Body(body)) : S.With([item], Body(body));
    }

    /// <summary>`PUSH_EXC_INFO; WITH_EXCEPT_START; [await]; [TO_BOOL]; POP_JUMP_IF_TRUE; RERAISE 2` and the suppress path `POP_TOP; POP_EXCEPT; POP_TOP...; [JUMP]`.</summary>
    private void ConsumeWithHandler311(ExceptionHandler handler)
    {
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
        ConsumeCleanupOf(RealAt(handler.Target));
        // Suppress path: POP_TOP; POP_EXCEPT; POP_TOP; POP_TOP; [POP_TOP]; then a jump to the follow (or the follow itself).
        while (p < _ops.Length && _ops[p].Name is "POP_TOP" or "POP_EXCEPT")
        {
            Consume(p);
            p = NextReal(p);
        }
        if (p < _ops.Length && _ops[p].Kind == OpKind.Jump) Consume(p);
        else MarkDuplicateTail(p);
    }

    /// <summary>Code the optimizer copied from a construct's follow into a handler path: consumed as an alias when it returns.</summary>
    private void MarkDuplicateTail(int p)
    {
        int guard = 0;
        while (p < _ops.Length && guard++ < 8)
        {
            var op = _ops[p];
            if (op.Kind == OpKind.Plain && op.Name is "LOAD_CONST" or "LOAD_SMALL_INT" or "LOAD_FAST" or "LOAD_FAST_BORROW" or "LOAD_GLOBAL" or "LOAD_NAME" or "LOAD_DEREF")
            {
                p = NextReal(p);
                continue;
            }
            if (op.Kind == OpKind.Return)
            {
                for (int k = p; k >= 0 && guard-- > -16; k--)
                {
                    if (_ctx.Consumed[k]) break;
                    Consume(k);
                }
            }
            return;
        }
    }

    // ---------------------------------------------------------------- exit rules

    /// <summary>A try body under an except: no exit code (3.11+ zero-cost; 3.8-3.10's POP_BLOCK is consumed in the body).</summary>
    private sealed class TryBodyExit : ConstructExit
    {
        public override int MatchUnwinding(int pos) => pos;
        public override void ConsumeUnwinding(int pos, int after) { }
    }

    /// <summary>3.11+ with: `[SWAP...]; LOAD_CONST None x3; CALL; [await]; POP_TOP`.</summary>
    private sealed class WithExit(Structurer s) : ConstructExit
    {
        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            var ops = s._ops;
            for (int k = 0; k < 2 && p < ops.Length && ops[p].Name == "SWAP"; k++) p = s.NextReal(p);
            for (int k = 0; k < 3; k++)
            {
                if (p >= ops.Length || ops[p].Name != "LOAD_CONST" || ops[p].Instruction.Argument is not ConstArgument { Value: PyNone }) return -1;
                p = s.NextReal(p);
            }
            if (p >= ops.Length || ops[p].Name != "CALL") return -1;
            p = s.NextReal(p);
            if (p < ops.Length && ops[p].Name == "GET_AWAITABLE")
            {
                p = s.NextReal(p);
                if (p < ops.Length && ops[p].Name == "LOAD_CONST") p = s.NextReal(p);
                if (p < ops.Length && ops[p].Name == "SEND") p = s.NextReal(p);
                if (p < ops.Length && ops[p].Name == "END_SEND") p = s.NextReal(p);
            }
            if (p >= ops.Length || ops[p].Name != "POP_TOP") return -1;
            return s.NextReal(p);
        }

        public override void ConsumeUnwinding(int pos, int after)
        {
            for (int i = pos; i < after; i++) s.EvalOp(i);
        }
    }

    /// <summary>An except clause body: `[SWAP 2]; POP_EXCEPT; [LOAD_CONST None; STORE name; DELETE name]`.</summary>
    private sealed class ExceptBodyExit(Structurer s, string? name) : ConstructExit
    {
        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            var ops = s._ops;
            if (p < ops.Length && ops[p].Name is "SWAP" or "ROT_TWO" or "ROT_FOUR") p = s.NextReal(p);
            if (p < ops.Length && ops[p].Kind == OpKind.PopBlock) p = s.NextReal(p);
            if (p < ops.Length && ops[p].Name is "ROT_FOUR") p = s.NextReal(p);
            if (p >= ops.Length || ops[p].Name != "POP_EXCEPT") return -1;
            p = s.NextReal(p);
            if (name is not null) p = s.SkipNameCleanup(p, name);
            return p;
        }

        public override void ConsumeUnwinding(int pos, int after)
        {
            int cleanup = -1;
            for (int i = pos; i < after; i++)
            {
                var op = s._ops[i];
                if (op.Name == "POP_EXCEPT") { s.EvalOp(i); cleanup = i; continue; }
                if (cleanup >= 0) { s.Consume(i); continue; } // the name clean-up: not statements
                if (op.Kind == OpKind.PopBlock) { s.Consume(i); continue; }
                s.EvalOp(i);
            }
        }
    }

    /// <summary>A try body under a finally: each exit repeats the finally body.</summary>
    private sealed class FinallyExit(Structurer s, List<int> canonical) : ConstructExit
    {
        public override int MatchUnwinding(int pos)
        {
            int p = s.RealAt(pos);
            if (p < s._ops.Length && s._ops[p].Kind == OpKind.PopBlock) p = s.NextReal(p);
            return s.MatchCopy(p, canonical);
        }

        public override void ConsumeUnwinding(int pos, int after)
        {
            for (int i = pos; i < after; i++) s.Consume(i);
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
