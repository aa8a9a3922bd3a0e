using PyRecon.Decompilation;
using PyRecon.Evaluation;
using PyRecon.Flow;
using PyRecon.Syntax;

namespace PyRecon.Structuring;

/// <summary>
/// 3.12+ inlined list/set/dict comprehensions (PEP 709):
/// `GET_ITER; LOAD_FAST_AND_CLEAR v...; SWAP n+1; BUILD_LIST 0; SWAP 2; FOR_ITER ...` under a handler that
/// restores the saved locals. The loop is structured as a for statement (with LIST_APPEND and friends as
/// element statements) and turned into the comprehension expression; the stores that restore the saved
/// locals afterwards are consumed by the evaluator.
/// </summary>
internal sealed partial class Structurer
{
    private bool TryInlineComprehension(int pos, Region? region, List<StmtNode> output, out int resume)
    {
        resume = pos;
        if (_ops[pos].Name != "LOAD_FAST_AND_CLEAR") return false;
        if (_eval.Stack.Count == 0 || _eval.Stack.Peek() is not IteratorMarker iterator)
            throw Fail("LOAD_FAST_AND_CLEAR without an iterator below", pos);
        var saved = new List<string>();
        int p = pos;
        while (p < _ops.Length && _ops[p].Name == "LOAD_FAST_AND_CLEAR")
        {
            saved.Add(_ops[p].Instruction.Argument.ToString()!);
            p = NextReal(p);
        }
        if (p >= _ops.Length || _ops[p].Name != "SWAP" || _ops[p].Instruction.Arg != saved.Count + 1) throw Fail("inlined comprehension without its SWAP", p);
        p = NextReal(p);
        string kind = _ops[p].Name switch
        {
            "BUILD_LIST" => "<listcomp>",
            "BUILD_SET" => "<setcomp>",
            "BUILD_MAP" => "<dictcomp>",
            _ => throw Fail("inlined comprehension without its accumulator", p),
        };
        p = NextReal(p);
        if (_ops[p].Name != "SWAP" || _ops[p].Instruction.Arg != 2) throw Fail("inlined comprehension without its second SWAP", p);
        int head = NextReal(p);
        if (head >= _ops.Length || _ops[head].Kind is not (OpKind.ForIter or OpKind.AsyncForIter)) throw Fail("inlined comprehension without its loop", head);
        // Evaluate the prologue as the interpreter runs it (the SWAPs put the saved locals under the iterator
        // in their own order); the empty display is the accumulator.
        for (int i = pos; i < head; i++)
        {
            var op = _ops[i];
            if (op.Kind == OpKind.Skip) { Consume(i); continue; }
            if (op.Name is "BUILD_LIST" or "BUILD_SET" or "BUILD_MAP")
            {
                Consume(i);
                _eval.Stack.Push(new AccumulatorMarker(kind));
            }
            else _eval.Eval(op);
        }
        if (_eval.Stack.Peek() is not IteratorMarker) throw Fail("inlined comprehension prologue does not leave the iterator on top", head);

        // The handler that restores the saved locals if the loop raises: `SWAP 2; POP_TOP; SWAP 2; STORE...; RERAISE`.
        var restore = _flow.HandlerOf(head);
        ExceptionHandler? loopHandler = region?.Handler;
        if (restore is not null && !ReferenceEquals(restore, region?.Handler) && IsComprehensionRestore(restore))
        {
            ConsumeRestoreHandler(restore);
            loopHandler = restore;
        }
        var savedStack = _eval.Stack;
        var savedOut = _eval.Out;
        int savedBase = _eval.StatementBase;
        int savedLine = _eval.StatementLine; // the comprehension is part of the enclosing statement
        var outer = region ?? new Region();
        var compRegion = new Region { Parent = outer, Base = _eval.Stack.Count - 1, Handler = loopHandler };
        var loop = new List<StmtNode>();
        int after = StructureFor(head, head, compRegion, loop);
        _eval.Out = savedOut;
        _eval.StatementBase = savedBase;
        _eval.StatementLine = savedLine;
        var expr = ComprehensionBuilder.BuildInline(kind, loop, _ctx.Pseudo, _ctx.ExprLines);
        if (_eval.Stack.Pop() is not AccumulatorMarker) throw Fail("inlined comprehension lost its accumulator", head);
        _eval.Stack.Push(expr);
        _ = savedStack;
        resume = after;
        return true;
    }

    private bool IsComprehensionRestore(ExceptionHandler h)
    {
        int p = RealAt(h.Target);
        return p + 2 < _ops.Length && _ops[p].Name == "SWAP" && _ops[NextReal(p)].Name == "POP_TOP";
    }

    private void ConsumeRestoreHandler(ExceptionHandler h)
    {
        for (int p = RealAt(h.Target); p < _ops.Length; p = NextReal(p))
        {
            Consume(p);
            if (_ops[p].Name == "RERAISE") break;
        }
    }
}
