using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Cleanup;
using PyRecon.Decompilation;
using PyRecon.Evaluation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Structuring;

/// <summary>
/// Conditions: compound conditions in jump context (chains of conditional jumps merged by the
/// two-node rules of Cifuentes: shared target = and, target = the other's fall-through = or), chained
/// comparisons, value-context and/or and conditional expressions (reduced before any statement is made),
/// and the statements built on a condition: if/elif/else, assert, loop control.
/// </summary>
internal sealed partial class Structurer
{
    /// <summary>A reduced condition: falls through to <see cref="Fall"/> when <see cref="FallCond"/> holds, else jumps to <see cref="Target"/>.</summary>
    private sealed class CondNode
    {
        public required ExprNode FallCond { get; set; }
        public required int Target { get; set; }
        public required int Fall { get; set; }
        public required HashSet<int> Blocks { get; init; }
        public required int FirstOp { get; init; }
        public required int LastOp { get; set; }
        /// <summary>Copies of an exit block that operands jump to in place of the original (consumed with the condition).</summary>
        public List<(int Start, int End)> ExitCopies { get; init; } = [];
        /// <summary>
        /// The else operand of a conditional expression in jump context: the ops that end the operand before it (a
        /// jump over it, or the optimizer's copy of the small exit block it jumps to), consumed with the condition
        /// when the conditional expression is reduced; Start is -1 for other nodes.
        /// </summary>
        public (int Start, int End) OverElse { get; init; } = (-1, -1);
    }

    // ---------------------------------------------------------------- boolean helpers

    private static ExprNode Negate(ExprNode e) => e switch
    {
        UnaryOp { Op: Unaryop.Not } n => n.Operand,
        BoolOp b => S.BoolOp(b.Op == Boolop.And ? Boolop.Or : Boolop.And, [.. b.Values.Select(Negate)]),
        _ => S.UnaryOp(Unaryop.Not, e),
    };

    private static ExprNode Combine(Boolop op, ExprNode left, ExprNode right)
    {
        var values = ImmutableArray.CreateBuilder<ExprNode>();
        if (left is BoolOp l && l.Op == op) values.AddRange(l.Values); else values.Add(left);
        if (right is BoolOp r && r.Op == op) values.AddRange(r.Values); else values.Add(right);
        return S.BoolOp(op, values.ToImmutable());
    }

    /// <summary>Value-context and/or keeps nesting as written: only a left operand of the same operator is flattened.</summary>
    private static ExprNode CombineValue(Boolop op, ExprNode left, ExprNode right)
    {
        var values = ImmutableArray.CreateBuilder<ExprNode>();
        if (left is BoolOp l && l.Op == op) values.AddRange(l.Values); else values.Add(left);
        if (right is BoolOp r && r.Op == op) values.AddRange(r.Values); else values.Add(right);
        return S.BoolOp(op, values.ToImmutable());
    }

    private static ExprNode FallCondition(JumpSense sense, ExprNode value) => sense switch
    {
        JumpSense.IfFalse => value,
        JumpSense.IfTrue => Negate(value),
        JumpSense.IfNone => S.Compare(value, [Cmpop.IsNot], [S.Constant(PyNone.Instance)]),
        JumpSense.IfNotNone => S.Compare(value, [Cmpop.Is], [S.Constant(PyNone.Instance)]),
        _ => throw new ArgumentOutOfRangeException(nameof(sense)),
    };

    // ---------------------------------------------------------------- entry from the walk

    private int StructureCondition(Op op, Region region, List<StmtNode> output)
    {
        if (op.Kind == OpKind.KeepJump)
        {
            int next = ReduceKeep(op);
            return next;
        }
        int pending = _eval.Stack.Count - 1 - region.Base;
        if (pending > 0 && !IsChainMiddle())
            return ReduceConditionValue(op, region);

        var node = BuildCondition(op, region);
        if (IsExpressionJoin(node, region, out int join))
            return ReduceTernaryOrThreaded(node, join, region);

        var loop = region.InnermostLoop;
        if (loop is not null && loop.BottomTest >= 0 && IsBottomTest(node, loop))
            return -1;
        if (TryWhileWithBottomTest(node, region, output, out int afterWhile)) return afterWhile;
        if (loop is not null && TryIfBeforeThreadedLoopJump(node, loop, region, output)) return -1;
        if (loop is not null && loop.ContinueTargets.Contains(RealAt(node.Target)) || loop is not null && loop.ContinueTargets.Contains(node.Target))
            return IfToLoopEnd(node, region, output);
        if (loop is not null && (node.Target == loop.BreakTarget || RealAt(node.Target) == RealAt(loop.BreakTarget)) && loop.BreakTarget >= 0
            && !IsStatementOfItsOwn(node.Target, node))
        {
            var brk = S.Break();
            EmitIf(S.If(JumpTest(Negate(node.FallCond)), [brk]), node, output);
            _ctx.SetLine(brk, _ops[node.LastOp].Line);
            return node.Fall;
        }
        return StructureIf(node, region, output);
    }

    /// <summary>
    /// A jump to a line-carrying NOP on a later line than the condition: a statement of its own there (a `break`
    /// whose jump the exit it falls into made redundant), not the condition's own `if not c: break`.
    /// </summary>
    private bool IsStatementOfItsOwn(int target, CondNode node) =>
        target != RealAt(target) && _ops[target].Name == "NOP" && _ops[target].Line > _ops[node.LastOp].Line;

    /// <summary>True when the value under the condition is the spare middle operand of a chained comparison.</summary>
    private bool IsChainMiddle()
    {
        if (_eval.Stack.Count < 2) return false;
        return _eval.Stack.Peek(0) is Compare c && ReferenceEquals(c.Comparators[^1], _eval.Stack.Peek(1));
    }

    private bool IsExpressionJoin(CondNode node, Region region, out int join)
    {
        join = -1;
        int block = _flow.BlockIdOf(node.FirstOp);
        int ipdom = _flow.ImmediatePostDominator(block);
        if (ipdom < 0 || ipdom == _flow.VirtualNode) return false;
        int start = _flow.Blocks[ipdom].Start;
        int depth = _ops[RealAt(start)].Depth;
        if (depth <= region.Base) return false;
        join = start;
        return true;
    }

    // ---------------------------------------------------------------- compound conditions

    /// <summary>
    /// Pops the condition of <paramref name="op"/> and merges the conditional jumps that follow it (blocks that
    /// only compute one value and jump) into one condition, the way compiler_jump_if laid them out.
    /// </summary>
    /// <param name="loopTest">A while loop's test: its jump to the exit is the loop's own, never a jump threaded through
    /// a `break` in the body (see <see cref="IsThreadedToJumpAt"/>) nor one to the copy of the exit a `break` holds
    /// (see <see cref="IsCopyOfExitAt"/>).</param>
    private CondNode BuildCondition(Op op, Region region, bool loopTest = false)
    {
        Consume(op.Index);
        var chain = new List<CondNode> { FirstNode(op, region) };
        while (true)
        {
            var last = chain[^1];
            var next = TryConditionBlock(last.Fall, chain, region) ?? TryElseOperand(last, chain, region);
            if (next is null) break;
            chain.Add(next);
        }
        // Merge right to left until one node remains; an unmergeable tail is not part of this condition, nor is the
        // test of a while loop the chain falls into.
        for (int keep = WhileTestStartInChain(chain) ?? chain.Count; keep >= 1; keep--)
        {
            var reduced = Reduce(chain.Take(keep).ToList(), loopTest);
            if (reduced is not null)
            {
                if (keep < chain.Count) RewindTo(chain[keep]);
                foreach (var (start, end) in reduced.ExitCopies) ConsumeRange(start, end + 1);
                return reduced;
            }
        }
        throw Fail("a condition could not be reduced", op.Index);
    }

    private readonly Dictionary<int, SymbolicStack> _rewind = [];

    private void RewindTo(CondNode node)
    {
        // The dropped blocks were evaluated speculatively; the walk will evaluate them again.
        if (_rewind.TryGetValue(node.FirstOp, out var stack)) _eval.Stack = stack;
    }

    private CondNode FirstNode(Op op, Region region)
    {
        var value = _eval.PopExpr();
        int target = op.Target;
        if (value is Compare c && _eval.Stack.Count > region.Base && ReferenceEquals(_eval.Stack.Peek(), c.Comparators[^1]))
            return ChainInJumpContext(op, c, region);
        return new CondNode
        {
            FallCond = FallCondition(op.Sense, value),
            Target = target,
            Fall = NextReal(op.Index),
            Blocks = [_flow.BlockIdOf(op.Index)],
            FirstOp = op.Index,
            LastOp = op.Index,
        };
    }

    /// <summary>Whether a chained comparison's clean-up block (POP_TOP, then a jump or a copy of where it goes) leads
    /// to <paramref name="target"/>.</summary>
    private bool CleanupGoesTo(int cleanup, int target)
    {
        int jump = NextReal(cleanup), to = ThroughJumps(target);
        if (jump >= _ops.Length) return false;
        if (_ops[jump].Kind == OpKind.Jump) return ThroughJumps(_ops[jump].Target) == to;
        return jump == to || ExitCopyEnd(jump, to) >= 0;
    }

    /// <summary>
    /// `if a < b < c:` — each link jumps to a clean-up block (POP_TOP of the spare operand; jump on) when false;
    /// the last link jumps straight to the false target.
    /// </summary>
    private CondNode ChainInJumpContext(Op first, Compare head, Region region)
    {
        var compare = head;
        int cleanup = RealAt(first.Target);
        Op link = first;
        int falseTarget;
        var blocks = new HashSet<int> { _flow.BlockIdOf(first.Index) };
        bool lastJumpsWhenTrue = false;
        while (true)
        {
            int pos = NextReal(link.Index);
            int term = TerminatorIndex(pos);
            for (int i = pos; i < term; i++)
            {
                if (_ops[i].Kind == OpKind.Skip) { Consume(i); continue; }
                if (_ops[i].Kind != OpKind.Plain) throw Fail("unexpected op in a chained comparison", i);
                _eval.Eval(_ops[i]);
            }
            if (term >= _ops.Length || _ops[term].Kind != OpKind.CondJump) throw Fail("chained comparison without its jump", term);
            var next = _ops[term];
            Consume(term);
            blocks.Add(_flow.BlockIdOf(term));
            var value = _eval.PopExpr();
            // 3.11+: a last link `is None` / `is not None` is one POP_JUMP_IF_[NOT_]NONE on the shared operand. The
            // chain jumps when false if its clean-up goes where that jump goes, else when true.
            if (next.Sense is JumpSense.IfNone or JumpSense.IfNotNone && ReferenceEquals(value, compare.Comparators[^1]))
            {
                lastJumpsWhenTrue = !CleanupGoesTo(cleanup, next.Target);
                value = lastJumpsWhenTrue ? S.Compare(value, [next.Sense == JumpSense.IfNone ? Cmpop.Is : Cmpop.IsNot], [S.Constant(PyNone.Instance)])
                    : FallCondition(next.Sense, value);
            }
            if (value is not Compare c || !ReferenceEquals(c.Left, compare.Comparators[^1]))
                throw Fail("chained comparison link does not compare the shared operand", term);
            compare = S.Compare(compare.Left, compare.Ops.AddRange(c.Ops), compare.Comparators.AddRange(c.Comparators));
            link = next;
            if (RealAt(next.Target) == cleanup) continue;
            // The last link jumps on false to the false branch, or (assert) on true past it.
            falseTarget = next.Sense == JumpSense.IfTrue || lastJumpsWhenTrue ? NextReal(next.Index) : next.Target;
            break;
        }
        // The clean-up: POP_TOP; JUMP_FORWARD false-target.
        var pop = _ops[cleanup];
        if (pop.Name != "POP_TOP") throw Fail("chained comparison clean-up is not a POP_TOP", cleanup);
        Consume(cleanup);
        // The clean-up is part of the condition: what it falls or jumps into is reached from the condition alone.
        blocks.Add(_flow.BlockIdOf(cleanup));
        int jump = NextReal(cleanup);
        int falseDest = ThroughJumps(falseTarget);
        int cleanupEnd = cleanup;
        if (jump < _ops.Length && _ops[jump].Kind == OpKind.Jump && ThroughJumps(_ops[jump].Target) == falseDest) { Consume(jump); cleanupEnd = jump; blocks.Add(_flow.BlockIdOf(jump)); }
        else if (jump == falseDest) { } // 3.8: the clean-up falls into the false branch
        else if (ExitCopyEnd(jump, falseDest) is int copyEnd and >= 0) { ConsumeRange(jump, copyEnd + 1); cleanupEnd = copyEnd; }
        else throw Fail("chained comparison clean-up does not rejoin the false branch", cleanup);
        // 3.8-3.9 lay the clean-up out in line: the last link falls into `JUMP_FORWARD` over it. The condition falls
        // to where that jump goes, so a condition after the chain (`a < b < c and d`) merges with it.
        int fall = NextReal(link.Index);
        if (fall < cleanup && _ops[fall].Kind == OpKind.Jump && RealAt(_ops[fall].Target) == NextReal(cleanupEnd))
        {
            Consume(fall);
            blocks.Add(_flow.BlockIdOf(fall));
            fall = _ops[fall].Target;
        }
        return new CondNode
        {
            FallCond = link.Sense == JumpSense.IfTrue || lastJumpsWhenTrue ? Negate(compare) : compare,
            Target = link.Target,
            Fall = fall,
            Blocks = blocks,
            FirstOp = first.Index,
            LastOp = link.Index,
        };
    }

    /// <summary>Where control really goes from <paramref name="p"/>: through unconditional jumps.</summary>
    private int ThroughJumps(int p)
    {
        p = RealAt(p);
        for (int guard = 0; guard < 16 && p < _ops.Length && _ops[p].Kind == OpKind.Jump; guard++) p = RealAt(_ops[p].Target);
        return p;
    }

    /// <summary>
    /// When the ops from <paramref name="copy"/> repeat, op for op, the small block at <paramref name="original"/>
    /// up to its return or raise (3.10+ copies such blocks into jumps to them), the op index of the copy's last op; else -1.
    /// <paramref name="lineless"/>: 3.10 copies an exit block without a line number of any size (the implicit return,
    /// with the exit code of the with statements it leaves in front: POP_BLOCK, the __exit__ call).
    /// </summary>
    private int ExitCopyEnd(int copy, int original, bool lineless = false, bool viaJump = true)
    {
        int a = RealAt(copy), b = RealAt(original);
        for (int n = 0; n < (lineless ? 16 : 6) && a < _ops.Length && b < _ops.Length; n++, a = NextReal(a), b = NextReal(b))
        {
            // The rest of the copy, turned back into a jump to the block it copies (see OpNormalizer), is the rest of
            // the original (both may be such jumps), or another copy of that block.
            if (n > 0 && viaJump && IsInlinedExit(a) && (InlinedExitOriginal(a) == InlinedExitOriginal(b)
                || !IsInlinedExit(b) && ExitCopyEnd(b, _ops[a].Target, lineless, viaJump: false) >= 0)) return a;
            if (a == b || !SameOpcode(_ops[a].Instruction, _ops[b].Instruction)) return -1;
            // 3.13+: a small block without a line of its own, copied into each jump to it, may end in a jump.
            if (_ops[a].Kind == OpKind.Jump && _ops[b].Kind == OpKind.Jump && InlinesSmallLinelessBlocks && n < MaxCopySize)
                return Same(_ops[a].Target, _ops[b].Target) ? a : -1;
            if (_ops[a].Instruction.Arg != _ops[b].Instruction.Arg) return -1;
            if (_ops[a].Kind is OpKind.Return or OpKind.Raise or OpKind.Reraise) return a;
            if (_ops[a].Kind != OpKind.Plain && !(lineless && _ops[a].Kind == OpKind.PopBlock)) return -1;
        }
        return -1;
    }

    /// <summary>Whether the op at <paramref name="p"/> is an exit block's copy the normalizer turned back into a jump to it.</summary>
    private bool IsInlinedExit(int p) => _ops[p] is { Kind: OpKind.Jump, AbsorbedBy: "inlined exit" };

    /// <summary>The block that the copy at <paramref name="p"/> stands for (following copies of copies); <paramref name="p"/> itself when no copy.</summary>
    private int InlinedExitOriginal(int p)
    {
        for (int hops = 0; hops < 8 && IsInlinedExit(p); hops++) p = RealAt(_ops[p].Target);
        return p;
    }

    /// <summary>
    /// 3.10 copies an exit block whose first op has no line (a POP_BLOCK) into each jump to it, whatever its size
    /// (POP_BLOCK, a finally body, the return): the end of the copy at <paramref name="copy"/> of the block at
    /// <paramref name="original"/>, or null. Either may be given past its POP_BLOCK (a walk went through it).
    /// </summary>
    private int? LinelessExitCopyEnd(int copy, int original)
    {
        if (_ctx.Version != PythonVersion.V3_10 || Same(copy, original)) return null;
        int a = BlockStartBeforePopBlocks(copy), b = BlockStartBeforePopBlocks(original);
        return _ops[b].Kind == OpKind.PopBlock && _ops[a].Kind == OpKind.PopBlock && ExitCopyEnd(a, b, lineless: true) is int end and >= 0 ? end : null;
    }

    private int BlockStartBeforePopBlocks(int pos)
    {
        int start = RealAt(pos);
        while (start > 0 && _ops[start - 1].Kind == OpKind.PopBlock) start--;
        return start;
    }

    /// <summary>
    /// 3.13+: branches of an except clause that both end the clause each get their own copy of its exit (POP_EXCEPT,
    /// the clean-up of the name, the jump on): the end of the copy at <paramref name="copy"/> of the exit at
    /// <paramref name="original"/> (the same ops up to a jump to the same place), or null.
    /// </summary>
    private int? ClauseExitCopyEnd(int copy, int original)
    {
        int a = RealAt(copy), b = RealAt(original);
        if (_ctx.Version < PythonVersion.V3_13 || a == b || a >= _ops.Length || b >= _ops.Length || _ops[a].Name != "POP_EXCEPT" || _ops[b].Name != "POP_EXCEPT") return null;
        for (int n = 0; n < 8 && a < _ops.Length && b < _ops.Length; n++, a = NextReal(a), b = NextReal(b))
        {
            if (!SameOpcode(_ops[a].Instruction, _ops[b].Instruction)) return null;
            if (_ops[a].Kind == OpKind.Jump) return Same(_ops[a].Target, _ops[b].Target) ? a : null;
            if (_ops[a].Kind != OpKind.Plain || _ops[a].Instruction.Arg != _ops[b].Instruction.Arg) return null;
        }
        return null;
    }

    /// <summary>
    /// 3.10+: the optimizer copies a small exit block (up to its return, with the unwinding before it) into each jump
    /// to it, so ways that met at one join in the source end at copies of it. The end of the copy at
    /// <paramref name="copy"/> of the code at <paramref name="original"/>, or null.
    /// </summary>
    private int? CopiedExitEnd(int copy, int original) =>
        _ctx.Version >= PythonVersion.V3_10 && !Same(copy, original) && ExitCopyEnd(copy, original) is int end and >= 0 ? end : null;

    /// <summary>The block at <paramref name="pos"/> as a condition node when it only computes a value and jumps.</summary>
    private CondNode? TryConditionBlock(int pos, List<CondNode> chain, Region region)
    {
        if (pos >= _ops.Length) return null;
        var block = _flow.BlockOf(pos);
        if (block.Start != pos && RealAt(block.Start) != pos) return null;
        if (region.IsStop(pos) || region.IsStop(block.Start)) return null;
        if (_flow.IsLoopHead(block.Id)) return null;
        if (!ReferenceEquals(HandlerAt(pos), region.Handler)) return null;
        var inChain = chain.SelectMany(c => c.Blocks).ToHashSet();
        // A jump over a conditional expression's else operand is a way into what follows it, as the operands are.
        foreach (var c in chain)
            if (c.OverElse.Start >= 0) inChain.Add(_flow.BlockIdOf(c.OverElse.Start));
        if (block.Predecessors.Count == 0 || !block.Predecessors.All(b => ReachedOnlyFrom(b, inChain))) return null;
        var term = _flow.Terminator(block);
        if (term is null || term.Kind != OpKind.CondJump) return null;

        var saved = _eval.Stack;
        var savedOut = _eval.Out;
        var savedLine = _eval.StatementLine;
        var trial = saved.Clone();
        var scratch = new List<StmtNode>();
        _eval.Stack = trial;
        _eval.Out = scratch;
        try
        {
            for (int i = pos; i < term.Index; i++)
            {
                var op = _ops[i];
                if (op.Kind == OpKind.Skip) continue;
                if (op.Kind != OpKind.Plain) return Restore();
                _eval.Eval(op);
            }
            if (scratch.Count > 0) return Restore();
            if (trial.Count == region.Base + 2 && IsChainMiddle())
            {
                // A chained comparison as a later operand (`a and b < c < d`): its first link.
                var head = (Compare)_eval.PopExpr();
                _rewind[term.Index] = saved;
                _rewind[pos] = saved;
                Consume(term.Index);
                ConsumeSkipsFrom(pos, term.Index);
                var chained = ChainInJumpContext(term, head, region);
                if (_eval.Stack.Count != region.Base) return Restore();
                _eval.Out = savedOut;
                chained.Blocks.Add(block.Id);
                return new CondNode
                {
                    FallCond = chained.FallCond,
                    Target = chained.Target,
                    Fall = chained.Fall,
                    Blocks = chained.Blocks,
                    FirstOp = pos,
                    LastOp = chained.LastOp,
                };
            }
            if (trial.Count != region.Base + 1) return Restore();
            var value = _eval.PopExpr();
            _rewind[term.Index] = saved;
            _rewind[pos] = saved;
            Consume(term.Index);
            ConsumeSkipsFrom(pos, term.Index);
            _eval.Out = savedOut;
            return new CondNode
            {
                FallCond = FallCondition(term.Sense, value),
                Target = term.Target,
                Fall = NextReal(term.Index),
                Blocks = [block.Id],
                FirstOp = pos,
                LastOp = term.Index,
            };
        }
        catch (DecompileFailure)
        {
            return Restore();
        }

        CondNode? Restore()
        {
            _eval.Stack = saved;
            _eval.Out = savedOut;
            _eval.StatementLine = savedLine;
            return null;
        }
    }

    /// <summary>
    /// `(a if c else b)` in jump context: c jumps to b, a jumps where b does and else jumps over b to where b falls
    /// (compiler_jump_if's IfExp case; 3.10+ may put a copy of an exit block there in place of the jump). When
    /// the last node falls into such a jump or copy and the block after it is a condition some node jumps to, that
    /// block is b's first operand (<see cref="Reduce"/> checks where b falls).
    /// </summary>
    private CondNode? TryElseOperand(CondNode last, List<CondNode> chain, Region region)
    {
        int start = RealAt(last.Fall), end = start;
        if (start >= _ops.Length) return null;
        if (_ops[start].Kind == OpKind.Jump)
        {
            if (_ops[start].Target <= start || !IsLoneJumpTo(start, _ops[start].Target)) return null;
        }
        else
        {
            // (3.11 too copies the implicit return, which has no line: see ExitCopyEnd.)
            if (_ctx.Version < PythonVersion.V3_10) return null;
            for (int n = 1; end < _ops.Length && _ops[end].Kind == OpKind.Plain && n < MaxCopySize; n++) end = NextReal(end);
            if (end >= _ops.Length || _ops[end].Kind is not (OpKind.Return or OpKind.Raise)) return null;
        }
        int orelse = NextReal(end);
        if (orelse >= _ops.Length || !chain.Any(c => Same(c.Target, orelse))) return null;
        if (TryConditionBlock(orelse, chain, region) is not { } node) return null;
        return new CondNode
        {
            FallCond = node.FallCond, Target = node.Target, Fall = node.Fall, Blocks = node.Blocks,
            FirstOp = node.FirstOp, LastOp = node.LastOp, OverElse = (start, end),
        };
    }

    /// <summary>
    /// Whether block <paramref name="b"/> is one of <paramref name="blocks"/>, or only skipped ops (3.14's NOT_TAKEN cut
    /// off by a jump to the op after it) entered from them.
    /// </summary>
    private bool ReachedOnlyFrom(int b, HashSet<int> blocks)
    {
        if (blocks.Contains(b)) return true;
        var block = _flow.Blocks[b];
        for (int i = block.Start; i < block.End; i++)
            if (_ops[i].Kind != OpKind.Skip) return false;
        return block.Predecessors.Count > 0 && block.Predecessors.All(blocks.Contains);
    }

    /// <summary>Whether the ops before a conditional expression's else operand <paramref name="z"/> go where it falls.</summary>
    private bool ReachesAfterElse(CondNode z)
    {
        var (start, end) = z.OverElse;
        if (start < 0) return false;
        // A copy keeps its original's lines (code that only looks the same is two statements).
        return _ops[start].Kind == OpKind.Jump ? ThroughJumps(_ops[start].Target) == ThroughJumps(z.Fall)
            : CopiedExitEnd(start, z.Fall) == end && SameCodeAndLines(start, end, z.Fall);
    }

    /// <summary>Merges adjacent nodes (x falls into y) right to left; null when they do not form one condition.</summary>
    private CondNode? Reduce(List<CondNode> nodes, bool loopTest)
    {
        bool changed = true;
        while (nodes.Count > 1 && changed)
        {
            changed = false;
            for (int i = nodes.Count - 2; i >= 0; i--)
            {
                var x = nodes[i];
                var y = nodes[i + 1];
                if (i + 2 < nodes.Count && nodes[i + 2] is var z && Same(x.Fall, y.FirstOp) && Same(x.Target, z.FirstOp)
                    && Same(y.Fall, z.OverElse.Start) && ReachesAfterElse(z)
                    && (Same(y.Target, z.Target) || IsCopyOfExitAt(y.Target, z.Target) is not null))
                {
                    // The conditional expression c (x) ? a (y) : b (z), each operand in jump context.
                    var copies = new List<(int, int)> { z.OverElse };
                    if (!Same(y.Target, z.Target)) copies.Add((RealAt(y.Target), IsCopyOfExitAt(y.Target, z.Target)!.Value));
                    nodes[i] = new CondNode
                    {
                        FallCond = S.IfExp(JumpTest(x.FallCond), JumpTest(y.FallCond), JumpTest(z.FallCond)),
                        Target = z.Target,
                        Fall = z.Fall,
                        Blocks = [.. x.Blocks, .. y.Blocks, .. z.Blocks, _flow.BlockIdOf(z.OverElse.Start)],
                        FirstOp = x.FirstOp,
                        LastOp = z.LastOp,
                        ExitCopies = [.. x.ExitCopies, .. y.ExitCopies, .. z.ExitCopies, .. copies],
                    };
                    nodes.RemoveRange(i + 1, 2);
                    changed = true;
                    break;
                }
                if (RealAt(x.Fall) != RealAt(y.FirstOp) && x.Fall != y.FirstOp) continue;
                var yBlock = _flow.BlockOf(y.FirstOp);
                if (!yBlock.Predecessors.All(b => ReachedOnlyFrom(b, x.Blocks))) continue;
                CondNode? merged = null;
                if (Same(x.Target, y.Target))
                    merged = Merge(x, y, Combine(Boolop.And, x.FallCond, y.FallCond), y.Target);
                else if (IsSharedLoneJumpTo(x.Target, y.Target) || IsSharedLoneJumpTo(y.Target, x.Target))
                    merged = Merge(x, y, Combine(Boolop.And, x.FallCond, y.FallCond), IsSharedLoneJumpTo(y.Target, x.Target) ? x.Target : y.Target);
                else if (loopTest && CopiedLinelessJump(x.Target, y.Target) is var (original, copy))
                {
                    merged = Merge(x, y, Combine(Boolop.And, x.FallCond, y.FallCond), original);
                    merged.ExitCopies.Add((copy, copy));
                }
                else if (GoesOnInLoop(y) && IsCopyOfExitAt(x.Target, y.Target) is int exitCopyEnd)
                {
                    // A while test `a and b` (top or bottom) whose exit is a small block without a line (the implicit
                    // return): 3.10+ give each jump out its own copy of it.
                    merged = Merge(x, y, Combine(Boolop.And, x.FallCond, y.FallCond), y.Target);
                    merged.ExitCopies.Add((RealAt(x.Target), exitCopyEnd));
                }
                else if (_ctx.Version >= PythonVersion.V3_10 && JumpsBackToLoopHead(y) && IsLoneJumpTo(y.Fall, x.Target))
                {
                    // A 3.10+ while loop's bottom test `a and b` whose way out is a jump on (a then-branch's jump over
                    // its else): a's jump out was threaded through it, b falls into it.
                    merged = Merge(x, y, Combine(Boolop.Or, Negate(x.FallCond), y.FallCond), y.Target);
                }
                else if (Same(x.Target, y.Fall) || !loopTest && IsThreadedToJumpAt(x.Target, y.Fall))
                    merged = Merge(x, y, Combine(Boolop.Or, Negate(x.FallCond), y.FallCond), y.Target);
                else if (!loopTest && IsCopyOfExitAt(x.Target, y.Fall) is int copyEnd)
                {
                    merged = Merge(x, y, Combine(Boolop.Or, Negate(x.FallCond), y.FallCond), y.Target);
                    merged.ExitCopies.Add((RealAt(x.Target), copyEnd));
                }
                if (merged is null) continue;
                nodes[i] = merged;
                nodes.RemoveAt(i + 1);
                changed = true;
                break;
            }
        }
        return nodes.Count == 1 ? nodes[0] : null;
    }

    private bool Same(int a, int b) => a == b || RealAt(a) == RealAt(b);

    /// <summary>Whether the condition jumps back to a loop head when it holds.</summary>
    private bool JumpsBackToLoopHead(CondNode node) =>
        node.Target < node.FirstOp && _flow.IsLoopHead(_flow.BlockIdOf(node.Target)) && _flow.BlockOf(node.Target).Start == node.Target;

    /// <summary>
    /// Whether the condition goes on into a loop when it holds: it falls into a loop head (the body of a 3.10-3.13
    /// while, after its top test) or into a lone jump back (3.12's bottom test, which has no backward conditional jump).
    /// </summary>
    private bool GoesOnInLoop(CondNode node)
    {
        int fall = RealAt(node.Fall);
        if (fall >= _ops.Length) return false;
        if (BodyHeadAfterTest(node) is not null) return true;
        return _ops[fall].Kind == OpKind.Jump && _ops[fall].Target < fall && IsLoneJumpTo(fall, _ops[fall].Target)
            && _flow.IsLoopHead(_flow.BlockIdOf(_ops[fall].Target));
    }

    /// <summary>
    /// 3.10+: where the optimizer's copy (same ops, same line) of the small exit block at <paramref name="original"/>
    /// that starts at <paramref name="copy"/> ends, or null: a jump there went to that block in the source (`assert a and b < c < d`: the
    /// first test's jump to the raise, copied after the chain's clean-up).
    /// </summary>
    private int? IsCopyOfExitAt(int copy, int original) =>
        _ops[RealAt(copy)].Line == _ops[RealAt(original)].Line ? CopiedExitEnd(copy, original) : null;

    /// <summary>
    /// Whether the op at <paramref name="pos"/> is an unconditional jump to <paramref name="target"/> that starts its
    /// block: jumping to it is going to <paramref name="target"/>, however the optimizer threaded (3.10 threads a
    /// conditional jump through it only when their lines agree).
    /// </summary>
    private bool IsLoneJumpTo(int pos, int target)
    {
        int p = RealAt(pos);
        if (p >= _ops.Length || _ops[p].Kind != OpKind.Jump || !Same(_ops[p].Target, target)) return false;
        var block = _flow.BlockOf(p);
        return block.Start == p || _flow.FirstRealOp(block) == p;
    }

    /// <summary>
    /// A lone jump (<see cref="IsLoneJumpTo"/>) that two conditions can share as their way out. In 3.8-3.9 a lone jump
    /// with a line of its own that a conditional jump still reaches is a written `break` or `continue`: the else
    /// branch of that condition's if (see OpNormalizer.UnthreadJumpOnlyElses), which the other condition skips.
    /// </summary>
    private bool IsSharedLoneJumpTo(int pos, int target) =>
        IsLoneJumpTo(pos, target) && !(_ctx.Version <= PythonVersion.V3_9 && _ops[RealAt(pos)].Instruction.IsLineStart);

    /// <summary>
    /// Whether <paramref name="target"/> is where the lone unconditional jump at <paramref name="pos"/> goes: a
    /// conditional jump to that jump was threaded on to its target (`if a or b: break`: a's jump into the body, which
    /// is the break's jump, goes straight to the loop exit).
    /// </summary>
    private bool IsThreadedToJumpAt(int target, int pos)
    {
        return PeepholeThreadsThroughBodies && IsLoneJumpTo(pos, target);
    }

    /// <summary>
    /// 3.13+: a while loop's exit that falls off the end of an enclosing loop's body (the loop is the last statement
    /// of an if's then-branch there) is that loop's jump back: the optimizer threads each operand's exit jump to the
    /// outer head and gives each its own jump back (see IsThreadedLoopEnd), so the operands of `while a and b:`
    /// reach two lone jumps to the same target. The first in layout is taken for the original and the other for its
    /// copy; null when <paramref name="a"/> and <paramref name="b"/> are not such a pair. (An if's operands keep
    /// the nested ifs that give each its own exit.)
    /// </summary>
    private (int Original, int Copy)? CopiedLinelessJump(int a, int b)
    {
        if (!InlinesSmallLinelessBlocks || !AreLoneJumpsToOnePlace(a, b)) return null;
        int pa = RealAt(a), pb = RealAt(b);
        if (_ops[pa].Name != _ops[pb].Name) return null;
        return pa < pb ? (pa, pb) : (pb, pa);
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> are two different lone unconditional jumps (see
    /// <see cref="IsLoneJumpTo"/>) to one place.</summary>
    private bool AreLoneJumpsToOnePlace(int a, int b)
    {
        int pa = RealAt(a), pb = RealAt(b);
        if (pa == pb || pa >= _ops.Length || pb >= _ops.Length || _ops[pa].Kind != OpKind.Jump) return false;
        return IsLoneJumpTo(pa, _ops[pa].Target) && IsLoneJumpTo(pb, _ops[pa].Target);
    }

    private static CondNode Merge(CondNode x, CondNode y, ExprNode cond, int target) => new()
    {
        FallCond = cond,
        Target = target,
        Fall = y.Fall,
        Blocks = [.. x.Blocks, .. y.Blocks],
        FirstOp = x.FirstOp,
        LastOp = y.LastOp,
        ExitCopies = [.. x.ExitCopies, .. y.ExitCopies],
        OverElse = x.OverElse,
    };

    // ---------------------------------------------------------------- value context

    /// <summary>JUMP_IF_X_OR_POP (or its 3.12+ copy form): `left and right` / `left or right`, or a chained comparison.</summary>
    private int ReduceKeep(Op op)
    {
        Consume(op.Index);
        var leftItem = _eval.Stack.Peek();
        var left = _eval.PopExpr();
        if (left is Compare c && _eval.Stack.Count > 0 && ReferenceEquals(_eval.Stack.Peek(), c.Comparators[^1]) && IsChainCleanup(op.Target, out int end))
        {
            // 3.8-3.9: the last link's jump over the clean-up to a return became a copy of that return.
            int linkEnd = PrevReal(RealAt(op.Target));
            bool returnCopy = end < _ops.Length && _ops[end].Kind == OpKind.Return && _ops[linkEnd].Kind == OpKind.Return
                && SameOpcode(_ops[linkEnd].Instruction, _ops[end].Instruction);
            EvalValue(NextReal(op.Index), returnCopy ? linkEnd : end, null);
            if (returnCopy) Consume(linkEnd);
            var right = _eval.PopExpr();
            if (right is not Compare rc || !ReferenceEquals(rc.Left, c.Comparators[^1])) throw Fail("chained comparison link does not compare the shared operand", op.Index);
            _eval.Push(S.Compare(c.Left, c.Ops.AddRange(rc.Ops), c.Comparators.AddRange(rc.Comparators)));
            return end;
        }
        _ = leftItem;
        EvalValue(NextReal(op.Index), op.Target, null);
        var rightValue = _eval.PopExpr();
        _eval.Push(CombineValue(op.Sense == JumpSense.IfFalse ? Boolop.And : Boolop.Or, left, rightValue));
        return op.Target;
    }

    /// <summary>The clean-up of a value-context chained comparison: ROT_TWO/SWAP 2; POP_TOP, falling into the end.</summary>
    private bool IsChainCleanup(int target, out int end)
    {
        end = -1;
        int a = RealAt(target);
        if (a >= _ops.Length) return false;
        var first = _ops[a];
        if (!(first.Name == "ROT_TWO" || (first.Name == "SWAP" && first.Instruction.Arg == 2))) return false;
        int b = NextReal(a);
        if (b >= _ops.Length || _ops[b].Name != "POP_TOP") return false;
        Consume(a);
        Consume(b);
        end = NextReal(b);
        return true;
    }

    /// <summary>A conditional jump inside an expression: a conditional expression, or a threaded and/or.</summary>
    private int ReduceConditionValue(Op op, Region region)
    {
        // The operands after the first compute their value on top of the values pending under the condition (a
        // call's function and earlier arguments), not on the statement's base.
        var node = BuildCondition(op, region.Child(baseDepth: _eval.Stack.Count - 1));
        int block = _flow.BlockIdOf(node.FirstOp);
        int ipdom = _flow.ImmediatePostDominator(block);
        if (ipdom < 0 || ipdom == _flow.VirtualNode) throw Fail("a conditional expression without a join", op.Index);
        return ReduceTernaryOrThreaded(node, _flow.Blocks[ipdom].Start, region);
    }

    /// <summary>
    /// After a condition in value context: either `a if c else b` (both arms reach <paramref name="join"/> with
    /// one value), or a jump threaded into an and/or (`(a and b) or c`: the then-arm ends in a keep-jump whose
    /// fall-through is the condition's target).
    /// </summary>
    private int ReduceTernaryOrThreaded(CondNode node, int join, Region region)
    {
        var baseStack = _eval.Stack;
        _eval.Stack = baseStack.Clone();
        var threaded = EvalValue(node.Fall, join, node.Target);
        if (threaded is not null)
        {
            var b = _eval.PopExpr();
            var combined = threaded.Sense == JumpSense.IfTrue
                ? Combine(Boolop.And, node.FallCond, b)
                : Combine(Boolop.Or, Negate(node.FallCond), b);
            EvalValue(node.Target, threaded.Target, null);
            var right = _eval.PopExpr();
            _eval.Push(CombineValue(threaded.Sense == JumpSense.IfFalse ? Boolop.And : Boolop.Or, combined, right));
            return threaded.Target;
        }
        // Each arm leaves exactly one value over what the condition found. An arm that leaves more ran into a copy of
        // the rest of the expression that starts inside a fused load (`LOAD_FAST_LOAD_FAST a, b` in one arm, `None;
        // LOAD_FAST b` in the other): the join is not where the arms meet, and one value per arm would drop code.
        int armDepth = baseStack.Count + 1;
        if (_eval.Stack.Count != armDepth) throw Fail("a conditional expression arm that leaves more than its value", node.FirstOp);
        var thenValue = _eval.PopExpr();
        _eval.Stack = baseStack;
        EvalValue(node.Target, join, null);
        if (_eval.Stack.Count != armDepth) throw Fail("a conditional expression arm that leaves more than its value", node.Target);
        var elseValue = _eval.PopExpr();
        _eval.Push(S.IfExp(JumpTest(node.FallCond), thenValue, elseValue));
        return join;
    }

    /// <summary>
    /// Evaluates an expression's ops from <paramref name="pos"/> until <paramref name="until"/>, reducing nested
    /// and/or and conditional expressions. When <paramref name="threadInto"/> is set and a keep-jump falls into it,
    /// stops there and returns that keep-jump (its value on the stack).
    /// </summary>
    private Op? EvalValue(int pos, int until, int? threadInto)
    {
        if (++_depth > 600) { _depth--; throw Fail("expressions nested too deeply", pos); }
        try
        {
            return EvalValueOnce(pos, until, threadInto);
        }
        finally
        {
            _depth--;
        }
    }

    private Op? EvalValueOnce(int pos, int until, int? threadInto)
    {
        var savedOut = _eval.Out;
        var scratch = new List<StmtNode>();
        _eval.Out = scratch;
        try
        {
            int guard = 0;
            while (RealAt(pos) != RealAt(until))
            {
                if (++guard > _ops.Length + 10) throw Fail("an expression does not reach its join", pos);
                if (pos >= _ops.Length) throw Fail("an expression runs past the code", pos);
                int term = TerminatorIndex(pos);
                int stopAt = until > pos && until < term ? until : term;
                int inlinedTo = -1;
                for (int i = pos; i < stopAt; i++)
                {
                    var op = _ops[i];
                    if (op.Kind == OpKind.Skip) { Consume(i); continue; }
                    if (op.Kind != OpKind.Plain) throw Fail($"{op.Name} inside an expression", i);
                    if (TryInlineComprehension(i, null, scratch, out int resume) && resume != i) { inlinedTo = resume; break; }
                    _eval.Eval(op);
                }
                // An inlined comprehension is blocks of its own (its loop): the value goes on after it.
                if (inlinedTo >= 0) { pos = inlinedTo; continue; }
                if (stopAt == until) break;
                var block = _flow.BlockOf(pos);
                if (term >= block.End) { pos = block.End; continue; }
                var t = _ops[term];
                switch (t.Kind)
                {
                    case OpKind.Jump:
                        Consume(term);
                        if (t.Target <= term) throw Fail("backward jump inside an expression", term);
                        pos = t.Target;
                        break;
                    case OpKind.KeepJump:
                        if (threadInto is int into && Same(NextReal(term), into))
                        {
                            Consume(term);
                            return t;
                        }
                        pos = ReduceKeep(t);
                        break;
                    case OpKind.CondJump:
                    {
                        var region = new Region { Base = _eval.Stack.Count - 1 };
                        pos = ReduceConditionValue(t, region);
                        break;
                    }
                    default:
                        throw Fail($"{t.Name} inside an expression", term);
                }
            }
            if (scratch.Count > 0) throw Fail("a statement inside an expression", pos);
            return null;
        }
        finally
        {
            _eval.Out = savedOut;
        }
    }

    // ---------------------------------------------------------------- statements on a condition

    private void EmitIf(StmtNode stmt, CondNode node, List<StmtNode> output)
    {
        output.Add(stmt);
        _ctx.SetLine(stmt, _eval.StatementLine > 0 ? _eval.StatementLine : _ops[node.FirstOp].Line);
        _eval.StatementLine = 0;
    }

    private static ImmutableArray<StmtNode> Body(List<StmtNode> statements) =>
        statements.Count == 0 ? [S.Pass()] : [.. statements];

    private int StructureIf(CondNode node, Region region, List<StmtNode> output)
    {
        if (!_walking.Add(node.FirstOp)) throw Fail("an if statement contains itself (unstructured loop)", node.FirstOp);
        try
        {
            return StructureIfOnce(node, region, output);
        }
        finally
        {
            _walking.Remove(node.FirstOp);
        }
    }

    private int StructureIfOnce(CondNode node, Region region, List<StmtNode> output)
    {
        int line = _eval.StatementLine > 0 ? _eval.StatementLine : _ops[node.FirstOp].Line;
        _eval.StatementLine = 0;
        int elseStart = node.Target;
        var atIf = _eval.Stack;

        var thenRegion = region.Child(stops: [elseStart, RealAt(elseStart)], elseStart: RealAt(elseStart));
        var thenOut = new List<StmtNode>();
        _eval.Stack = atIf.Clone();
        int thenEnd = WalkSequence(node.Fall, thenRegion, thenOut);
        thenEnd = LeaveClauseFromBranch(thenEnd, elseStart, region, thenOut);

        var elseOut = new List<StmtNode>();
        int join;
        StmtNode? fusedReturn = null;
        if (thenEnd < 0 && thenOut is [.., var fallOff] && _fallOffLoopEnds.Contains(fallOff) && IsJumpBack(elseStart, region))
        {
            // The then-branch falls off the loop body through an if/else, and the if's own else is the jump back:
            // the if has no else, the branch ends at that jump.
            thenOut.RemoveAt(thenOut.Count - 1);
            thenEnd = elseStart;
        }
        if (thenEnd < 0 && ThenEndsInCopyOfLaterExit(node, elseStart, thenOut, region, atIf, elseOut, out fusedReturn) is int original)
        {
            // The then-branch ended in the optimizer's copy of the small exit block after the if (a `return` that
            // keeps that block's line): the branches rejoin there.
            join = original;
        }
        else if (thenEnd >= 0 && Same(thenEnd, elseStart))
        {
            join = elseStart;
            if (JumpsOverNothing(node, elseStart)) EmitPass(LinedNopBetween(elseStart, RealAt(elseStart)), elseOut);
        }
        else if (thenEnd >= 0)
        {
            join = thenEnd;
            var elseRegion = region.Child(stops: [join, RealAt(join)]);
            _eval.Stack = atIf.Clone();
            int elseEnd = WalkSequence(elseStart, elseRegion, elseOut);
            if (elseEnd >= 0 && !Same(elseEnd, join) && !JumpChainsMeet(join, elseEnd))
            {
                // The else branch is laid out after the then-branch, and so is its copy of their join (a then-branch
                // ending in a 3.11+ handler, laid out at the end, met a copy there).
                int? copyEnd = RealAt(elseEnd) < RealAt(join) ? null : CopiedExitEnd(elseEnd, join);
                copyEnd ??= ClauseExitCopyEnd(elseEnd, join);
                if (copyEnd is null && RealAt(elseEnd) < RealAt(join) && LinelessExitCopyEnd(join, elseEnd) is int joinCopyEnd)
                {
                    // 3.10: the then-branch jumped to its own copy of the exit block the else falls into (copied per
                    // jump for want of a line: POP_BLOCK, a finally body, the return): the join is the else's end.
                    ConsumeRange(BlockStartBeforePopBlocks(join), joinCopyEnd + 1);
                    join = elseEnd;
                }
                else if (copyEnd is null) throw Fail($"else branch ends at op {elseEnd}, not at the join {join}", elseStart);
                else ConsumeRange(RealAt(elseEnd), copyEnd.Value + 1);
            }
        }
        else if (_ctx.Scope is ScopeKind.Module or ScopeKind.Class && thenOut.Count > 0 && thenOut[^1] is Return { Value: null })
        {
            // 3.10+ copies the implicit `return None` into each branch; a module or class body cannot say
            // `return`, so the rest of the sequence is the else branch and both returns are left out later.
            _eval.Stack = atIf.Clone();
            int rest = WalkSequence(elseStart, region.Child(), elseOut);
            _eval.Stack = atIf.Clone();
            var full = S.If(JumpTest(node.FallCond), Body(thenOut), [.. elseOut]);
            output.Add(full);
            _ctx.SetLine(full, line);
            return rest;
        }
        else if (IsCodeEnd(region) && thenOut is not [Return] && EndsInImplicitReturn(thenOut)
            && TrialWalk(elseStart, region.Child(), elseOut, end => end < 0) is not null)
        {
            // A function's copy of the implicit return has no line of its own: the if ended the function, and the
            // rest of the sequence (which never falls out) is its else branch.
            _eval.Stack = atIf.Clone();
            var full = S.If(JumpTest(node.FallCond), Body(thenOut), [.. elseOut]);
            output.Add(full);
            _ctx.SetLine(full, line);
            return -1;
        }
        else if (DeadJumpBefore(elseStart) is int deadJump)
        {
            // 3.8-3.9 keep the then-branch's jump over the else after a raise: the else runs up to its target.
            Consume(deadJump);
            join = _ops[deadJump].Target;
            _eval.Stack = atIf.Clone();
            int elseEnd = WalkSequence(elseStart, region.Child(stops: [join, RealAt(join)]), elseOut);
            if (elseEnd >= 0 && !Same(elseEnd, join)) throw Fail($"else branch ends at op {elseEnd}, not at the join {join}", elseStart);
            if (elseOut.Count == 0) elseOut.Add(S.Pass());
            // The dead jump went past the else of enclosing ifs too (threaded to their join), as a live one would.
            if (_ops[RealAt(join)].Kind != OpKind.Jump) EndThenBranchesAt(join, region, deadJump);
        }
        else if (thenOut is [.., var loopEnd] && _threadedLoopEnds.Contains(loopEnd) && !IsJumpBack(elseStart, region)
            && OnlyIfsUpToLoopBody(region))
        {
            // The then-branch falls off the end of the loop body (see IsThreadedLoopEnd): the rest of the body is
            // the else branch, so the branch needs no `continue` (a written one is a jump of its own). (When the
            // rest is the jump back itself, the if has no else: an enclosing if's branch ends there too.)
            thenOut.RemoveAt(thenOut.Count - 1);
            _eval.Stack = atIf.Clone();
            int rest = WalkSequence(elseStart, region.Child(), elseOut);
            StripTrailingContinue(elseOut);
            _eval.Stack = atIf.Clone();
            var full = MakeIf(node.FallCond, thenOut, elseOut);
            output.Add(full);
            _ctx.SetLine(full, line);
            // The if/else falls off the loop body too: the enclosing if's then-branch ends there the same way.
            if (rest < 0)
            {
                EmitLoopBodyEnd(output, _ctx.Lines.TryGetValue(loopEnd, out int endLine) ? endLine : 0, ownJump: false);
            }
            return rest;
        }
        else if (thenOut.Count > 0 && thenOut[^1] is Return && ElseUpToDeadCode(elseStart, region, atIf, elseOut))
            join = -1; // both branches leave; what follows the if is dead code
        else
            join = elseStart; // the then-branch never completes: what follows is the rest of the sequence

        _eval.Stack = atIf.Clone();
        var stmt = MakeIf(node.FallCond, thenOut, elseOut);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        // An if without else can end past the else of enclosing ifs (its jump threaded to their join): their
        // then-branches end with it. An end that is still a jump is reached by the walk, which follows it.
        if (Same(join, elseStart) && !region.IsStop(elseStart) && _ops[RealAt(elseStart)].Kind != OpKind.Jump)
            EndThenBranchesAt(elseStart, region, node.LastOp, innermostAlways: _ctx.Version < PythonVersion.V3_11);
        if (fusedReturn is not null)
        {
            // The else branch's last store and the original's load were one superinstruction: the walk took the
            // return with the else; it follows the if.
            output.Add(fusedReturn);
            return -1;
        }
        if (thenEnd < 0 && elseOut.Count == 0) return elseStart;
        return join;
    }

    /// <summary>
    /// Whether <paramref name="region"/> sits in the innermost loop's body through if branches only: an if/else that
    /// falls off there falls off the loop body (in a try or with body it would run their exit code first, in a case
    /// body it reaches the match's end).
    /// </summary>
    private static bool OnlyIfsUpToLoopBody(Region region)
    {
        for (var r = region; r is not null; r = r.Parent)
        {
            if (r.Loop is not null) return true;
            if (r.Exit is not null || r.Finally is not null || r.IsCaseBody || !ReferenceEquals(r.Handler, region.Handler)) return false;
        }
        return false;
    }

    /// <summary>Whether the op at <paramref name="pos"/> is a jump to the head of the innermost loop.</summary>
    private bool IsJumpBack(int pos, Region region)
    {
        var op = _ops[RealAt(pos)];
        return op.Kind == OpKind.Jump && region.InnermostLoop is { } loop && loop.ContinueTargets.Contains(op.Target);
    }

    /// <summary>
    /// Whether unconditional forward jumps from <paramref name="a"/> and from <paramref name="b"/> lead to one place.
    /// 3.8-3.9's peephole pass threads each jump one step, in layout order: a then-branch's jump over its else goes
    /// to where the jump at the if's join went before that jump was itself threaded on, so the branches end at two
    /// ops of one chain of jumps, which the source's single join compiles to.
    /// </summary>
    private bool JumpChainsMeet(int a, int b)
    {
        var fromA = ForwardJumpChain(a);
        return ForwardJumpChain(b).Any(fromA.Contains);
    }

    /// <summary><paramref name="pos"/> and the ops reached from it by following unconditional forward jumps, and the
    /// target of a backward jump that ends them (a loop's jump back, where branches ending the loop body meet).</summary>
    private HashSet<int> ForwardJumpChain(int pos)
    {
        var chain = new HashSet<int>();
        for (int p = RealAt(pos); p >= 0 && p < _ops.Length && chain.Add(p); p = RealAt(_ops[p].Target))
        {
            if (_ops[p].Kind != OpKind.Jump) break;
            if (_ops[p].Target <= p)
            {
                chain.Add(RealAt(_ops[p].Target));
                break;
            }
        }
        return chain;
    }

    /// <summary>Whether the ops from <paramref name="start"/> to the return at <paramref name="ret"/> use nothing that was
    /// on the stack before them (a with's exit code before a return pops what the return statement pushed).</summary>
    private bool LoadsItsOwnValue(int start, int ret)
    {
        int depth = _ops[start].Depth;
        for (int k = NextReal(start); k <= ret && k < _ops.Length; k = NextReal(k))
            if (_ops[k].Depth < depth) return false;
        return _ops[ret].Name == "RETURN_CONST" || _ops[ret].Depth > depth;
    }

    /// <summary>
    /// 3.10 and 3.12+ copy a small exit block (`return result`) into each jump to it, lines included. When the
    /// then-branch's last statement is such a return and a later, untaken block repeats it op for op on the same
    /// line, that block is the original, after the if: the return is taken off the branch, the else branch is
    /// walked up to the original, and its op is returned (the join). Null, with nothing changed, otherwise.
    /// </summary>
    private int? ThenEndsInCopyOfLaterExit(CondNode node, int elseStart, List<StmtNode> thenOut, Region region,
        SymbolicStack atIf, List<StmtNode> elseOut, out StmtNode? fusedReturn)
    {
        fusedReturn = null;
        StmtNode? fused = null;
        // A return alone only of a name or a constant, whose copy is its load and the return (or RETURN_CONST): a
        // return that leaves a with or try runs their exit code, which repeats whatever the value was. A longer copy
        // (`return a, b`) must match the original's lines op for op.
        if (!InlinesSmallExitBlocks || thenOut.Count == 0 || thenOut[^1] is not Return last) return null;
        bool simpleReturn = last.Value is null or Name or Constant;
        int ret = -1;
        for (int i = RealAt(elseStart) - 1; i >= node.Fall; i--)
            if (_ctx.Consumed[i] && _ops[i].Kind != OpKind.Skip) { ret = i; break; }
        if (ret < 0 || _ops[ret].Kind != OpKind.Return) return null;
        int original = -1, copyStart = -1, originalReturn = -1, copied = 0;
        for (int y = _ops.Length - 1; y > elseStart && original < 0; y--)
        {
            if (_ops[y].Kind != OpKind.Return || _ctx.Consumed[y] || _ops[y].Line != _ops[ret].Line) continue;
            // The copy is whole statements: a match of up to the block's four ops that starts on the stack the if
            // started with; the return alone (its load and the return) or, the longest, more statements before it
            // (`self.value = 0` and the implicit return).
            int c = ret, o = y;
            for (int k = 1; k <= MaxExitCopySize && c >= node.Fall && o > elseStart; k++)
            {
                // (Not in a loop, nor a block inside a loop of the else branch: there a `break` copies the loop's
                // follow too, and the two copies read as one if's branch and its join.)
                int statements = k <= 2 ? (simpleReturn ? 1 : 0)
                    : region.InnermostLoop is null && SameLines(c, o, ret) && !InLoopStartingAfter(elseStart, o) ? CopiedStatements(thenOut, node.Fall, c, ret) : 0;
                if (statements > 0 && LoadsItsOwnValue(c, ret) && _ops[c].Depth == atIf.Count && _ops[o].Depth == atIf.Count && ExitCopyEnd(c, o) == ret)
                    (original, copyStart, originalReturn, copied) = (o, c, y, statements);
                // 3.13+: the original's load may be fused with the store before it (STORE_FAST_LOAD_FAST).
                else if (statements > 0 && k == 2 && _ops[c].Depth == atIf.Count && _ops[o].Handler == OpcodeHandler.StoreFastLoadFast
                    && _ops[o].Instruction.Argument is LocalPairArgument pair && _ops[c].Instruction.Argument is LocalArgument loaded
                    && pair.Second.Name == loaded.Name && SameOpcode(_ops[ret].Instruction, _ops[y].Instruction))
                    (original, copyStart, originalReturn, copied) = (o, c, y, 1);
                c = PrevReal(c);
                o = PrevReal(o);
            }
        }
        if (original < 0) return null;
        var taken = thenOut[^copied..];
        thenOut.RemoveRange(thenOut.Count - copied, copied);
        _eval.Stack = atIf.Clone();
        // The else branch reaches the original, or ends in a copy of it too.
        bool ReachesOriginal(int end)
        {
            if (end >= 0) return Same(end, original);
            // A copy of more than the return: only an else that runs into the original.
            if (copied > 1 || elseOut.Count == 0 || elseOut[^1] is not Return) return false;
            if (_ctx.Consumed[originalReturn])
            {
                fused = elseOut[^1];
                elseOut.RemoveAt(elseOut.Count - 1);
                return true;
            }
            int last = -1;
            for (int i = original - 1; i >= elseStart; i--)
                if (_ctx.Consumed[i] && _ops[i].Kind != OpKind.Skip) { last = i; break; }
            if (last < 0 || _ops[last].Kind != OpKind.Return || _ops[last].Line != _ops[ret].Line) return false;
            for (int c = last, k = 1; k <= (simpleReturn ? 2 : MaxExitCopySize) && c > elseStart; k++, c = PrevReal(c))
                if (_ops[c].Depth == atIf.Count && ExitCopyEnd(c, original) == last)
                {
                    elseOut.RemoveAt(elseOut.Count - 1);
                    return true;
                }
            return false;
        }
        // The walk may arrive at the skipped ops (a NOP) before the original.
        int runStart = original;
        while (runStart > elseStart + 1 && _ops[runStart - 1].Kind == OpKind.Skip) runStart--;
        if (TrialWalk(elseStart, region.Child(stops: [.. Enumerable.Range(runStart, original - runStart + 1)]), elseOut, ReachesOriginal) is not null)
        {
            // An else that is only a lined NOP before the original is a written `else: pass`.
            if (elseOut.Count == 0 && LinedNopBetween(elseStart, original) is int passLine && passLine > _ops[node.LastOp].Line && passLine != _ops[original].Line)
                EmitPass(passLine, elseOut);
            fusedReturn = fused;
            return original;
        }
        thenOut.AddRange(taken);
        return null;
    }

    /// <summary>The most instructions of an exit block the optimizer copies into a jump to it (MAX_COPY_SIZE).</summary>
    private const int MaxExitCopySize = 4;

    /// <summary>Whether <paramref name="pos"/> lies in a loop whose head is at or after <paramref name="from"/> (a jump back
    /// from past it to between them).</summary>
    private bool InLoopStartingAfter(int from, int pos)
    {
        for (int j = pos + 1; j < _ops.Length; j++)
            if (_ops[j].Kind is OpKind.Jump or OpKind.CondJump && _ops[j].Target >= from && _ops[j].Target <= pos) return true;
        return false;
    }

    /// <summary>Whether the ops from <paramref name="copy"/> to <paramref name="copyEnd"/> are on the lines of those from
    /// <paramref name="original"/>, op for op (a copy keeps them; the same statements written twice cannot).</summary>
    private bool SameLines(int copy, int original, int copyEnd)
    {
        for (int c = copy, o = original; c <= copyEnd; c = NextReal(c), o = NextReal(o))
            if (o >= _ops.Length || _ops[c].Line != _ops[o].Line) return false;
        return true;
    }

    /// <summary>
    /// How many of the branch's last statements the ops from <paramref name="copyStart"/> to the return make up: those
    /// on the copied ops' lines, the first starting at <paramref name="copyStart"/>; 0 when the copy starts inside a
    /// statement (an op of the branch before it is on one of those lines: `x = a if c else b`, its store copied).
    /// </summary>
    private int CopiedStatements(List<StmtNode> branch, int branchStart, int copyStart, int ret)
    {
        int? first = _ops[copyStart].Line, last = _ops[ret].Line;
        if (first is null || last is null) return 0;
        for (int i = branchStart; i < copyStart; i++)
            if (_ctx.Consumed[i] && _ops[i].Kind != OpKind.Skip && _ops[i].Line >= first && _ops[i].Line <= last) return 0;
        int copied = 0;
        while (copied < branch.Count && _ctx.Lines.TryGetValue(branch[^(copied + 1)], out int at) && at >= first && at <= last) copied++;
        return copied > 0 && _ctx.Lines.TryGetValue(branch[^copied], out int start) && start == first ? copied : 0;
    }

    /// <summary>
    /// A branch (an if's then-branch, a loop's else) that stops at its except clause's POP_EXCEPT laid out before where
    /// the branch would rejoin: a join cannot come before that, so the clause's exit there (`POP_EXCEPT; JUMP` of a
    /// break, continue or return) is the branch's own last statement. Returns -1 when it was taken into the branch,
    /// else <paramref name="branchEnd"/>.
    /// </summary>
    /// <param name="rejoin">Where the branch would rejoin: an if's else, a loop's break target (int.MaxValue for an
    /// if running to the loop end).</param>
    private int LeaveClauseFromBranch(int branchEnd, int rejoin, Region region, List<StmtNode> branch)
    {
        if (branchEnd < 0 || RealAt(branchEnd) >= RealAt(rejoin) || _ops[RealAt(branchEnd)].Name != "POP_EXCEPT") return branchEnd;
        if (ExitRegion(region) is not { Exit: ExceptBodyExit exit }) return branchEnd;
        int after = exit.MatchUnwinding(branchEnd);
        // The clause's normal end (a join) is laid out after an if's else; 3.13+ copy it into the then-branch, but
        // lineless, so it takes the line of the code before it. A jump back to the loop head in the then-branch is
        // then a continue even when it is the loop's last: always in 3.10-3.12, in 3.13+ when the clause's exit stands
        // on a line of its own. (3.8-3.9 keep the dead jump over the else, which tells the two apart elsewhere.)
        int exitAt = RealAt(branchEnd), before = PrevReal(exitAt);
        bool beforeElse = rejoin != int.MaxValue && !KeepsDeadExitAfterJump
            && (!InlinesSmallLinelessBlocks || before >= 0 && _ops[exitAt].Line > 0 && _ops[exitAt].Line != _ops[before].Line);
        if (after < 0 || !IsAbrupt(after, exit.Outer, leftWithBeforeItsFollow: beforeElse)) return branchEnd;
        exit.ConsumeUnwinding(branchEnd, after);
        var abruptIn = LeaveEnclosingExits(ref after, exit.Outer);
        int end = WalkAfterUnwinding(after, abruptIn.Child(), branch);
        if (end >= 0) throw Fail("an except clause's exit inside a branch does not leave", after);
        return -1;
    }

    /// <summary>Outside loops and finally blocks of a function, module or class: where a copy of the implicit return can mean the end of the code.</summary>
    private bool IsCodeEnd(Region region) =>
        _ctx.Scope is ScopeKind.Function or ScopeKind.Module or ScopeKind.Class && region.InnermostLoop is null && !region.InFinallyHandler;

    /// <summary>True when a branch ends with the optimizer's copy of the implicit return (or an if/else whose branches both do).</summary>
    private bool EndsInImplicitReturn(IReadOnlyList<StmtNode> body) => body.Count > 0 && body[^1] switch
    {
        // Module and class bodies cannot return: every return there is the compiler's.
        Return { Value: null } r => _ctx.ImplicitReturnsOrEmpty.Contains(r) || _ctx.Scope is ScopeKind.Module or ScopeKind.Class,
        If { Orelse.IsEmpty: false } i => EndsInImplicitReturn(i.Body) && EndsInImplicitReturn(i.Orelse),
        // The copy follows a with's exit code: it ends the with body as read.
        With w => EndsInImplicitReturn(w.Body) || _withsEndingInImplicitReturn.Contains(w),
        AsyncWith w => EndsInImplicitReturn(w.Body),
        _ => false,
    };

    /// <summary>
    /// An `else: pass` leaves the then-branch's jump over it: 3.8-3.9 keep a jump to the very next op, 3.10+ (which
    /// drop such jumps) a jump over the NOP that keeps the pass's line. A branch that falls into what follows has no
    /// jump there.
    /// </summary>
    private bool JumpsOverNothing(CondNode node, int elseStart)
    {
        int j = PrevReal(RealAt(elseStart));
        // The jump as written (not a return the normalizer turned back into a jump to its original).
        if (j < node.Fall || _ops[j].Kind != OpKind.Jump || _ops[j].Name is not ("JUMP_FORWARD" or "JUMP_ABSOLUTE")
            || j >= _ops[j].Target || !Same(_ops[j].Target, elseStart)) return false;
        if (_ctx.Version < PythonVersion.V3_10) return true;
        // The pass is written after the branch: a NOP on a line of the if or its branch is another statement's
        // (3.14 keeps the if's line on the NOP its false edge lands on at the end of a try body).
        return LinedNopBetween(elseStart, RealAt(elseStart)) > LastLineIn(node.FirstOp, j + 1);
    }

    /// <summary>The line of the first NOP from <paramref name="start"/> up to <paramref name="end"/> that has one, or 0.</summary>
    private int LinedNopBetween(int start, int end)
    {
        for (int i = start; i < end && i < _ops.Length; i++)
            if (_ops[i].Name == "NOP" && _ops[i].Line > 0) return _ops[i].Line;
        return 0;
    }

    private void EmitPass(int line, List<StmtNode> output)
    {
        var pass = S.Pass();
        output.Add(pass);
        _ctx.SetLine(pass, line);
    }

    /// <summary>The unreachable jump that ends a then-branch which never completes (dead code 3.8-3.9 leave after a raise): the else branch's end.</summary>
    private int? DeadJumpBefore(int elseStart)
    {
        int j = PrevReal(RealAt(elseStart));
        // Forward past the else, or (threaded) back to the head of the loop the if/else ends.
        if (j < 0 || _ops[j].Kind != OpKind.Jump || _ops[j].Target <= j && !_flow.IsLoopHead(_flow.BlockOf(RealAt(_ops[j].Target)).Id)) return null;
        var block = _flow.BlockOf(j);
        return block.Unreachable && block.Start == j ? j : null;
    }

    /// <summary>
    /// 3.8-3.9, a then-branch ending in return (the jump over the else went with the dead code after it): the rest of
    /// the sequence is the else branch when it ends in a return statement right before unreachable code. The peephole
    /// optimizer drops dead code after a return only up to the next jump target, so dead code there starts at a
    /// construct's end label: a plain statement after the if would have been the if's own end, reached by its jump.
    /// </summary>
    private bool ElseUpToDeadCode(int elseStart, Region region, SymbolicStack atIf, List<StmtNode> elseOut)
    {
        if (!KeepsDeadExitAfterJump) return false;
        if (PrevReal(RealAt(elseStart)) is not (int thenLast and >= 0) || _ops[thenLast].Kind != OpKind.Return) return false;
        int deadStart = -1;
        foreach (var block in _flow.Blocks)
            if (block.Start > RealAt(elseStart) && block.Unreachable && (deadStart < 0 || block.Start < deadStart)) deadStart = block.Start;
        if (deadStart < 0 || PrevReal(deadStart) is not (int last and >= 0) || _ops[last].Kind != OpKind.Return) return false;
        var consumedBefore = (bool[])_ctx.Consumed.Clone();
        _eval.Stack = atIf.Clone();
        return TrialWalk(elseStart, region.Child(stops: [deadStart]), elseOut, end =>
            end < 0 && elseOut.Count > 0 && elseOut[^1] is Return && _ctx.Consumed[last] && AllReachableConsumed(elseStart, deadStart)
            && !ConsumedFrom(deadStart, consumedBefore)) is not null;
    }

    /// <summary>Whether an op at or after <paramref name="from"/> was consumed since <paramref name="before"/> was taken.</summary>
    private bool ConsumedFrom(int from, bool[] before)
    {
        for (int i = from; i < before.Length; i++)
            if (_ctx.Consumed[i] && !before[i]) return true;
        return false;
    }

    private bool AllReachableConsumed(int from, int to)
    {
        for (int i = from; i < to; i++)
            if (!_ctx.Consumed[i] && _ops[i].Kind != OpKind.Skip && !_flow.BlockOf(i).Unreachable) return false;
        return true;
    }

    /// <summary>
    /// 3.8-3.9: `if c: A` followed by `break` or `continue`, where A never completes: the condition's jump to that
    /// statement was threaded on to where it goes (the loop exit or head), leaving the statement's own jump dead
    /// after A. Read as `if not c: break` + A, the dead jump would be missing.
    /// </summary>
    private bool TryIfBeforeThreadedLoopJump(CondNode node, LoopInfo loop, Region region, List<StmtNode> output)
    {
        if (!KeepsDeadExitAfterJump) return false;
        bool toHead = loop.ContinueTargets.Contains(node.Target) || loop.ContinueTargets.Contains(RealAt(node.Target));
        bool toExit = loop.BreakTarget >= 0 && Same(node.Target, loop.BreakTarget);
        if (!toHead && !toExit) return false;
        int fall = RealAt(node.Fall), dead = -1;
        foreach (var block in _flow.Blocks)
            if (block.Start > fall && block.Unreachable && (dead < 0 || block.Start < dead)) dead = block.Start;
        if (dead < 0 || _ops[dead].Kind != OpKind.Jump || !Same(_ops[dead].Target, node.Target)) return false;
        // A dead jump to the head may be the loop's own closing jump: a written continue comes before it.
        int closing = NextReal(dead);
        if (toHead && (closing >= _ops.Length || _ops[closing].Kind != OpKind.Jump || !Same(_ops[closing].Target, node.Target))) return false;
        var atIf = _eval.Stack;
        var consumedBefore = (bool[])_ctx.Consumed.Clone();
        var thenOut = new List<StmtNode>();
        _eval.Stack = atIf.Clone();
        if (TrialWalk(node.Fall, region.Child(stops: [dead]), thenOut, end => end < 0 && AllReachableConsumed(fall, dead) && !ConsumedFrom(dead, consumedBefore)) is null)
        {
            _eval.Stack = atIf;
            return false;
        }
        int line = _eval.StatementLine > 0 ? _eval.StatementLine : _ops[node.FirstOp].Line;
        var stmt = MakeIf(node.FallCond, thenOut, []);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        _eval.Stack = atIf;
        Consume(dead);
        StmtNode leave = toHead ? S.Continue() : S.Break();
        if (toHead) _explicitContinues.Add(leave);
        output.Add(leave);
        _ctx.SetLine(leave, _ops[dead].Line);
        return true;
    }

    /// <summary>A condition that jumps to the loop head: `if cond: rest-of-body` (the join is the loop's end).</summary>
    private int IfToLoopEnd(CondNode node, Region region, List<StmtNode> output)
    {
        int line = _eval.StatementLine > 0 ? _eval.StatementLine : _ops[node.FirstOp].Line;
        _eval.StatementLine = 0;
        var atIf = _eval.Stack;
        _eval.Stack = atIf.Clone();
        var thenOut = new List<StmtNode>();
        int end;
        if (_ctx.Version >= PythonVersion.V3_12 && HasFoldedNot(JumpTest(node.FallCond)) && !HasFoldedNot(JumpTest(Negate(node.FallCond))))
        {
            // `if not a in b: rest` compiles otherwise (the not folds into the comparison). Unless the rest is an
            // assert's raise (an assert negates its test), the jump to the head is a `continue` on the if's line:
            // 3.12+ lay out both with the jump back after the condition (before, a `continue` keeps a jump of its own).
            if (TrialWalk(node.Fall, region.Child(), thenOut, _ => thenOut is [var raise] && _ctx.Pseudo.Get(raise) is AssertFailure) is not int walked)
            {
                _eval.Stack = atIf;
                var written = S.Continue();
                _explicitContinues.Add(written);
                var skip = S.If(JumpTest(Negate(node.FallCond)), [written]);
                output.Add(skip);
                _ctx.SetLine(skip, line);
                _ctx.SetLine(written, _ops[node.LastOp].Line);
                return node.Fall;
            }
            end = walked;
        }
        else end = WalkSequence(node.Fall, region.Child(), thenOut);
        // A then-branch that leaves its except clause (a return there) stops at the clause's POP_EXCEPT.
        end = LeaveClauseFromBranch(end, int.MaxValue, region, thenOut);
        if (EndsInBreakFallingOut(end, region.InnermostLoop!, thenOut)) end = -1;
        var elseOut = new List<StmtNode>();
        // The then-branch may run to the join of an enclosing if that is the loop's end (its jump back): the
        // condition's jump to the head was threaded past that join. The if has no else; the walk goes on there.
        bool runsToLoopEndJoin = end >= 0 && region.IsStop(end) && IsJumpBack(end, region) && DeadJumpBefore(end) is null;
        if (end >= 0 && !runsToLoopEndJoin)
        {
            // 3.8-3.9: `if c: a else: continue` ending an enclosing branch: the condition's jump to the else (a
            // `continue`) was threaded to the loop head, and that jump is left dead right before the join the
            // then-branch goes to.
            if (DeadJumpBefore(end) is not int deadContinue || !region.InnermostLoop!.ContinueTargets.Contains(_ops[deadContinue].Target))
                throw Fail("an if running to the loop end stops early", node.Fall);
            Consume(deadContinue);
            var written = S.Continue();
            _explicitContinues.Add(written);
            elseOut.Add(written);
            _ctx.SetLine(written, _ops[deadContinue].Line);
        }
        else if (end < 0) StripTrailingContinue(thenOut);
        var stmt = MakeIf(node.FallCond, thenOut, elseOut);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        _eval.Stack = atIf;
        if (end < 0 && _ctx.Version >= PythonVersion.V3_12 && InnermostThenRegion(region) is not null && OnlyIfsUpToLoopBody(region))
        {
            // 3.12+ (no backward conditional jumps: the condition jumps over a jump back of its own) lay out an if
            // ending an enclosing if's then-branch with no jump over that if's else: the branch reads as one that
            // never completes, and without a mark the rest of the sequence would run after it. The if falls off the
            // loop body the way a threaded if/else does (see IsThreadedLoopEnd): the enclosing if makes the rest its
            // else branch, or the mark stays a written `continue`.
            EmitLoopBodyEnd(output, line, ownJump: false);
        }
        return end;
    }

    /// <summary>An if statement, or an assert when the then-branch is only the raise of LOAD_ASSERTION_ERROR.</summary>
    private StmtNode MakeIf(ExprNode test, List<StmtNode> then, List<StmtNode> orelse)
    {
        if (then.Count == 1 && orelse.Count == 0 && _ctx.Pseudo.Get(then[0]) is AssertFailure fail)
            return MakeAssert(test, fail, then[0]);
        return S.If(JumpTest(test), Body(then), [.. orelse]);
    }

    /// <summary>
    /// The assert a condition jumping over `raise AssertionError` was made from. Its condition is the negated test;
    /// when that holds a `not` the AST optimizer would fold into the comparison (`not a is b`), the source was
    /// `if a: assert b` (its jumps merge into `assert not a or b`), or in a 3.8 function a plain raise.
    /// </summary>
    /// <summary>True when constant <paramref name="index"/> is numbered between the constants first loaded above
    /// <paramref name="line"/> and those first loaded from it on: where code on that line was compiled.</summary>
    private bool ConstantNumberedAtLine(int index, int line)
    {
        var firstLine = new Dictionary<int, int>();
        foreach (var op in _ops)
            if (op.Instruction.Argument is ConstArgument { Index: var c } && op.Line > 0 && !firstLine.ContainsKey(c)) firstLine[c] = op.Line;
        foreach (var (c, l) in firstLine)
            if (l < line && c > index || l >= line && c < index) return false;
        return index >= 0;
    }

    private StmtNode MakeAssert(ExprNode test, AssertFailure fail, StmtNode raise)
    {
        var message = fail.Message is Constant { Value: PyNone } ? null : fail.Message;
        // `if a: assert False, m` compiles as `assert not a, m` does, but leaves the dropped False in co_consts
        // where the version keeps unused constants (3.8-3.11, 3.14).
        if (_ctx.UnloadedConstant(c => c is PyBool { Value: false }) is not null && _ctx.Lines.TryGetValue(raise, out int atLine)
            && ConstantNumberedAtLine(_ctx.Code.Consts.IndexOf(PyBool.False), atLine))
        {
            var assertFalse = S.Assert(S.Constant(PyBool.False), message);
            if (_ctx.Lines.TryGetValue(raise, out int raiseLine)) _ctx.SetLine(assertFalse, raiseLine);
            return S.If(test, [assertFalse], []);
        }
        var holds = WithNotOutsideConditional(Negate(test));
        if (!HasFoldedNot(holds)) return S.Assert(holds, message);
        if (holds is BoolOp { Op: Boolop.Or } or)
        {
            for (int k = 1; k < or.Values.Length && or.Values[k - 1] is UnaryOp { Op: Unaryop.Not }; k++)
            {
                var guards = or.Values.Take(k).Select(Negate).ToList();
                var rest = k == or.Values.Length - 1 ? or.Values[k] : S.BoolOp(Boolop.Or, [.. or.Values.Skip(k)]);
                if (guards.Any(HasFoldedNot) || HasFoldedNot(rest)) continue;
                var inner = S.Assert(rest, message);
                if (_ctx.Lines.TryGetValue(raise, out int line)) _ctx.SetLine(inner, line);
                return S.If(guards.Count == 1 ? guards[0] : S.BoolOp(Boolop.And, [.. guards]), [inner], []);
            }
        }
        if (_ctx.Version < PythonVersion.V3_9 && _ctx.Scope is ScopeKind.Function)
        {
            var error = S.Name("AssertionError");
            var written = S.Raise(fail.Message is null ? error : S.Call(error, [fail.Message]));
            if (_ctx.Lines.TryGetValue(raise, out int line)) _ctx.SetLine(written, line);
            return S.If(test, [written], []);
        }
        if (!HasFoldedNot(JumpTest(holds))) return S.Assert(JumpTest(holds), message);
        throw Fail("an assert whose condition the compiler would fold into another comparison");
    }

    /// <summary>
    /// A condition in jump context (if, while, assert, conditional expression) written so that no `not` lands on a
    /// single is/in comparison: the AST optimizer folds `not a is b` into `a is not b` (other bytecode), while a `not`
    /// around an and/or only flips its operands' jumps, as De Morgan does. The reduction pushes each negation down
    /// to the operands; here it goes back up onto the and/or whose is/in operands need it. Unchanged when the test
    /// has no negated is/in comparison, or (3.11+) the compiler does not fold.
    /// </summary>
    private ExprNode JumpTest(ExprNode test)
    {
        test = WithNotOutsideConditional(test);
        if (!HasNegatedIsIn(test)) return test;
        return WithNegationsOnBoolOps(test, negate: false, JumpsOnNone) ?? test;
    }

    /// <summary>
    /// In jump context `not (a if c else b)` and `not a if c else not b` compile alike (the not only flips the
    /// operands' jumps): the reduction yields the second; the not goes back outside, or cancels with one there.
    /// </summary>
    private static ExprNode WithNotOutsideConditional(ExprNode e) => e switch
    {
        UnaryOp { Op: Unaryop.Not, Operand: IfExp { Body: UnaryOp { Op: Unaryop.Not } a, Orelse: UnaryOp { Op: Unaryop.Not } b } i } =>
            S.IfExp(i.Test, a.Operand, b.Operand),
        IfExp { Body: UnaryOp { Op: Unaryop.Not } a, Orelse: UnaryOp { Op: Unaryop.Not } b } i =>
            S.UnaryOp(Unaryop.Not, S.IfExp(i.Test, a.Operand, b.Operand)),
        UnaryOp { Op: Unaryop.Not } n when WithNotOutsideConditional(n.Operand) is var inner && !ReferenceEquals(inner, n.Operand) =>
            S.UnaryOp(Unaryop.Not, inner),
        BoolOp b when b.Values.Any(v => !ReferenceEquals(WithNotOutsideConditional(v), v)) =>
            S.BoolOp(b.Op, [.. b.Values.Select(WithNotOutsideConditional)]),
        _ => e,
    };

    /// <summary>
    /// <paramref name="e"/> (or `not e`) with each `not` on an and/or rather than on an is/in comparison; null when
    /// two is/in operands of one and/or need opposite negations (no source compiles to that).
    /// </summary>
    private static ExprNode? WithNegationsOnBoolOps(ExprNode e, bool negate, bool noneTestsFree)
    {
        switch (e)
        {
            case UnaryOp { Op: Unaryop.Not } n:
                return WithNegationsOnBoolOps(n.Operand, !negate, noneTestsFree);
            case BoolOp b:
            {
                // The operands are written under one negation or none; an is/in operand decides which.
                bool? operandsNegated = null;
                foreach (var v in b.Values)
                {
                    if (FoldableUnderNots(v, false, noneTestsFree) is not bool needs) continue;
                    if (operandsNegated is bool other && other != needs) return null;
                    operandsNegated = needs;
                }
                bool inner = operandsNegated ?? negate;
                var values = ImmutableArray.CreateBuilder<ExprNode>(b.Values.Length);
                foreach (var v in b.Values)
                {
                    if (WithNegationsOnBoolOps(v, inner, noneTestsFree) is not ExprNode written) return null;
                    values.Add(written);
                }
                // not (a or b) == (not a) and (not b): negated operands take the other operator.
                var op = inner ? (b.Op == Boolop.And ? Boolop.Or : Boolop.And) : b.Op;
                var combined = S.BoolOp(op, values.MoveToImmutable());
                return inner == negate ? combined : S.UnaryOp(Unaryop.Not, combined);
            }
            case Compare c when IsFoldableComparison(c, noneTestsFree):
                return negate ? null : c;
            case Compare { Ops: [Cmpop.Is or Cmpop.IsNot] } c when negate && noneTestsFree && c.Comparators[0] is Constant { Value: PyNone }:
                // Either spelling jumps on None: the negation is the inverted test.
                return S.Compare(c.Left, [c.Ops[0] == Cmpop.Is ? Cmpop.IsNot : Cmpop.Is], c.Comparators);
            default:
                return negate ? S.UnaryOp(Unaryop.Not, e) : e;
        }
    }

    /// <summary>For an is/in comparison under some `not`s: whether their number (with <paramref name="odd"/>) is odd; null for other operands.</summary>
    private static bool? FoldableUnderNots(ExprNode e, bool odd, bool noneTestsFree) => e switch
    {
        UnaryOp { Op: Unaryop.Not } n => FoldableUnderNots(n.Operand, !odd, noneTestsFree),
        Compare c when IsFoldableComparison(c, noneTestsFree) => odd,
        _ => null,
    };

    /// <param name="noneTestsFree">`x is None` compiles to a jump on None whichever way it is negated (3.11+).</param>
    private static bool IsFoldableComparison(Compare c, bool noneTestsFree) =>
        c.Ops is [Cmpop.Is or Cmpop.IsNot or Cmpop.In or Cmpop.NotIn]
        && !(noneTestsFree && c.Ops[0] is Cmpop.Is or Cmpop.IsNot && c.Comparators[0] is Constant { Value: PyNone });

    /// <summary>3.11+ test `x is None` in jump context with a jump on None (POP_JUMP_IF_NONE / NOT_NONE).</summary>
    private bool JumpsOnNone => _ctx.Version >= PythonVersion.V3_11;

    /// <summary>`not a is b`, `not a in b`: written with the `not` moved onto an and/or where one can take it.</summary>
    private static bool HasNegatedIsIn(ExprNode e) => e switch
    {
        UnaryOp { Op: Unaryop.Not, Operand: Compare { Ops.Length: 1 } c } => c.Ops[0] is Cmpop.Is or Cmpop.IsNot or Cmpop.In or Cmpop.NotIn,
        UnaryOp { Op: Unaryop.Not } n => HasNegatedIsIn(n.Operand),
        BoolOp b => b.Values.Any(HasNegatedIsIn),
        _ => false,
    };

    /// <summary>Whether the test holds a `not` the compiler folds into the comparison under it, giving other bytecode
    /// (see <see cref="FoldedNotCheck.FoldsUnderNot"/>).</summary>
    private bool HasFoldedNot(ExprNode e) => e switch
    {
        UnaryOp { Op: Unaryop.Not, Operand: Compare c } when FoldedNotCheck.FoldsUnderNot(c, _ctx.Version) => true,
        UnaryOp { Op: Unaryop.Not } n => HasFoldedNot(n.Operand),
        BoolOp b => b.Values.Any(HasFoldedNot),
        _ => false,
    };

    private void StripTrailingContinue(List<StmtNode> body)
    {
        if (body.Count > 0 && body[^1] is Continue last && !_explicitContinues.Contains(last)) body.RemoveAt(body.Count - 1);
    }

    /// <summary>Continues read from a 3.8-3.9 jump back without a line of its own (see <see cref="FoldThreadedElses"/>).</summary>
    private readonly HashSet<StmtNode> _linelessContinues = new(SyntaxNodeIdentity.Instance);

    /// <summary>
    /// 3.8-3.9, an if/else ending a loop body: the then-branch's jump over the else goes to the loop's jump back and is
    /// threaded to the head, so the walk reads `if c: A; continue` with the rest of the body after it. The bytecode is
    /// the same, but a written `continue` has a line of its own: one without is that jump, and the rest of the body is
    /// the if's else (an elif chain nests the same way). A then-branch that is only the jump stays `if c: continue`
    /// (`if c: pass` with an else compiles otherwise).
    /// </summary>
    /// <param name="whileTrue">A `while True` body, which can hold what follows the loop (a test read into the body
    /// leaves it there): only an else ending in a break, or in a return or raise right before the loop's dead jump back.</param>
    private void FoldThreadedElses(List<StmtNode> body, bool whileTrue = false)
    {
        if (!KeepsDeadExitAfterJump) return;
        for (int i = 0; i + 1 < body.Count; i++)
        {
            if (body[i] is not If { Orelse.IsEmpty: true, Body: [_, .., Continue last] } threaded || !_linelessContinues.Contains(last)) continue;
            var rest = body.GetRange(i + 1, body.Count - i - 1);
            FoldThreadedElses(rest, whileTrue);
            StripTrailingContinue(rest);
            if (rest.Count == 0 || whileTrue && !EndsInsideLoopBody(rest)) return;
            var folded = S.If(threaded.Test, threaded.Body.RemoveAt(threaded.Body.Length - 1), [.. rest]);
            if (_ctx.Lines.TryGetValue(threaded, out int line)) _ctx.SetLine(folded, line);
            body.RemoveRange(i, body.Count - i);
            body.Add(folded);
            return;
        }
    }

    /// <summary>
    /// 3.8-3.9, an if/else in a loop body whose then-branch was read ending in a `continue` without a line of its own:
    /// that is the branch's jump over the else, threaded to the loop head (dead after a statement that never completes,
    /// which these versions keep). A written `continue` would add a jump of its own. After a try or with that completes
    /// it is that statement's exit, threaded past a written `continue` (whose own jump is left dead): it stays.
    /// </summary>
    private void StripJumpsOverElse(List<StmtNode> body)
    {
        if (!KeepsDeadExitAfterJump) return;
        for (int i = 0; i < body.Count; i++)
            if (body[i] is If stmt) body[i] = WithoutJumpsOverElse(stmt);
    }

    /// <summary><paramref name="stmt"/> with its (nested) jumps over an else stripped; the same node when it has none.</summary>
    private If WithoutJumpsOverElse(If stmt)
    {
        var then = stmt.Body;
        if (!stmt.Orelse.IsEmpty && then is [.., var before, Continue last] && _linelessContinues.Contains(last)
            && (StatementLists.Leaves([before]) || before is not (Try or TryStar or With or AsyncWith)))
            then = then.RemoveAt(then.Length - 1);
        then = WithoutJumpsOverElse(then);
        var orelse = WithoutJumpsOverElse(stmt.Orelse);
        if (then == stmt.Body && orelse == stmt.Orelse) return stmt;
        var rebuilt = S.If(stmt.Test, then, orelse);
        if (_ctx.Lines.TryGetValue(stmt, out int line)) _ctx.SetLine(rebuilt, line);
        return rebuilt;
    }

    private ImmutableArray<StmtNode> WithoutJumpsOverElse(ImmutableArray<StmtNode> body)
    {
        ImmutableArray<StmtNode>.Builder? changed = null;
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] is not If stmt || WithoutJumpsOverElse(stmt) is var stripped && ReferenceEquals(stripped, stmt)) continue;
            changed ??= body.ToBuilder();
            changed[i] = stripped;
        }
        return changed?.ToImmutable() ?? body;
    }

    /// <summary>3.8-3.9 returns and raises followed by a dead jump back to a loop head (see <see cref="FoldThreadedElses"/>).</summary>
    private readonly HashSet<StmtNode> _beforeDeadJumpBack = new(SyntaxNodeIdentity.Instance);

    /// <summary>Whether a statement list of a `while True` body ends in a break, a return or raise right before the loop's
    /// dead jump back, or an if/else whose else does.</summary>
    private bool EndsInsideLoopBody(IReadOnlyList<StmtNode> body) => body switch
    {
        [.., Break] => true,
        [.., var last] when _beforeDeadJumpBack.Contains(last) => true,
        [.., If { Orelse.IsEmpty: false } last] => EndsInsideLoopBody(last.Orelse),
        _ => false,
    };

    /// <summary>Whether the op after <paramref name="op"/> is an unreachable jump back to a loop head.</summary>
    private bool IsBeforeDeadJumpBack(int op)
    {
        int next = NextReal(op);
        return next < _ops.Length && _ops[next].Kind == OpKind.Jump && _ops[next].Target < next && _flow.BlockOf(next).Unreachable
            && _flow.IsLoopHead(_flow.BlockIdOf(RealAt(_ops[next].Target)));
    }
}
