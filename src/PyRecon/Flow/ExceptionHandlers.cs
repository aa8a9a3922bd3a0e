using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Flow;

/// <summary>How a 3.8-3.10 handler was pushed (3.11+ handlers are all <see cref="Table"/>).</summary>
public enum HandlerOrigin : byte { Table, SetupFinally, SetupWith, SetupAsyncWith }

/// <summary>
/// One exception handler, in one shape for every version: 3.11+ exception-table entries and the 3.8-3.10
/// SETUP_* blocks both become handlers with a target op, the stack depth it unwinds to, whether the
/// offset of the raising instruction is pushed (lasti), and its parent: the handler in charge when this
/// handler's own code raises past its clean-up.
/// </summary>
public sealed class ExceptionHandler
{
    internal ExceptionHandler(int id, int target, int depth, bool lasti, HandlerOrigin origin)
    {
        Id = id;
        Target = target;
        Depth = depth;
        Lasti = lasti;
        Origin = origin;
    }

    public int Id { get; }
    /// <summary>Op index where the handler starts.</summary>
    public int Target { get; }
    public int Depth { get; }
    public bool Lasti { get; }
    public HandlerOrigin Origin { get; }
    /// <summary>The enclosing handler (null at the outermost level).</summary>
    public ExceptionHandler? Parent { get; internal set; }

    /// <summary>True when <paramref name="other"/> is this handler or one of its ancestors.</summary>
    public bool IsWithin(ExceptionHandler? other)
    {
        if (other is null) return true;
        for (var h = this; h is not null; h = h.Parent)
            if (ReferenceEquals(h, other)) return true;
        return false;
    }

    public override string ToString() => $"H{Id}(->{Target} depth {Depth}{(Lasti ? " lasti" : "")}{(Origin != HandlerOrigin.Table ? " " + Origin : "")}{(Parent is null ? "" : " parent H" + Parent.Id)})";
}

/// <summary>Builds the handler of every op (3.11+ from the exception table, 3.8-3.10 by simulating the block stack).</summary>
internal static class ExceptionHandlerBuilder
{
    public static (ImmutableArray<ExceptionHandler> Handlers, ExceptionHandler?[] HandlerOf, List<string> Problems) Build(CodeObject code, Op[] ops)
    {
        var problems = new List<string>();
        var handlerOf = new ExceptionHandler?[ops.Length];
        var handlers = new List<ExceptionHandler>();
        if (code.Version >= PythonVersion.V3_11) FromTable(code, ops, handlers, handlerOf, problems);
        else FromBlockStack(ops, handlers, handlerOf, problems);
        return (handlers.ToImmutableArray(), handlerOf, problems);
    }

    private static void FromTable(CodeObject code, Op[] ops, List<ExceptionHandler> handlers, ExceptionHandler?[] handlerOf, List<string> problems)
    {
        ImmutableArray<ExceptionTableEntry> table;
        try { table = code.ExceptionTable; }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException)
        {
            problems.Add("unreadable exception table: " + e.Message);
            return;
        }
        if (table.IsEmpty) return;
        using var indexAt = OffsetIndex.Of(ops.Length, i => (ops[i].Instruction.Offset, ops[i].Instruction.StartOffset));
        var byKey = new Dictionary<(int, int, bool), ExceptionHandler>();
        foreach (var entry in table)
        {
            if (!indexAt.TryGet(entry.Target, out int target))
            {
                problems.Add($"exception table target {entry.Target} is not an instruction");
                continue;
            }
            if (!byKey.TryGetValue((target, entry.Depth, entry.Lasti), out var handler))
            {
                handler = new ExceptionHandler(handlers.Count, target, entry.Depth, entry.Lasti, HandlerOrigin.Table);
                byKey[(target, entry.Depth, entry.Lasti)] = handler;
                handlers.Add(handler);
            }
            // Ops are in offset order: the range's ops follow its first one.
            for (int i = indexAt.FirstAtOrAfter(entry.Start); i < ops.Length && ops[i].Instruction.Offset < entry.End; i++)
                handlerOf[i] = handler;
        }
        // Parent: the handler covering the handler's clean-up. A handler's first op is covered by its clean-up
        // handler (lasti, `COPY 3; POP_EXCEPT; RERAISE 1`), whose ops are covered by the enclosing handler.
        foreach (var h in handlers)
        {
            var cleanup = handlerOf[h.Target];
            if (cleanup is null || ReferenceEquals(cleanup, h)) continue;
            if (IsCleanupBlock(ops, cleanup.Target))
            {
                var outer = handlerOf[cleanup.Target];
                h.Parent = ReferenceEquals(outer, h) ? null : outer;
            }
            else h.Parent = cleanup; // no clean-up block (e.g. an async for's END_ASYNC_FOR): the covering handler encloses it
        }
        // A cycle would make IsWithin loop: break any.
        foreach (var h in handlers)
        {
            var seen = new HashSet<ExceptionHandler>();
            for (var p = h; p is not null; p = p.Parent)
                if (!seen.Add(p)) { h.Parent = null; problems.Add($"handler chain of H{h.Id} loops"); break; }
        }
    }

    /// <summary>`COPY 3; POP_EXCEPT; RERAISE 1`: the clean-up that restores the previous exception.</summary>
    internal static bool IsCleanupBlock(Op[] ops, int start)
    {
        int i = start;
        return i + 2 < ops.Length
            && ops[i].Name == "COPY" && ops[i].Instruction.Arg == 3
            && ops[i + 1].Name == "POP_EXCEPT"
            && ops[i + 2].Name == "RERAISE";
    }

    private static void FromBlockStack(Op[] ops, List<ExceptionHandler> handlers, ExceptionHandler?[] handlerOf, List<string> problems)
    {
        // The handler stack before each op; null = not reached yet. Stacks are immutable linked lists.
        var state = new Frame?[ops.Length];
        var reached = new bool[ops.Length];
        var work = new Stack<int>();
        var setupHandler = new Dictionary<int, ExceptionHandler>();

        void Reach(int i, Frame? frame)
        {
            if (i < 0 || i >= ops.Length) return;
            if (reached[i])
            {
                if (!Frame.Same(state[i], frame)) problems.Add($"op {i}: two different block stacks meet");
                return;
            }
            reached[i] = true;
            state[i] = frame;
            work.Push(i);
        }

        if (ops.Length > 0) Reach(0, null);
        while (work.Count > 0)
        {
            int i = work.Pop();
            var op = ops[i];
            var frame = state[i];
            handlerOf[i] = frame?.Handler;
            switch (op.Kind)
            {
                case OpKind.Setup:
                {
                    if (!setupHandler.TryGetValue(i, out var h))
                    {
                        var origin = op.Name switch { "SETUP_WITH" => HandlerOrigin.SetupWith, "SETUP_ASYNC_WITH" => HandlerOrigin.SetupAsyncWith, _ => HandlerOrigin.SetupFinally };
                        h = new ExceptionHandler(handlers.Count, op.Target, Math.Max(0, op.Depth), false, origin) { Parent = frame?.Handler };
                        handlers.Add(h);
                        setupHandler[i] = h;
                    }
                    Reach(op.Target, frame);                 // the handler runs with the block popped
                    Reach(i + 1, new Frame(h, frame));
                    break;
                }
                case OpKind.PopBlock:
                    if (frame is null) problems.Add($"op {i}: POP_BLOCK with an empty block stack");
                    Reach(i + 1, frame?.Next);
                    break;
                default:
                    if (op.Target >= 0 && op.Kind is not OpKind.Plain and not OpKind.Skip) Reach(op.Target, frame);
                    if (op.FallsThrough) Reach(i + 1, frame);
                    break;
            }
        }
    }

    private sealed class Frame(ExceptionHandler handler, Frame? next)
    {
        public ExceptionHandler Handler { get; } = handler;
        public Frame? Next { get; } = next;

        public static bool Same(Frame? a, Frame? b)
        {
            while (a is not null && b is not null)
            {
                if (!ReferenceEquals(a.Handler, b.Handler)) return false;
                a = a.Next;
                b = b.Next;
            }
            return a is null && b is null;
        }
    }
}
