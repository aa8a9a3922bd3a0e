using PyRecon.Evaluation;
using PyRecon.Flow;

namespace PyRecon.Structuring;

/// <summary>The loop a region's statements are in: where continue and break go, and the iterator it keeps.</summary>
internal sealed class LoopInfo
{
    /// <summary>Op indexes a `continue` jumps to (the head; 3.10-3.13 while loops also their top test).</summary>
    public required HashSet<int> ContinueTargets { get; init; }
    /// <summary>
    /// Op indexes only a written `continue` jumps to: the top test of a 3.10-3.13 while loop, whose body falls
    /// off its end into the duplicated test at the bottom instead (so such a continue is kept even when last).
    /// </summary>
    public HashSet<int> ExplicitContinueTargets { get; init; } = [];
    /// <summary>Op index a `break` jumps to (-1 when unknown: no break seen yet).</summary>
    public int BreakTarget { get; set; } = -1;
    /// <summary>The break target is a follow the compiler copied into the loop body (it is walked after the loop).</summary>
    public bool InlinedBreak { get; set; }
    /// <summary>Where the loop's own exit path starts (FOR_ITER's target, a while test's false target).</summary>
    public int Exit { get; init; } = -1;
    /// <summary>The first op after the exit's plumbing (END_FOR, POP_ITER): where the else clause or the follow starts.</summary>
    public int AfterExit { get; init; } = -1;
    /// <summary>The for loop's iterator on the stack (null for while loops).</summary>
    public IteratorMarker? Iterator { get; init; }
    /// <summary>3.10-3.13 while: the block holding the duplicated test at the bottom (the natural end of the body).</summary>
    public int BottomTest { get; init; } = -1;
    public required int Head { get; init; }
    /// <summary>The back-edge jump that closes the body in layout (the natural end; other jumps to the head are continues).</summary>
    public int ClosingJump { get; init; } = -1;
    /// <summary>Stack height inside the body (the iterator included).</summary>
    public int BodyBase { get; init; }
    /// <summary>A `while True` loop's blocks: those that lead back to its head (null for other loops).</summary>
    public HashSet<int>? Blocks { get; init; }
}

/// <summary>
/// Where a statement sequence may go: the ops at which it stops (the join of an enclosing if, the end of a
/// loop body), the loop it is in, and the exception handler its ops are expected to be under. Regions chain
/// to their parent: a stop of any enclosing region also ends this one.
/// </summary>
internal sealed class Region
{
    public Region? Parent { get; init; }
    /// <summary>Stack height at which a statement is complete (enclosing constructs' items below it).</summary>
    public int Base { get; init; }
    /// <summary>Ops this region stops at (made on first use: most regions have none of their own).</summary>
    public OpSet Stops => _stops ??= new();
    private OpSet? _stops;
    public LoopInfo? Loop { get; init; }
    public ExceptionHandler? Handler { get; init; }
    /// <summary>An if's then-branch: an unconditional jump forward past this op ends the branch (its target is the join).</summary>
    public int ElseStart { get; init; } = -1;
    /// <summary>Set by the walk when the region ended at a jump past <see cref="ElseStart"/>.</summary>
    public int JumpedPast { get; set; } = -1;
    /// <summary>
    /// The sequence cannot go on at or past this op (a case body: what follows in layout is the case's failure code;
    /// a nested construct whose join was threaded past it ends the body there). Not inherited by child regions.
    /// </summary>
    public int Limit { get; set; } = int.MaxValue;
    /// <summary>A match case's body: its end goes to the match's end.</summary>
    public bool IsCaseBody { get; set; }
    /// <summary>The try-finally whose body this region is (its normal exits carry a copy of the finally body).</summary>
    public FinallyInfo? Finally { get; init; }
    /// <summary>Set on the body region of a with / try / except clause: recognises the code its exits run.</summary>
    public ConstructExit? Exit { get; init; }
    /// <summary>The name an `except ... as name` body binds (its clean-up stores are not statements).</summary>
    public string? ExceptName { get; init; }
    /// <summary>The canonical finally body in a handler: its closing RERAISE ends the walk.</summary>
    public bool IsFinallyHandler { get; init; }
    /// <summary>The RERAISE ops that ended this canonical finally body's walk (one per branch that re-raises).</summary>
    public List<int> ClosingReraises => _closingReraises ??= [];
    private List<int>? _closingReraises;

    public string? ActiveExceptName
    {
        get
        {
            for (var r = this; r is not null; r = r.Parent)
                if (r.ExceptName is not null) return r.ExceptName;
            return null;
        }
    }

    public bool InFinallyHandler
    {
        get
        {
            for (var r = this; r is not null; r = r.Parent)
            {
                if (r.IsFinallyHandler) return true;
                if (r.Exit is not null) return false;
            }
            return false;
        }
    }

    public bool IsStop(int op)
    {
        for (var r = this; r is not null; r = r.Parent)
            if (r._stops is { } stops && stops.Contains(op)) return true;
        return false;
    }

    /// <summary>Whether this region itself (not a parent) stops at <paramref name="op"/>.</summary>
    public bool HasOwnStop(int op) => _stops is { } stops && stops.Contains(op);

    public LoopInfo? InnermostLoop
    {
        get
        {
            for (var r = this; r is not null; r = r.Parent)
                if (r.Loop is not null) return r.Loop;
            return null;
        }
    }

    public Region Child(IEnumerable<int>? stops = null, LoopInfo? loop = null, ExceptionHandler? handler = null, bool keepHandler = true, int elseStart = -1, FinallyInfo? fin = null, int? baseDepth = null,
        ConstructExit? exit = null, string? exceptName = null, bool finallyHandler = false)
    {
        var region = new Region
        {
            Parent = this,
            Base = baseDepth ?? Base,
            Exit = exit,
            ExceptName = exceptName,
            IsFinallyHandler = finallyHandler,
            Loop = loop,
            Handler = keepHandler ? Handler : handler,
            ElseStart = elseStart,
            Finally = fin,
        };
        if (stops is not null)
            foreach (int op in stops) region.Stops.Add(op);
        return region;
    }
}

/// <summary>
/// A region's stop ops: usually one to three, so a linear scan of a small array, which costs less than a hash set per
/// region (the walk asks every region of the chain at every op); a set past <see cref="LinearLimit"/> ops.
/// </summary>
internal sealed class OpSet
{
    private const int LinearLimit = 16;
    private int[] _ops = new int[4];
    private int _count;
    private HashSet<int>? _many;

    public bool Contains(int op)
    {
        if (_many is not null) return _many.Contains(op);
        for (int i = 0; i < _count; i++)
            if (_ops[i] == op) return true;
        return false;
    }

    public void Add(int op)
    {
        if (_many is not null) { _many.Add(op); return; }
        if (Contains(op)) return;
        if (_count == LinearLimit)
        {
            _many = new HashSet<int>(_ops[.._count]) { op };
            return;
        }
        if (_count == _ops.Length) Array.Resize(ref _ops, _ops.Length * 2);
        _ops[_count++] = op;
    }
}

/// <summary>
/// The code a construct runs when control leaves its body (a with's __exit__ call, a copy of a finally body,
/// an except clause's POP_EXCEPT): how to recognise it at an exit, and where the construct statement sits.
/// </summary>
internal abstract class ConstructExit
{
    /// <summary>The region the construct statement is in.</summary>
    public required Region Outer { get; init; }
    /// <summary>
    /// Whether an op is the first one laid out after the construct's body and its normal exit code (the handler after
    /// a try body, the next clause's test after an except clause); null when unknown.
    /// </summary>
    public Func<int, bool>? EndsLayout { get; init; }
    /// <summary>The op after this construct's exit code starting at <paramref name="pos"/>, or -1 when there is none.</summary>
    public abstract int MatchUnwinding(int pos);
    /// <summary>Takes the exit code [pos, after) on the current stack (evaluating what moves the stack, consuming the rest).</summary>
    public abstract void ConsumeUnwinding(int pos, int after);
}

/// <summary>A try-finally body's knowledge of its finally block, to strip the copies on its exits.</summary>
internal sealed class FinallyInfo
{
    /// <summary>Ops of the canonical (exceptional) finally body.</summary>
    public required int Start { get; init; }
    public required int End { get; init; }
}
