using System.Collections.Immutable;
using System.Runtime.InteropServices;
using PyRecon.Model;

namespace PyRecon.Bytecode;

/// <summary>Stack depths computed from the spec's stack effects (see <see cref="StackDepth.Compute"/>).</summary>
/// <param name="DepthBefore">Depth before each instruction (indexed like the instruction array); null = not reached.</param>
/// <param name="MaxDepth">The largest depth reached anywhere.</param>
/// <param name="Problems">Places where two paths arrive with different depths, or the depth would go negative.</param>
public sealed record StackDepthResult(ImmutableArray<int?> DepthBefore, int MaxDepth, ImmutableArray<string> Problems);

/// <summary>
/// Walks the instructions the way CPython's own stackdepth pass does: from the entry with depth 0, along
/// fall-through edges with <c>stack_effect(jump=False)</c> and jump edges with <c>stack_effect(jump=True)</c>;
/// 3.11+ exception handlers start at their table depth + 1 (+1 more with lasti); generator and coroutine code
/// starts at the spec's <c>.generator_entry_depth</c>; 3.8's CALL_FINALLY edge is not followed (a subroutine call
/// into a finally block reached anyway). Unconditional jumps,
/// returns and raises (handlers Jump, ReturnValue, ReturnConst, Raise, Reraise) end a path.
/// </summary>
public static class StackDepth
{
    /// <summary>Whether control can continue to the next instruction (false for unconditional jumps, returns, raises).</summary>
    public static bool FallsThrough(Instruction instruction) => instruction.Opcode.Handler is not
        (OpcodeHandler.Jump or OpcodeHandler.ReturnValue or OpcodeHandler.ReturnConst or OpcodeHandler.Raise or OpcodeHandler.Reraise);

    /// <summary>
    /// Whether an instruction with a jump argument can transfer control there. 3.14's END_ASYNC_FOR carries a
    /// backward target only for monitoring's branch events: it falls through or raises.
    /// </summary>
    public static bool Branches(Instruction instruction) =>
        instruction.Argument is JumpArgument && instruction.Opcode.Handler != OpcodeHandler.EndAsyncFor;

    public static StackDepthResult Compute(CodeObject code, ImmutableArray<Instruction> instructions)
    {
        var table = OpcodeTable.For(code.Version);
        var depth = new int?[instructions.Length];
        var problems = ImmutableArray.CreateBuilder<string>();
        var work = new Stack<int>();
        int max = 0;

        // Where an edge comes from, named only for a problem (most code has none): an instruction index, or
        // one of these.
        const int FromEntry = -1, FromExceptionTable = -2;
        string From(int from) => from switch
        {
            FromEntry => "entry",
            FromExceptionTable => "exception table",
            _ => $"{instructions[from].Name} at {instructions[from].Offset}",
        };

        void Reach(int index, int d, int from)
        {
            if (index < 0 || index >= instructions.Length) return;
            if (d < 0) { problems.Add($"negative depth {d} at offset {instructions[index].Offset} from {From(from)}"); d = 0; }
            max = Math.Max(max, d);
            if (depth[index] is int known)
            {
                if (known != d) problems.Add($"offset {instructions[index].Offset}: depth {known} and {d} (from {From(from)})");
                return;
            }
            depth[index] = d;
            work.Push(index);
        }

        const CodeFlags generatorLike = CodeFlags.Generator | CodeFlags.Coroutine | CodeFlags.AsyncGenerator;
        if (instructions.Length > 0) Reach(0, (code.Flags & generatorLike) != 0 ? table.GeneratorEntryDepth : 0, FromEntry);
        // Handler targets by offset, only for code that has an exception table.
        var entries = code.ExceptionTable;
        using var indexAt = entries.IsEmpty ? null : OffsetIndex.Of(instructions.Length, i => (instructions[i].Offset, instructions[i].StartOffset));
        foreach (var entry in entries)
            if (indexAt!.TryGet(entry.Target, out int handler)) Reach(handler, entry.Depth + 1 + (entry.Lasti ? 1 : 0), FromExceptionTable);

        while (work.Count > 0)
        {
            int i = work.Pop();
            var ins = instructions[i];
            int d = depth[i]!.Value;
            if (ins.Argument is JumpArgument jump && Branches(ins))
            {
                var taken = table.StackEffect(ins.Opcode, ins.Arg, jump: true);
                if (taken is int t)
                {
                    if (ins.Opcode.Handler == OpcodeHandler.CallFinally)
                    {
                        // 3.8's CALL_FINALLY calls the finally block as a subroutine: the block is entered
                        // through its SETUP_FINALLY handler edge with a deeper stack, so this edge only
                        // counts towards the maximum (as in 3.8's compile.c stackdepth()).
                        max = Math.Max(max, d + t);
                    }
                    else Reach(jump.TargetIndex, d + t, i);
                }
            }
            if (FallsThrough(ins))
            {
                var fall = table.StackEffect(ins.Opcode, ins.Arg, jump: false);
                if (fall is int f)
                {
                    max = Math.Max(max, d + f);
                    Reach(i + 1, d + f, i);
                }
            }
        }
        // The array is not touched again: handed over, not copied.
        return new StackDepthResult(ImmutableCollectionsMarshal.AsImmutableArray(depth), max, problems.ToImmutable());
    }
}
