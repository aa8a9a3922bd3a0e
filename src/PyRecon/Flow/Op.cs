using PyRecon.Bytecode;

namespace PyRecon.Flow;

/// <summary>What an instruction means to the structurer once the version's plumbing is normalized away.</summary>
public enum OpKind : byte
{
    /// <summary>Evaluated by the symbolic evaluator through the generated dispatch.</summary>
    Plain,
    /// <summary>No effect on the source (NOP, RESUME, CACHE, NOT_TAKEN, PRECALL, ...) or absorbed into a neighbour.</summary>
    Skip,
    /// <summary>Unconditional jump to <see cref="Op.Target"/>.</summary>
    Jump,
    /// <summary>Pops the top of the stack and jumps when <see cref="Op.Sense"/> holds, else falls through.</summary>
    CondJump,
    /// <summary>JUMP_IF_X_OR_POP (also 3.12+'s COPY 1; POP_JUMP_IF_X; POP_TOP): jumps keeping the value, else pops it and falls through.</summary>
    KeepJump,
    /// <summary>FOR_ITER: falls into the body with the next item pushed, jumps to the exit when exhausted.</summary>
    ForIter,
    /// <summary>The head of an async for (GET_ANEXT and its await), jumping to the END_ASYNC_FOR exit.</summary>
    AsyncForIter,
    Return,
    Raise,
    Reraise,
    /// <summary>3.8-3.10 SETUP_FINALLY / SETUP_WITH / SETUP_ASYNC_WITH: falls through, pushes a handler.</summary>
    Setup,
    /// <summary>3.8-3.10 POP_BLOCK.</summary>
    PopBlock,
    /// <summary>3.8 CALL_FINALLY: a subroutine call of a finally body.</summary>
    CallFinally,
    /// <summary>3.8 END_FINALLY: re-raises or returns from a finally body.</summary>
    EndFinally,
}

/// <summary>When a conditional jump is taken.</summary>
public enum JumpSense : byte { None, IfTrue, IfFalse, IfNone, IfNotNone }

/// <summary>
/// One instruction as the structurer sees it: same index as the decoded instruction, plus its normalized
/// kind, its jump target as an op index, its line and its static stack depth.
/// </summary>
public sealed class Op
{
    public Op(int index, Instruction instruction)
    {
        Index = index;
        Instruction = instruction;
    }

    public int Index { get; }
    public Instruction Instruction { get; }
    public OpKind Kind { get; internal set; }
    public JumpSense Sense { get; internal set; }
    /// <summary>Jump target (op index), -1 when none.</summary>
    public int Target { get; internal set; } = -1;
    /// <summary>Static stack depth before the op (the compiler's own count), -1 when unreachable.</summary>
    public int Depth { get; internal set; } = -1;
    /// <summary>Source line, 0 when the instruction has none.</summary>
    public int Line { get; internal set; }
    /// <summary>Why a Skip op was absorbed (for dumps); null for plain no-ops.</summary>
    public string? AbsorbedBy { get; internal set; }

    public string Name => Instruction.Name;
    public OpcodeHandler Handler => Instruction.Opcode.Handler;
    public bool IsTerminator => Kind is OpKind.Jump or OpKind.CondJump or OpKind.KeepJump or OpKind.ForIter or OpKind.AsyncForIter
        or OpKind.Return or OpKind.Raise or OpKind.Reraise or OpKind.EndFinally or OpKind.CallFinally;
    public bool FallsThrough => Kind is not (OpKind.Jump or OpKind.Return or OpKind.Raise or OpKind.Reraise);

    public override string ToString() => $"{Index}:{Instruction.Offset} {Name} {Instruction.Argument} [{Kind}{(Sense != JumpSense.None ? " " + Sense : "")}{(Target >= 0 ? " ->" + Target : "")}]";
}
