namespace PyRecon.Decompilation;

/// <summary>
/// Thrown by a pass when it meets a shape it cannot turn into source with certainty. The driver catches it
/// per code object: that code object's body becomes a marked comment, the rest of the file still decompiles.
/// </summary>
public sealed class DecompileFailure(string stage, string reason, int offset = -1) : Exception(reason)
{
    /// <summary>The pass or construct that gave up (e.g. "evaluate", "structure-try").</summary>
    public string Stage { get; } = stage;
    /// <summary>Bytecode offset where it happened, -1 when not tied to one instruction.</summary>
    public int Offset { get; } = offset;
}
