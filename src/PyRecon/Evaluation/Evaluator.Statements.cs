using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;
using Attribute = PyRecon.Syntax.Attribute;
using Tuple = PyRecon.Syntax.Tuple;

namespace PyRecon.Evaluation;

/// <summary>Stores, deletes, imports, returns, raises, yields, awaits, unpacking and intrinsics.</summary>
internal sealed partial class Evaluator
{
    private void Store(ExprNode target)
    {
        var item = Stack.Pop(out int seq);
        StoreTo(target, item, seq);
    }

    public bool StoreFast(Instruction i) { StoreVariable(NameOf(i)); return true; }
    public bool StoreName(Instruction i) { StoreVariable(NameOf(i)); return true; }

    private void StoreVariable(string name)
    {
        if (Stack.Count > 0 && Stack.Peek() is SavedLocalMarker saved && saved.Name == name)
        {
            // An inlined comprehension restores a local it saved; in a class body that includes its own `.0`.
            Pop();
            EndSilentStatement();
            return;
        }
        if (IsHidden(name)) StoreHidden(name);
        else Store(NameNode(name, ExprContext.Store));
    }

    public bool StoreGlobal(Instruction i)
    {
        var name = NameOf(i);
        // At module level a walrus in an inlined comprehension (3.12+) stores its target with STORE_GLOBAL too.
        if (_ctx.Scope != ScopeKind.Module || !IsWalrusStore()) _ctx.GlobalStores.Add(name);
        Store(NameNode(name, ExprContext.Store));
        return true;
    }

    /// <summary>The op being evaluated stores the value a `COPY 1` just duplicated (an assignment expression).</summary>
    private bool IsWalrusStore()
    {
        if (_op is null) return false;
        var ops = _ctx.Flow.Ops;
        for (int k = _op.Index - 1; k >= 0; k--)
        {
            if (ops[k].Kind == OpKind.Skip) continue;
            return ops[k].Name == "COPY" && ops[k].Instruction.Arg == 1;
        }
        return false;
    }

    public bool StoreDeref(Instruction i)
    {
        var name = NameOf(i);
        if (_ctx.Code.FreeVars.Contains(name)) _ctx.NonlocalStores.Add(name);
        StoreVariable(name);
        return true;
    }

    public bool StoreFastPair(Instruction i)
    {
        var pair = (LocalPairArgument)i.Argument;
        StoreVariable(pair.First.Name);
        StoreVariable(pair.Second.Name);
        return true;
    }

    public bool StoreFastLoadFast(Instruction i)
    {
        var pair = (LocalPairArgument)i.Argument;
        StoreVariable(pair.First.Name);
        Push(Load(pair.Second.Name));
        return true;
    }

    public bool StoreAttr(Instruction i)
    {
        var owner = PopExpr();
        Store(S.Attribute(owner, NameOf(i), ExprContext.Store));
        return true;
    }

    public bool StoreSubscr(Instruction i)
    {
        var index = PopExpr();
        var container = PopExpr();
        Store(S.Subscript(container, index, ExprContext.Store));
        return true;
    }

    public bool StoreSlice(Instruction i)
    {
        var stop = PopExpr();
        var start = PopExpr();
        var container = PopExpr();
        Store(S.Subscript(container, S.Slice(NoneToNull(start), NoneToNull(stop)), ExprContext.Store));
        return true;
    }

    private void Delete(ExprNode target)
    {
        Emit(S.Delete([target]));
    }

    public bool DeleteFast(Instruction i) { Delete(NameNode(NameOf(i), ExprContext.Del)); return true; }
    public bool DeleteName(Instruction i) { Delete(NameNode(NameOf(i), ExprContext.Del)); return true; }

    public bool DeleteGlobal(Instruction i)
    {
        var name = NameOf(i);
        _ctx.GlobalStores.Add(name);
        Delete(NameNode(name, ExprContext.Del));
        return true;
    }

    public bool DeleteDeref(Instruction i)
    {
        var name = NameOf(i);
        if (_ctx.Code.FreeVars.Contains(name)) _ctx.NonlocalStores.Add(name);
        Delete(NameNode(name, ExprContext.Del));
        return true;
    }

    public bool DeleteAttr(Instruction i)
    {
        var owner = PopExpr();
        Delete(S.Attribute(owner, NameOf(i), ExprContext.Del));
        return true;
    }

    public bool DeleteSubscr(Instruction i)
    {
        var index = PopExpr();
        var container = PopExpr();
        Delete(S.Subscript(container, index, ExprContext.Del));
        return true;
    }

    // ---------------------------------------------------------------- unpacking

    public bool UnpackSequence(Instruction i)
    {
        var source = Stack.Pop(out int seq);
        var group = new TargetGroup(TargetGroupKind.Unpack, i.Arg) { Source = source, SourceSeq = seq, Line = _op.Line };
        for (int k = i.Arg - 1; k >= 0; k--) Push(new TargetSlot(group, k));
        return true;
    }

    public bool UnpackEx(Instruction i)
    {
        var arg = (UnpackExArgument)i.Argument;
        var source = Stack.Pop(out int seq);
        int count = arg.Before + 1 + arg.After;
        var group = new TargetGroup(TargetGroupKind.Unpack, count) { Source = source, SourceSeq = seq, StarIndex = arg.Before, Line = _op.Line };
        for (int k = count - 1; k >= 0; k--) Push(new TargetSlot(group, k));
        return true;
    }

    // ---------------------------------------------------------------- imports

    public bool ImportName(Instruction i)
    {
        var fromList = PopExpr();
        var level = PopExpr();
        if (level is not Constant { Value: PyInt lv } || fromList is not Constant fl)
            throw _ctx.Fail("evaluate", "IMPORT_NAME without constant level and from-list", _op);
        Push(new ImportMarker(NameOf(i), (int)lv.Value, fl.Value));
        return true;
    }

    public bool ImportFrom(Instruction i)
    {
        var top = Stack.Peek();
        var name = NameOf(i);
        switch (top)
        {
            case ImportMarker import:
                if (import.FromList is PyNone) import.AttributeDepth++;
                Push(new ImportFromMarker(import, name));
                return true;
            case ImportFromMarker from when from.Import.FromList is PyNone:
                // `import a.b.c as d`: walking down the dotted path.
                Push(new ImportFromMarker(from.Import, name));
                return true;
            default:
                throw _ctx.Fail("evaluate", "IMPORT_FROM without a module", _op);
        }
    }

    private Alias ImportAlias(ImportMarker import, ExprNode target)
    {
        if (target is not Name n) throw _ctx.Fail("evaluate", "an import stored to a non-name", _op);
        var first = import.Module.Split('.')[0];
        return n.Id == first ? S.Alias(import.Module) : S.Alias(import.Module, n.Id);
    }

    private void StoreImportFrom(ImportFromMarker from, ExprNode target)
    {
        if (target is not Name n) throw _ctx.Fail("evaluate", "an imported name stored to a non-name", _op);
        if (from.Import.FromList is PyNone)
        {
            Emit(S.Import([S.Alias(from.Import.Module, n.Id)]));
            return;
        }
        from.Import.FromNames.Add(n.Id == from.Name ? S.Alias(from.Name) : S.Alias(from.Name, n.Id));
    }

    public bool ImportStar(Instruction i)
    {
        if (Pop() is not ImportMarker import) throw _ctx.Fail("evaluate", "IMPORT_STAR without a module", _op);
        Emit(S.ImportFrom(import.Module.Length == 0 ? null : import.Module, [S.Alias("*")], import.Level));
        return true;
    }

    // ---------------------------------------------------------------- returns, raises, yields

    public bool ReturnValue(Instruction i)
    {
        var value = Pop();
        if (_ctx.Scope == ScopeKind.TypeParams)
        {
            ReturnGeneric(value);
            return true;
        }
        // A class body cannot return: its one return hands the __class__ cell back (`__classcell__` stored on the
        // way), and the optimizer copies it into the branches of a trailing if. Read as a bare return, each copy is
        // the compiler's implicit return, which structuring and clean-up already leave out.
        if (_ctx.Scope == ScopeKind.Class)
        {
            Emit(S.Return());
            return true;
        }
        var ret = value is Constant { Value: PyNone } ? S.Return() : S.Return(Materialize(value));
        if (IsSplitFromItsLoad(value)) _ctx.SplitReturns.Add(ret);
        Emit(ret);
        return true;
    }

    /// <summary>
    /// Evidence that the RETURN_VALUE being evaluated is the optimizer's copy of a return shared by both arms of a
    /// conditional expression, split from the load of its value: where the compiler has RETURN_CONST (3.12-3.13), a
    /// constant returned by RETURN_VALUE; where it has LOAD_FAST_BORROW (3.14), a local loaded right before by a plain
    /// LOAD_FAST the return consumes, which the borrow pass leaves alone when a block boundary the layout does not show lies
    /// between them. The pass also skips whole regions it never reaches (<see cref="BorrowPass"/>), so the nearest earlier
    /// local load that says must be borrowed to show it ran here.
    /// </summary>
    private bool IsSplitFromItsLoad(object value)
    {
        var ops = OpcodeTable.For(Version);
        if (value is Constant) return ops.ByName("RETURN_CONST") is not null;
        if (value is not Name || ops.ByName("LOAD_FAST_BORROW") is null) return false;
        int load = _op.Index - 1;
        if (load < 0 || !_ctx.Consumed[load] || BorrowPass.Read(_ctx.Flow, load) != LoadBorrowing.LeftPlain) return false;
        for (int k = load - 1; k >= 0; k--)
        {
            switch (BorrowPass.Read(_ctx.Flow, k))
            {
                case LoadBorrowing.Borrowed: return true;
                case LoadBorrowing.LeftPlain: return false;
            }
        }
        return false;
    }

    public bool ReturnConst(Instruction i)
    {
        var value = ((ConstArgument)i.Argument).Value;
        Emit(value is PyNone ? S.Return() : S.Return(S.Constant(value)));
        return true;
    }

    public bool Raise(Instruction i)
    {
        switch (i.Arg)
        {
            case 0: Emit(S.Raise()); break;
            case 1:
            {
                var exc = Pop();
                if (exc is AssertionErrorMarker) EmitPseudo(new AssertFailure(null));
                else if (exc is AssertionCallMarker call) EmitPseudo(new AssertFailure(call.Message ?? S.Constant(PyNone.Instance)));
                else Emit(S.Raise(Materialize(exc)));
                break;
            }
            case 2:
            {
                var cause = PopExpr();
                var exc = PopExpr();
                Emit(S.Raise(exc, cause));
                break;
            }
            default: throw _ctx.Fail("evaluate", "RAISE_VARARGS " + i.Arg, _op);
        }
        return true;
    }

    public bool YieldValue(Instruction i)
    {
        var value = PopExpr();
        Push(value is Constant { Value: PyNone } ? S.Yield() : S.Yield(value));
        return true;
    }

    public bool GetAwaitable(Instruction i)
    {
        var value = Pop();
        Push(value switch
        {
            TargetSlot or WithExitCallMarker => value,   // async with: the awaited __aenter__ / __aexit__ result
            _ => new AwaitableMarker(Materialize(value), isAwait: true),
        });
        return true;
    }

    public bool GetYieldFromIter(Instruction i)
    {
        Push(new AwaitableMarker(PopExpr(), isAwait: false));
        return true;
    }

    private object Awaited(object receiver) => receiver switch
    {
        AwaitableMarker a => a.IsAwait ? S.Await(a.Value) : S.YieldFrom(a.Value),
        TargetSlot or WithExitCallMarker => receiver,
        _ => throw _ctx.Fail("evaluate", $"await of {Describe(receiver)}", _op),
    };

    /// <summary>3.8-3.10 YIELD_FROM: (receiver, None) -> result.</summary>
    public bool YieldFrom(Instruction i)
    {
        Pop();
        Push(Awaited(Pop()));
        return true;
    }

    /// <summary>3.11+ SEND (its loop absorbed): 3.11 leaves the result; 3.12+ leaves the receiver under it for END_SEND.</summary>
    public bool Send(Instruction i)
    {
        Pop();
        var receiver = Pop();
        if (Version >= PythonVersion.V3_12) Push(SendReceiverMarker.Instance);
        Push(Awaited(receiver));
        return true;
    }

    public bool EndSend(Instruction i)
    {
        var value = Pop();
        Pop();
        Push(value);
        return true;
    }

    public bool CleanupThrow(Instruction i) => throw Structural(i);

    public bool AsyncGenWrap(Instruction i) => true;

    public bool GetIter(Instruction i)
    {
        var value = Pop();
        Push(value is IteratorMarker ? value : new IteratorMarker(SetDisplayOfFolded(Materialize(value)), false));
        return true;
    }

    public bool GetAIter(Instruction i)
    {
        Push(new IteratorMarker(PopExpr(), true));
        return true;
    }

    public bool GetANext(Instruction i) => throw Structural(i);
    public bool ForIter(Instruction i) => throw Structural(i);
    public bool EndFor(Instruction i) => throw Structural(i);
    public bool PopIter(Instruction i) => throw Structural(i);
    public bool EndAsyncFor(Instruction i) => throw Structural(i);

    public bool PrintExpr(Instruction i)
    {
        Emit(S.Expr(PopExpr()));
        return true;
    }

    public bool SetupAnnotations(Instruction i) => true;

    public bool LoadFastAndClear(Instruction i)
    {
        Push(new SavedLocalMarker(NameOf(i)));
        return true;
    }

    // ---------------------------------------------------------------- intrinsics

    public bool CallIntrinsic1(Instruction i)
    {
        var name = ((TableArgument)i.Argument).Value;
        switch (name)
        {
            case "INTRINSIC_IMPORT_STAR":
                if (Pop() is not ImportMarker import) throw _ctx.Fail("evaluate", "import * without a module", _op);
                Emit(S.ImportFrom(import.Module.Length == 0 ? null : import.Module, [S.Alias("*")], import.Level));
                Push(new OpaqueMarker("import * result"));
                return true;
            case "INTRINSIC_UNARY_POSITIVE":
                Push(S.UnaryOp(Unaryop.UAdd, PopExpr()));
                return true;
            case "INTRINSIC_LIST_TO_TUPLE":
                return ListToTuple(i);
            case "INTRINSIC_ASYNC_GEN_WRAP":
                return true;
            case "INTRINSIC_PRINT":
                Emit(S.Expr(PopExpr()));
                Push(new OpaqueMarker("print result"));
                return true;
            default:
                if (TypeParamIntrinsic1(name)) return true;
                throw _ctx.Fail("evaluate", name + " is not supported yet", _op);
        }
    }

    // ---------------------------------------------------------------- handled by the structurer

    public bool Jump(Instruction i) => throw Structural(i);
    public bool JumpIf(Instruction i) => throw Structural(i);
    public bool JumpIfOrPop(Instruction i) => throw Structural(i);
    public bool JumpIfNotExcMatch(Instruction i) => throw Structural(i);
    public bool PopJumpIf(Instruction i) => throw Structural(i);
    public bool PopJumpIfNone(Instruction i) => throw Structural(i);
    public bool Reraise(Instruction i) => throw Structural(i);
    public bool SetupBlock(Instruction i) => throw Structural(i);
    public bool PopBlock(Instruction i) => throw Structural(i);
    public bool BeginFinally(Instruction i) => throw Structural(i);
    public bool CallFinally(Instruction i) => throw Structural(i);
    public bool EndFinally(Instruction i) => throw Structural(i);
    public bool PopFinally(Instruction i) => throw Structural(i);
    public bool WithCleanupStart(Instruction i) => throw Structural(i);
    public bool WithCleanupFinish(Instruction i) => throw Structural(i);
    public bool WithExceptStart(Instruction i) => throw Structural(i);
    public bool PrepReraiseStar(Instruction i) => throw Structural(i);
    public bool CheckEgMatch(Instruction i) => throw Structural(i);

    public bool PushExcInfo(Instruction i)
    {
        var exc = Pop();
        Push(new ExceptionMarker("previous"));
        Push(exc);
        return true;
    }

    public bool PopExcept(Instruction i)
    {
        var item = Pop();
        Unwound.Add(item);
        if (Version < PythonVersion.V3_11)
        {
            Unwound.Add(Pop());
            Unwound.Add(Pop());
        }
        return true;
    }

    public bool CheckExcMatch(Instruction i)
    {
        var type = PopExpr();
        Push(new ExceptionMatchMarker(type));
        return true;
    }

    public bool BeforeWith(Instruction i)
    {
        var context = PopExpr();
        bool isAsync = i.Name == "BEFORE_ASYNC_WITH";
        Push(new WithExitMarker(context, isAsync));
        Push(new TargetSlot(new TargetGroup(TargetGroupKind.WithEnter, 1) { Context = context, Line = _op.Line }, 0));
        return true;
    }
}
