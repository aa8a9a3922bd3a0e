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
/// match statements (3.10+), read the way codegen_match_inner lays them out:
/// <code>
///   subject
///   case i (not the last):  COPY 1; pattern; stores; [guard → fail]; POP_TOP; body; JUMP end
///                           fail_pop[n]: POP_TOP ... fail_pop[0]:  (next case)
///   last case:              pattern; stores; [guard → fail]; body; JUMP end; fail pops
///   case _ (default):       NOP; [guard → end]; body
///   end:
/// </code>
/// The subject stays on the stack under every case but the last; a failing test jumps into a chain of POP_TOPs
/// that drops what the pattern had on the stack (fail_pop[k] pops k) and ends at the next case. The pattern's ops
/// go through <see cref="Evaluator.EvalPattern"/>, which builds the pattern from them; this class follows the
/// control flow: the failure jumps, or-patterns (alternatives joined at an end label, COPY 1 per alternative),
/// guards, the case bodies and the default case. Version differences are in the evaluator's opcode semantics
/// (3.10 MATCH_CLASS/MATCH_KEYS flags, ROT_N vs SWAP) and in the optimizer's copies of small exit blocks, which
/// may stand in for the jump to an or-pattern's end (3.10, 3.12+).
/// </summary>
internal sealed partial class Structurer
{
    /// <summary>What the pattern reader of one case (or one alternative of an or-pattern) keeps.</summary>
    private sealed class PatternScope
    {
        /// <summary>Stack height below the values the pattern works on (the kept subject included).</summary>
        public required int Floor { get; init; }
        /// <summary>Where the pattern leaves when it fails: its conditional jumps, or-pattern no-match exits.</summary>
        public List<FailExit> Fails { get; } = [];
        /// <summary>Reading one alternative of an or-pattern over <see cref="OrSubject"/> (null at the case level).</summary>
        public PatternSubject? OrSubject { get; init; }
        /// <summary>The or-pattern's end label once an alternative jumped there.</summary>
        public int OrEnd { get; init; } = -1;
    }

    /// <summary>One match statement while its cases are read.</summary>
    private sealed class MatchState
    {
        public required Region Region { get; init; }
        /// <summary>Stack height outside the statement (the subject sits right above it).</summary>
        public required int Base { get; init; }
        /// <summary>Where the case bodies continue (-1 until one does).</summary>
        public int End { get; set; } = -1;
    }

    private sealed record CaseRead(MatchCase Case, int Label, int Line);

    /// <summary>
    /// One way out of a failing pattern: a jump (<see cref="Op"/>) to a chain of fail pops, or, where an or-pattern's
    /// no-match jump went to the label itself and the optimizer dropped it or replaced it by a copy of a small exit
    /// block there, the code right after its POP_TOP (<see cref="AtLabel"/>: the label or a copy of it).
    /// </summary>
    private readonly record struct FailExit(int Op, bool AtLabel = false)
    {
        public int Target(Op[] ops) => AtLabel ? Op : ops[Op].Target;
    }

    // ---------------------------------------------------------------- recognising the statement

    /// <summary>
    /// True when the op at <paramref name="i"/> starts the first case of a match statement whose subject is the one
    /// value pending on the stack: a COPY of it whose pattern tests jump away with the subject kept (nothing else
    /// the compiler makes keeps a value across a statement-level jump), or a pattern op only match statements use.
    /// </summary>
    private bool IsMatchStart(int i, Region region)
    {
        if (_ctx.Version < PythonVersion.V3_10) return false;
        var op = _ops[i];
        int subjectDepth = region.Base + 1;
        if (op.Depth != subjectDepth || _eval.Stack.Count != subjectDepth) return false;
        if (IsCopyOne(op) && KeepsSubjectAcrossTest(i, subjectDepth)) return true;
        return MatchOpAhead(IsCopyOne(op) ? NextReal(i) : i, subjectDepth) || LoneValueCaseAhead(i, subjectDepth);
    }

    /// <summary>
    /// A match whose only case (besides `case _`) is a value or singleton pattern compiles like `if subject == value:`;
    /// the test's line tells them apart: a pattern's ops carry the case's line, below the `match` line where the
    /// subject was loaded, while an if's comparison carries the line its expression starts on. The statement's
    /// first line alone is not enough (a loop target's store before the if starts the walk's statement on the
    /// loop's line): the op that left the subject must be above the test too.
    /// </summary>
    private bool LoneValueCaseAhead(int start, int subjectDepth)
    {
        int subjectEnd = PrevReal(start);
        int subjectLine = Math.Max(_eval.StatementLine, subjectEnd >= 0 ? _ops[subjectEnd].Line : 0);
        var first = _ops[start];
        if (subjectLine <= 0 || first.Line <= subjectLine) return false;
        if (first.Kind == OpKind.CondJump) return first.Sense == JumpSense.IfNotNone;
        return LoadsAbove(start, subjectDepth, out int test) && _ops[test].Handler is OpcodeHandler.CompareOp or OpcodeHandler.IsOp
            && _ops[test].Depth == subjectDepth + 1 && IsValuePatternTest(test);
    }

    /// <summary>COMPARE_OP == or IS_OP 0 followed by the jump away when it is false.</summary>
    private bool IsValuePatternTest(int p)
    {
        var arg = _ops[p].Instruction.Argument;
        if (arg is not (CompareArgument { Operator: "==" } or InvertArgument { Inverted: false })) return false;
        int j = NextReal(p);
        if (j < _ops.Length && _ops[j].Name == "TO_BOOL") j = NextReal(j);
        return j < _ops.Length && _ops[j].Kind == OpKind.CondJump && _ops[j].Sense == JumpSense.IfFalse;
    }

    private static bool IsCopyOne(Op op) => op.Kind == OpKind.Plain && (op.Name == "DUP_TOP" || op.Name == "COPY" && op.Instruction.Arg == 1);

    /// <summary>
    /// From the COPY at <paramref name="copy"/>: a pattern starts on the copy, and the first conditional jump leaves with
    /// the subject still under it (its fail pops end at the subject's depth, or at the COPY of an or-pattern's next
    /// alternative).
    /// </summary>
    private bool KeepsSubjectAcrossTest(int copy, int subjectDepth)
    {
        int first = NextReal(copy);
        if (first >= _ops.Length || !IsPatternStart(_ops[first])) return false;
        for (int p = first, steps = 0; p < _ops.Length && steps < 400; p = NextReal(p), steps++)
        {
            var op = _ops[p];
            if (op.Depth < subjectDepth) return false;
            if (op.Kind == OpKind.CondJump)
            {
                if (op.Depth <= subjectDepth) return false;
                int q = RealAt(op.Target);
                while (q < _ops.Length && _ops[q].Depth > subjectDepth && _ops[q].Name == "POP_TOP") q = NextReal(q);
                return q < _ops.Length && (_ops[q].Depth == subjectDepth || _ops[q].Depth > subjectDepth && IsCopyOne(_ops[q]));
            }
            if (op.Kind != OpKind.Plain) return false;
        }
        return false;
    }

    /// <summary>An op a pattern can start with: it tests, copies, stores or pops the value on top, or loads what it is compared with.</summary>
    private static bool IsPatternStart(Op op) => op.Kind == OpKind.CondJump || IsCopyOne(op) || op.Handler switch
    {
        OpcodeHandler.MatchSequence or OpcodeHandler.MatchMapping or OpcodeHandler.PopTop
            or OpcodeHandler.StoreFast or OpcodeHandler.StoreName or OpcodeHandler.StoreGlobal or OpcodeHandler.StoreDeref
            or OpcodeHandler.StoreFastPair or OpcodeHandler.StoreFastLoadFast
            or OpcodeHandler.LoadConst or OpcodeHandler.LoadSmallInt or OpcodeHandler.LoadGlobal or OpcodeHandler.LoadName
            or OpcodeHandler.LoadFast or OpcodeHandler.LoadDeref or OpcodeHandler.LoadClassDeref => true,
        _ => false,
    };

    /// <summary>
    /// A MATCH_SEQUENCE / MATCH_MAPPING at <paramref name="start"/>, or a MATCH_CLASS after loads of its class and
    /// attribute names that leave the value at <paramref name="subjectDepth"/> untouched.
    /// </summary>
    private bool MatchOpAhead(int start, int subjectDepth)
    {
        if (start >= _ops.Length) return false;
        if (_ops[start].Name is "MATCH_SEQUENCE" or "MATCH_MAPPING") return true;
        return LoadsAbove(start, subjectDepth, out int after) && _ops[after].Name == "MATCH_CLASS" && _ops[after].Depth == subjectDepth + 2;
    }

    /// <summary>
    /// True when the ops from <paramref name="start"/> push one value above the subject and work only on it (a
    /// constant, a dotted name); <paramref name="after"/> is the first op that goes back down to it.
    /// </summary>
    private bool LoadsAbove(int start, int subjectDepth, out int after)
    {
        after = -1;
        if (_ops[start].Kind != OpKind.Plain || !IsPatternStart(_ops[start])) return false;
        for (int p = NextReal(start), steps = 0; p < _ops.Length && steps < 32; p = NextReal(p), steps++)
        {
            if (_ops[p].Depth <= subjectDepth) return false;
            if (_ops[p].Kind != OpKind.Plain) return false;
            if (_ops[p].Handler is not (OpcodeHandler.LoadAttr or OpcodeHandler.LoadConst)) { after = p; return true; }
        }
        return false;
    }

    /// <summary>
    /// Where a failure jump to <paramref name="target"/> ends up: past its fail_pop POP_TOPs, the first op at
    /// <paramref name="depth"/>; -1 when the target is not such a chain.
    /// </summary>
    private int FailChainEnd(int target, int depth)
    {
        // The label itself may be a NOP (a default case's line), so the position returned is not advanced past one.
        for (int p = target; ;)
        {
            int real = RealAt(p);
            if (real >= _ops.Length) return -1;
            if (_ops[real].Depth == depth) return p;
            if (_ops[real].Depth < depth || _ops[real].Name != "POP_TOP") return -1;
            p = real + 1;
        }
    }

    // ---------------------------------------------------------------- the statement

    /// <summary>Structures the match statement starting at <paramref name="start"/>; returns where the walk goes on (-1: the sequence ended).</summary>
    private int StructureMatch(int start, Region region, List<StmtNode> output)
    {
        int line = _eval.StatementLine > 0 ? _eval.StatementLine : _ops[start].Line;
        var subject = _eval.Materialize(_eval.Stack.Peek());
        var m = new MatchState { Region = region, Base = region.Base };
        var loop = region.InnermostLoop;
        int closing = loop is null ? -1 : loop.ClosingJump >= 0 ? loop.ClosingJump : loop.BottomTest;
        bool closedBefore = closing >= 0 && _ctx.Consumed[closing];
        var reads = ReadCases(start, m, first: true);
        var cases = reads.Select(r => r.Case).ToList();
        int end = m.End;

        // After the last case's failure: the default case (`case _`, no code of its own but a NOP), or the end.
        var last = reads[^1];
        if (last.Label >= 0)
        {
            // The last case fails to the end itself, or (threaded) to a jump on to where the bodies went.
            if (end >= 0 && (Same(last.Label, end) || ThroughJumps(last.Label) == ThroughJumps(end))) end = last.Label;
            else if (end >= 0 && _ctx.Version == PythonVersion.V3_10 && ExitCopyEnd(last.Label, end, lineless: true) is int copyEnd and >= 0)
                ConsumeRange(RealAt(last.Label), copyEnd + 1); // its own copy of the end (3.10 copies line-less exit blocks per jump)
            else if (end >= 0 || IsDefaultCaseMark(last.Label, last.Line))
                end = ReadDefaultCase(last.Label, m, cases, end);
            else
                end = last.Label;
        }

        var stmt = S.Match(subject, [.. cases]);
        output.Add(stmt);
        _ctx.SetLine(stmt, line);
        _eval.StatementLine = 0;
        if (end < 0 && closing >= 0 && !closedBefore && _ctx.Consumed[closing])
        {
            // A case ran into the loop's closing jump (or bottom test): the statement ends the loop body, so the
            // jumps of the other cases to the loop head are its natural end, not `continue`s.
            StripCaseContinues(output);
            return -1;
        }
        return ContinueAfterMatch(end, region, output);
    }

    /// <summary>
    /// The cases from <paramref name="pos"/> on. A COPY 1 at the subject's depth is a case's copy of the subject, unless
    /// the case is the last one and its pattern starts with an or- or as-pattern (which copy too): the first reading
    /// is tried for the rest of the statement, and the second when it fails.
    /// </summary>
    private List<CaseRead> ReadCases(int pos, MatchState m, bool first)
    {
        int real = RealAt(pos);
        if (!IsCopyOne(_ops[real]) || _ops[real].Depth != m.Base + 1)
            return [ReadCase(pos, hasCopy: false, m, first)];
        var consumed = (bool[])_ctx.Consumed.Clone();
        var stack = _eval.Stack.Clone();
        int end = m.End;
        DecompileFailure firstReading;
        try
        {
            var c = ReadCase(pos, hasCopy: true, m, first);
            // Cases start on lines of their own; the same line again means the COPY began an or-pattern whose
            // alternatives carry copies of its end (a small block, like a case body that returns).
            if (c.Line > 0 && _ops[RealAt(c.Label)].Line == c.Line) throw Fail("the next case starts on the same line", c.Label);
            return [c, .. ReadCases(c.Label, m, first: false)];
        }
        catch (DecompileFailure e)
        {
            firstReading = e;
        }
        Array.Copy(consumed, _ctx.Consumed, consumed.Length);
        _eval.Stack = stack;
        m.End = end;
        try
        {
            return [ReadCase(pos, hasCopy: false, m, first)];
        }
        catch (DecompileFailure second)
        {
            // Report the reading that got further.
            throw second.Offset > firstReading.Offset ? second : firstReading;
        }
    }

    /// <summary>One case: its pattern, guard and body. Returns the case and where its failure goes (-1: it cannot fail).</summary>
    private CaseRead ReadCase(int pos, bool hasCopy, MatchState m, bool first)
    {
        int subjectDepth = m.Base + 1;
        int real = RealAt(pos);
        int caseLine = _ops[real].Line;
        ConsumeSkipsFrom(pos, real);
        var atCase = _eval.Stack.Clone();
        int p = real;
        if (hasCopy)
        {
            Consume(real);
            p = real + 1;
        }
        else _eval.Stack.Pop(); // the last case matches the subject itself
        var root = new PatternBuilder();
        _eval.Push(new PatternSubject(root));
        var scope = new PatternScope { Floor = hasCopy ? subjectDepth : m.Base };
        p = ReadPattern(p, scope, m.Region);
        int label = FailLabel(scope.Fails, scope.Floor);

        // The guard (a condition jumping to the same place a failed test goes), then the subject's POP_TOP.
        ExprNode? guard = null;
        bool loadPending = _eval.Stack.Count == scope.Floor + 1; // STORE_FAST_LOAD_FAST: the load starts the guard or body
        int body;
        if (hasCopy && !loadPending && IsSubjectPop(RealAt(p), subjectDepth))
            body = ConsumeSubjectPop(RealAt(p));
        else
        {
            var node = hasCopy || OnCaseLine(p, caseLine) ? TryReadGuard(p, scope.Floor, m.Region) : null;
            if (node is null && hasCopy) throw Fail("a case whose pattern is followed by neither a guard nor the subject's POP_TOP", p);
            if (node is not null)
            {
                int target = FailChainEnd(node.Target, scope.Floor);
                if (label < 0) label = target;
                // The last case's guard may jump straight to where its failure code's jump goes (threaded), or to
                // its own copy of the small exit block the pattern's failure reaches.
                bool sameFailure = target >= 0 && (Same(target, label)
                    || !hasCopy && (ThroughJumps(target) == ThroughJumps(label) || ConsumeExitCopyOf(target, label)));
                if (!sameFailure) throw Fail("a guard that does not jump to the next case", node.LastOp);
                guard = node.FallCond;
                body = node.Fall;
                if (hasCopy)
                {
                    if (!IsSubjectPop(RealAt(body), subjectDepth)) throw Fail("a guard not followed by the subject's POP_TOP", body);
                    body = ConsumeSubjectPop(RealAt(body));
                }
            }
            else body = p;
        }
        if (hasCopy && label < 0) throw Fail("a case that cannot fail before the last case", pos);

        PatternNode pattern;
        try
        {
            pattern = root.Build();
        }
        catch (ArgumentException e)
        {
            throw Fail("pattern: " + e.Message, pos);
        }
        // After other cases an unguarded final `case _` is the default case (no pattern code), not a popped subject.
        if (!hasCopy && !first && guard is null && pattern is MatchAs { Pattern: null, Name: null })
            throw Fail("a wildcard case that is not the default case", pos);

        var bodyOut = WalkCaseBody(body, label, scope.Fails, m);
        var matchCase = S.MatchCase(pattern, guard, Body(bodyOut));
        _ctx.ExprLines[matchCase] = caseLine;
        // The next case starts with the subject on the stack again; what follows the last case (its failure code,
        // the default case, the statement's end) without it, whatever the body left (a break pops a loop's iterator).
        _eval.Stack = atCase;
        if (!hasCopy) _eval.Stack.Pop();
        return new CaseRead(matchCase, label, caseLine);
    }

    /// <summary>Consumes the code at <paramref name="copy"/> when it is the optimizer's copy of the small exit block at <paramref name="original"/>.</summary>
    private bool ConsumeExitCopyOf(int copy, int original)
    {
        int last = ExitCopyLength(copy);
        if (last < 0 || Same(copy, original) || ExitCopyLength(original) < 0 || !SameCode(RealAt(copy), last, RealAt(original))) return false;
        ConsumeRange(RealAt(copy), last + 1);
        return true;
    }

    private bool IsSubjectPop(int p, int subjectDepth) =>
        p < _ops.Length && _ops[p].Name == "POP_TOP" && _ops[p].Depth == subjectDepth && _eval.Stack.Count == subjectDepth;

    private int ConsumeSubjectPop(int p)
    {
        Consume(p);
        _eval.Stack.Pop();
        return p + 1;
    }

    private bool OnCaseLine(int p, int caseLine)
    {
        int real = RealAt(p);
        return real < _ops.Length && caseLine > 0 && _ops[real].Line == caseLine;
    }

    /// <summary>
    /// Walks a case body. It ends at the jump past the case's failure code (its target is the statement's end), by
    /// falling into the failure label (the last case, when the end follows directly), or by leaving (return, ...).
    /// </summary>
    private List<StmtNode> WalkCaseBody(int body, int label, List<FailExit> fails, MatchState m)
    {
        // The body runs up to the first failure code after it (an or-pattern's no-match exit may come before it).
        int after = -1;
        foreach (int target in fails.Select(f => RealAt(f.Target(_ops))).Append(label < 0 ? -1 : RealAt(label)))
            if (target > body && (after < 0 || target < after)) after = target;
        var stops = new List<int>();
        if (label >= 0) stops.AddRange([label, RealAt(label)]);
        if (m.End >= 0) stops.AddRange([m.End, RealAt(m.End)]);
        var region = m.Region.Child(stops: stops, elseStart: after);
        region.IsCaseBody = true;
        region.Limit = after >= 0 ? after : m.End > body ? RealAt(m.End) : int.MaxValue;
        var output = new List<StmtNode>();
        _eval.StatementLine = 0;
        int r = WalkSequence(body, region, output);
        if (r >= 0) JoinCaseEnd(r, m, body);
        return output;
    }

    /// <summary>
    /// A case body continues at <paramref name="r"/>: the statement's end, or a copy of it (3.10, 3.12+ copy a small
    /// block that leaves the scope, like the return after a try the match is in, in place of each jump to it).
    /// </summary>
    private void JoinCaseEnd(int r, MatchState m, int body)
    {
        if (m.End < 0) m.End = r;
        else if (Same(m.End, r)) { }
        else if (ExitCopyEnd(r, m.End) is int copyEnd and >= 0) ConsumeRange(RealAt(r), copyEnd + 1);
        else throw Fail($"case bodies continue at different places (ops {m.End} and {r})", body);
    }

    /// <summary>
    /// The op every failure exit of a pattern reaches past its POP_TOPs (-1 when there is none); consumes the POP_TOPs,
    /// and the copies of the label's code an or-pattern's no-match exit may carry.
    /// </summary>
    private int FailLabel(List<FailExit> fails, int depth)
    {
        int label = -1;
        foreach (var f in fails)
        {
            if (f.AtLabel) continue;
            int target = f.Target(_ops);
            int end = FailChainEnd(target, depth);
            if (end < 0) throw Fail("a pattern's failure jump does not pop to the next case", f.Op);
            if (label < 0) label = end;
            else if (!Same(label, end)) throw Fail("a pattern's failure jumps go to different places", f.Op);
            for (int p = RealAt(target); p < RealAt(end); p = NextReal(p)) Consume(p);
        }
        foreach (var f in fails)
        {
            if (!f.AtLabel) continue;
            int end = FailChainEnd(f.Op, depth);
            if (end < 0) throw Fail("an or-pattern's no-match exit does not reach the next case", f.Op);
            for (int p = RealAt(f.Op); p < RealAt(end); p = NextReal(p)) Consume(p);
            if (label < 0) { label = end; continue; }
            if (Same(label, end)) continue;
            // The optimizer copied the (small, returning) code at the label in place of the jump to it.
            int real = RealAt(end), last = ExitCopyLength(real);
            if (last < 0 || !SameCode(real, last, RealAt(label))) throw Fail("an or-pattern's no-match exit goes elsewhere than its case's failures", f.Op);
            ConsumeRange(real, last + 1);
        }
        return label;
    }

    /// <summary>
    /// `case _` as the last case leaves a NOP with its line where the previous case fails to (a NOP with that case's
    /// own line is the failure code's).
    /// </summary>
    private bool IsDefaultCaseMark(int label, int lastCaseLine)
    {
        if (label >= _ops.Length || _ops[label].Name != "NOP" || _ops[label].Line <= lastCaseLine) return false;
        int next = NextReal(label);
        return next < _ops.Length && _ops[next].Line > _ops[label].Line;
    }

    /// <summary>The default case from <paramref name="start"/>; returns where the statement continues.</summary>
    private int ReadDefaultCase(int start, MatchState m, List<MatchCase> cases, int end)
    {
        int caseLine = _ops[start].Line;
        int body = start;
        ExprNode? guard = null;
        if (_ops[start].Name == "NOP" && caseLine > 0)
        {
            var node = TryReadGuard(start, m.Base, m.Region, line => line == caseLine);
            if (node is not null)
            {
                if (end >= 0 && !Same(node.Target, end)) throw Fail("the default case's guard does not jump to the end", node.LastOp);
                end = node.Target;
                guard = node.FallCond;
                body = node.Fall;
            }
        }
        else if (caseLine <= 0) caseLine = _ops[RealAt(start)].Line;
        var stops = end >= 0 ? new List<int> { end, RealAt(end) } : [];
        var region = m.Region.Child(stops: stops);
        region.IsCaseBody = true;
        if (end > start) region.Limit = RealAt(end); // (an end copied earlier in the layout is no limit)
        var output = new List<StmtNode>();
        _eval.StatementLine = 0;
        int r = WalkSequence(body, region, output);
        if (end >= 0 && r >= 0 && !Same(r, end)) throw Fail($"the default case ends at op {r}, not at the end of the match {end}", start);
        var matchCase = S.MatchCase(S.MatchAs(null, null), guard, Body(output));
        if (caseLine > 0) _ctx.ExprLines[matchCase] = caseLine;
        cases.Add(matchCase);
        return end >= 0 ? end : r;
    }

    /// <summary>Where the walk goes after the statement; a match that ends a loop body needs no `continue` in its cases.</summary>
    private int ContinueAfterMatch(int end, Region region, List<StmtNode> output)
    {
        if (end < 0) return -1;
        var loop = region.InnermostLoop;
        if (loop is not null && (loop.ContinueTargets.Contains(end) || loop.ContinueTargets.Contains(RealAt(end))))
        {
            StripCaseContinues(output);
            return -1;
        }
        // The last case's failure went to the loop's closing jump: the statement ends the body all the same.
        if (loop is not null && loop.ClosingJump >= 0 && Same(end, loop.ClosingJump)) StripCaseContinues(output);
        if (region.IsStop(end) || region.IsStop(RealAt(end))) return end;
        for (var r = region; r is not null; r = r.Parent)
        {
            if (r.ElseStart >= 0 && end > r.ElseStart)
            {
                // The statement's end was threaded to the join of the if it is in.
                r.JumpedPast = end;
                r.Stops.Add(end);
                return end;
            }
        }
        return end;
    }

    /// <summary>
    /// The match statement just made ends a loop body: a case's final jump to the loop head is its natural end, not
    /// a `continue`, unless the jump has a line of its own (a written `continue` statement).
    /// </summary>
    private void StripCaseContinues(List<StmtNode> output)
    {
        var match = (Match)output[^1];
        var cases = match.Cases.Select(c =>
        {
            if (c.Body is not [.., var previous, Continue last] || _ctx.Lines.TryGetValue(last, out int own) && own != _ctx.Lines.GetValueOrDefault(previous)) return c;
            var stripped = S.MatchCase(c.Pattern, c.Guard, Body([.. c.Body.Take(c.Body.Length - 1)]));
            if (_ctx.ExprLines.TryGetValue(c, out int l)) _ctx.ExprLines[stripped] = l;
            return stripped;
        }).ToList();
        var replaced = S.Match(match.Subject, [.. cases]);
        if (_ctx.Lines.TryGetValue(match, out int line)) _ctx.SetLine(replaced, line);
        output[^1] = replaced;
    }

    // ---------------------------------------------------------------- patterns

    /// <summary>
    /// Reads pattern ops from <paramref name="p"/>: through the evaluator's pattern handlers, with each conditional
    /// jump taken as a failure exit. At the case level it stops once the pattern's values are all consumed (stored,
    /// tested or popped); in an alternative of an or-pattern, where the alternative ends (its jump to the or's end,
    /// the end itself, or the first op that reaches the or's subject).
    /// </summary>
    private int ReadPattern(int p, PatternScope scope, Region region)
    {
        for (int guard = 0; ; guard++)
        {
            if (guard > _ops.Length + 8 || p >= _ops.Length) throw Fail("a pattern runs past the code", Math.Min(p, _ops.Length - 1));
            if (scope.OrSubject is not null)
            {
                if (p == scope.OrEnd || ReachesFloor(p, scope.Floor)) return p;
            }
            else
            {
                if (_eval.Stack.Count <= scope.Floor) return p;
                if (ReachesFloor(p, scope.Floor)) throw Fail("a pattern op reaches the match subject", p);
            }
            var op = _ops[p];
            switch (op.Kind)
            {
                case OpKind.Skip:
                    Consume(p);
                    p++;
                    continue;
                case OpKind.Plain:
                    if (IsCopyOne(op) && _eval.Stack.Peek() is PatternSubject { Builder.IsOpen: true } open && TryOrPattern(p, open, scope, region, out int orEnd))
                    {
                        p = orEnd;
                        continue;
                    }
                    _eval.EvalPattern(op);
                    p++;
                    if (scope.OrSubject is null && op.Handler == OpcodeHandler.StoreFastLoadFast && _eval.Stack.Count == scope.Floor + 1) return p;
                    continue;
                case OpKind.CondJump:
                    PatternTestJump(op);
                    scope.Fails.Add(new FailExit(op.Index));
                    p++;
                    continue;
                default:
                    if (scope.OrSubject is not null) return p; // an alternative's jump to the or's end, or a copy of that end
                    throw Fail($"{op.Name} inside a pattern", p);
            }
        }
    }

    /// <summary>True when the op at <paramref name="p"/> pops or moves a stack item at or below <paramref name="floor"/> (1-based height).</summary>
    private bool ReachesFloor(int p, int floor)
    {
        int above = _eval.Stack.Count - floor;
        var op = _ops[p];
        int reach = op.Handler switch
        {
            OpcodeHandler.PopTop => 1,
            OpcodeHandler.Swap => op.Instruction.Arg,
            OpcodeHandler.Rotate => op.Name switch { "ROT_TWO" => 2, "ROT_THREE" => 3, "ROT_FOUR" => 4, _ => op.Instruction.Arg },
            OpcodeHandler.StoreFastPair => 2,
            OpcodeHandler.StoreFast or OpcodeHandler.StoreName or OpcodeHandler.StoreGlobal or OpcodeHandler.StoreDeref or OpcodeHandler.StoreFastLoadFast => 1,
            _ => 0,
        };
        return reach > above || above <= 0 && op.Kind != OpKind.Skip;
    }

    /// <summary>A conditional jump inside a pattern: pops the test; the jump is taken when the test failed.</summary>
    private void PatternTestJump(Op op)
    {
        Consume(op.Index);
        var item = _eval.Stack.Pop();
        switch (item, op.Sense)
        {
            case (PatternTest, JumpSense.IfFalse):
            case (PatternParts { Kind: PatternPartsKind.ClassAttributes or PatternPartsKind.MappingValues }, JumpSense.IfNone):
                return;
            case (PatternSubject { Builder: var b }, JumpSense.IfNotNone):
                // `LOAD_CONST None; IS_OP 0; POP_JUMP_IF_FALSE` folded by the optimizer (3.11+): `case None`.
                try
                {
                    b.SetKind(PatternKind.Singleton);
                }
                catch (ArgumentException e)
                {
                    throw Fail(e.Message, op.Index);
                }
                b.Singleton = PyNone.Instance;
                return;
        }
        throw Fail($"a pattern jumps on {item} ({op.Sense})", op.Index);
    }

    /// <summary>
    /// An or-pattern over the open value on top (<paramref name="subject"/>): per alternative `COPY 1; pattern;
    /// [rotations]; JUMP end`, then its fail pops; after the last one `POP_TOP; JUMP fail` (no alternative matched).
    /// At the end label each name's capture is rotated into place and the subject popped. The optimizer may copy a
    /// small end block (ending in return) in place of each jump to it; the copies must be equal and the first one is
    /// read as the end. Tried when a COPY 1 of an open value is met: false (and nothing changed) when the ops are
    /// not an or-pattern (an as-pattern copies the same way).
    /// </summary>
    private bool TryOrPattern(int copy, PatternSubject subject, PatternScope outer, Region region, out int end)
    {
        end = -1;
        var consumed = (bool[])_ctx.Consumed.Clone();
        var stack = _eval.Stack.Clone();
        try
        {
            var result = ReadOrPattern(copy, subject, outer, region);
            if (result >= 0)
            {
                end = result;
                return true;
            }
        }
        catch (DecompileFailure) { }
        Array.Copy(consumed, _ctx.Consumed, consumed.Length);
        _eval.Stack = stack;
        return false;
    }

    private int ReadOrPattern(int start, PatternSubject subject, PatternScope outer, Region region)
    {
        int depth = _eval.Stack.Count; // the or's subject on top
        var alternatives = new List<(PatternBuilder Pattern, List<PatternValue> Captures)>();
        int end = -1, firstCopy = -1;
        var otherCopies = new List<(int Start, int End)>();
        var noMatch = new List<FailExit>();
        int p = start;
        while (true)
        {
            if (p >= _ops.Length || !IsCopyOne(_ops[p]) || _ops[p].Depth != depth || _eval.Stack.Count != depth || !ReferenceEquals(_eval.Stack.Peek(), subject))
                return -1;
            Consume(p);
            var alternative = new PatternBuilder();
            _eval.Push(new PatternSubject(alternative));
            var scope = new PatternScope { Floor = depth, OrSubject = subject, OrEnd = end };
            int q = ReadPattern(p + 1, scope, region);
            var captures = new List<PatternValue>();
            for (int k = depth; k < _eval.Stack.Count; k++)
                if (_eval.Stack.At(k) is PatternValue v and (PatternSubject or PatternRest or PatternAlternatives)) captures.Add(v);
                else return -1;
            alternatives.Add((alternative, captures));

            // Where the alternative goes when it matched: its jump to the end, the end itself (the last alternative
            // falls into it), or a copy of the end block standing in for the jump.
            int after;
            var qop = _ops[q];
            if (end >= 0 && q == end)
                after = -1;
            else if (qop.Kind == OpKind.Jump && qop.Target > q)
            {
                if (end < 0) end = qop.Target;
                else if (qop.Target != end) return -1;
                Consume(q);
                after = q + 1;
            }
            else if (ExitCopyLength(q) is int last and >= 0)
            {
                if (firstCopy < 0) firstCopy = end = q;
                else if (!SameCode(q, last, firstCopy)) return -1;
                else otherCopies.Add((q, last));
                after = last + 1;
            }
            else return -1;

            int label = FailLabel(scope.Fails, depth);
            _eval.Stack.Truncate(depth);
            if (label < 0) break; // an alternative that cannot fail is the last one
            if (after < 0) return -1;
            // This alternative's fail pops end at the next alternative's COPY, or at the no-match exit.
            int r = RealAt(after);
            while (r < _ops.Length && _ops[r].Depth > depth && _ops[r].Name == "POP_TOP") r = NextReal(r);
            if (!Same(label, r)) return -1;
            if (IsCopyOne(_ops[r]) && _ops[r].Depth == depth)
            {
                p = r;
                continue;
            }
            if (_ops[r].Name != "POP_TOP" || _ops[r].Depth != depth) return -1;
            Consume(r);
            int s = NextReal(r);
            if (s < _ops.Length && _ops[s].Kind == OpKind.Jump)
            {
                Consume(s);
                noMatch.Add(new FailExit(s));
            }
            else noMatch.Add(new FailExit(r + 1, AtLabel: true));
            break;
        }
        if (alternatives.Count < 2 || end < 0) return -1;
        if (firstCopy < 0 && InlinesSmallExitBlocks && ExitCopyLength(end) is int endReturn and >= 0 && IsBareReturnNone(endReturn))
        {
            // The alternatives jump to a small block that returns, which this optimizer would have copied into
            // them had the return been there: it is the implicit `return None`, copied in later.
            _implicitReturnOps.Add(endReturn);
        }
        int count = alternatives[0].Captures.Count;
        if (alternatives.Any(a => a.Captures.Count != count)) return -1;

        subject.Builder.SetKind(PatternKind.Or);
        subject.Builder.Alternatives = [.. alternatives.Select(a => a.Pattern)];
        for (int k = 0; k < count; k++)
            _eval.Push(new PatternAlternatives([.. alternatives.Select(a => a.Captures[k])]));
        outer.Fails.AddRange(noMatch);
        foreach (var (from, to) in otherCopies) ConsumeRange(from, to + 1);
        return end;
    }

    /// <summary>Returns the optimizer's copies of the implicit `return None` (found by the flow around them, not by their lines).</summary>
    private readonly HashSet<int> _implicitReturnOps = [];


    private bool IsBareReturnNone(int ret) =>
        _ops[ret].Name == "RETURN_CONST" && _ops[ret].Instruction.Argument is ConstArgument { Value: PyNone }
        || _ops[ret].Name == "RETURN_VALUE" && PrevReal(ret) is int load and >= 0 && _ops[load].Name == "LOAD_CONST" && _ops[load].Instruction.Argument is ConstArgument { Value: PyNone };

    /// <summary>The last op of a small exit block at <paramref name="p"/> (at most 4 ops, no jump, ending in return or raise), or -1.</summary>
    private int ExitCopyLength(int p)
    {
        int q = RealAt(p);
        for (int n = 0; n < 4 && q < _ops.Length; n++, q = NextReal(q))
        {
            if (_ops[q].Kind is OpKind.Return or OpKind.Raise) return q;
            if (_ops[q].Kind != OpKind.Plain) return -1;
        }
        return -1;
    }

    // ---------------------------------------------------------------- guards

    /// <summary>
    /// A guard at <paramref name="p"/>: a condition (any and/or, comparison chain, conditional expression inside) whose
    /// jump leaves the case. Null, with nothing consumed, when the code there is not a condition on
    /// <paramref name="onGuardLine"/>'s lines.
    /// </summary>
    private CondNode? TryReadGuard(int p, int guardBase, Region region, Func<int, bool>? onGuardLine = null)
    {
        var consumed = (bool[])_ctx.Consumed.Clone();
        var stack = _eval.Stack.Clone();
        var savedOut = _eval.Out;
        var scratch = new List<StmtNode>();
        _eval.Out = scratch;
        _eval.StatementBase = guardBase;
        var guardRegion = region.Child(baseDepth: guardBase);
        try
        {
            for (int guard = 0; guard < _ops.Length; guard++)
            {
                if (p >= _ops.Length) break;
                int term = TerminatorIndex(p);
                for (int i = p; i < term; i++)
                {
                    var op = _ops[i];
                    if (op.Kind == OpKind.Skip) { Consume(i); continue; }
                    if (op.Kind != OpKind.Plain) throw Fail($"{op.Name} in a guard", i);
                    if (onGuardLine is not null && op.Line > 0 && !onGuardLine(op.Line)) throw Fail("not a guard", i);
                    if (TryInlineComprehension(i, null, scratch, out int resume) && resume != i) { i = resume - 1; continue; }
                    _eval.Eval(op);
                }
                var block = _flow.BlockOf(p);
                if (term >= block.End) { p = block.End; continue; }
                var t = _ops[term];
                if (t.Kind == OpKind.KeepJump) { p = ReduceKeep(t); continue; }
                if (t.Kind != OpKind.CondJump || scratch.Count > 0) break;
                int pending = _eval.Stack.Count - 1 - guardBase;
                if (pending > 0 && !IsChainMiddle()) { p = ReduceConditionValue(t, guardRegion); continue; }
                if (pending < 0) break;
                var node = BuildCondition(t, guardRegion);
                _eval.Out = savedOut;
                return node;
            }
        }
        catch (DecompileFailure) { }
        Array.Copy(consumed, _ctx.Consumed, consumed.Length);
        _eval.Stack = stack;
        _eval.Out = savedOut;
        return null;
    }
}
