namespace PyRecon.Flow;

/// <summary>
/// A run of ops entered only at its first op. <see cref="Last"/> is the terminator when the block ends in
/// one (jump, conditional jump, for-iteration, return, raise); otherwise the block falls into <see cref="Next"/>.
/// </summary>
public sealed class BasicBlock
{
    internal BasicBlock(int id, int start, int end)
    {
        Id = id;
        Start = start;
        End = end;
    }

    public int Id { get; }
    /// <summary>First op index.</summary>
    public int Start { get; }
    /// <summary>One past the last op index.</summary>
    public int End { get; internal set; }
    /// <summary>The block laid out right after this one (-1 for the last).</summary>
    public int Next { get; internal set; } = -1;
    /// <summary>Normal-flow successors (exception edges are not included).</summary>
    public List<int> Successors { get; } = [];
    public List<int> Predecessors { get; } = [];
    /// <summary>The handler covering the block's ops (the first non-skip op's), null when none.</summary>
    public ExceptionHandler? Handler { get; internal set; }
    /// <summary>True when no normal edge from the entry or a handler reaches the block.</summary>
    public bool Unreachable { get; internal set; }

    public override string ToString() => $"B{Id}[{Start}..{End})";
}
