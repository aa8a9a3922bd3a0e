using System.Collections.Immutable;
using System.Numerics;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;
using Attribute = PyRecon.Syntax.Attribute;
using Tuple = PyRecon.Syntax.Tuple;

namespace PyRecon.Evaluation;

/// <summary>
/// Symbolic evaluation of straight-line ops: every Plain op is routed through the generated
/// <see cref="OpcodeDispatch"/> (the spec's handler column) to one method per semantic, which pops and
/// pushes expressions and markers on <see cref="Stack"/> and appends finished statements to <see cref="Out"/>.
/// Control flow is the structurer's business; it owns the stack between blocks and calls <see cref="Run"/>.
/// </summary>
internal sealed partial class Evaluator : IOpcodeHandlers<bool>
{
    private readonly CodeContext _ctx;
    private Op _op = null!;
    private int _statementLine;
    private PyTuple? _pendingKwNames;
    private readonly HashSet<object> _duplicated = new(ReferenceEqualityComparer.Instance);
    private readonly List<(ExprNode Target, ExprNode Value, int Seq)> _multiAssign = [];

    public Evaluator(CodeContext ctx)
    {
        _ctx = ctx;
        Stack = new SymbolicStack(ctx.Sequence);
        Out = [];
    }

    public SymbolicStack Stack { get; set; }
    public List<StmtNode> Out { get; set; }
    /// <summary>Stack height at which the current statement is complete (items below belong to enclosing constructs).</summary>
    public int StatementBase { get; set; }
    /// <summary>Structural markers popped by ordinary ops since the structurer last looked (an iterator before a break, ...).</summary>
    public List<object> Unwound { get; } = [];
    public PythonVersion Version => _ctx.Version;
    public CodeContext Context => _ctx;
    public Op CurrentOp => _op;

    /// <summary>Evaluates the Plain ops of [from, to); Skip ops are consumed, anything else is refused.</summary>
    public void Run(int from, int to)
    {
        var ops = _ctx.Flow.Ops;
        for (int i = from; i < to; i++)
        {
            var op = ops[i];
            if (op.Kind == OpKind.Skip) { _ctx.Consume(i); continue; }
            if (op.Kind != OpKind.Plain) throw _ctx.Fail("evaluate", $"unexpected {op.Name} inside a straight-line run", op);
            Eval(op);
        }
    }

    /// <summary>
    /// For plumbing ops whose meaning the structurer takes care of (3.8's BEGIN_FINALLY, WITH_CLEANUP_*, ...):
    /// move the stack by the op's static effect (the compiler's own count) so the model stays in step.
    /// </summary>
    public void ApplyStaticEffect(Op op)
    {
        _op = op;
        _ctx.Consume(op.Index);
        var ins = op.Instruction;
        int effect = OpcodeTable.For(Version).StackEffect(ins.Opcode, ins.Arg, jump: false) ?? 0;
        for (int k = 0; k < -effect; k++) Stack.Pop();
        for (int k = 0; k < effect; k++) Stack.Push(new OpaqueMarker(op.Name));
    }

    public void Eval(Op op)
    {
        _op = op;
        if (_statementLine == 0 && op.Line > 0) _statementLine = op.Line;
        _ctx.Consume(op.Index);
        try
        {
            OpcodeDispatch.Dispatch(op.Instruction, this);
        }
        catch (StackUnderflowException)
        {
            throw _ctx.Fail("evaluate", $"stack underflow at {op.Name}", op);
        }
        catch (ArgumentException e)
        {
            throw _ctx.Fail("evaluate", $"{op.Name}: {e.Message}", op);
        }
    }

    /// <summary>The line the next statement starts on (first op evaluated since the last statement).</summary>
    public int StatementLine { get => _statementLine; set => _statementLine = value; }

    // ---------------------------------------------------------------- stack helpers

    public void Push(object item)
    {
        if (item is ExprNode e && _op is { Line: > 0 } op) _ctx.ExprLines.TryAdd(e, op.Line);
        Stack.Push(item);
    }
    public object Pop() => Stack.Pop();

    public ExprNode PopExpr() => Materialize(Stack.Pop());

    public List<object> PopN(int n)
    {
        // Filled from the end: the top of the stack is the last item. One list, no staging array.
        var items = new List<object>(n);
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(items, n);
        for (int i = n - 1; i >= 0; i--) items[i] = Stack.Pop();
        return items;
    }

    public List<ExprNode> PopExprs(int n)
    {
        var items = PopN(n);
        var exprs = new List<ExprNode>(items.Count);
        foreach (var item in items) exprs.Add(Materialize(item));
        return exprs;
    }

    /// <summary>Turns a stack item into the expression it stands for, or fails when it is plumbing.</summary>
    public ExprNode Materialize(object item)
    {
        switch (item)
        {
            case ExprNode e: return e is FormattedValue or Interpolation ? WrapFormatted(e) : e;
            case PendingAssignMarker p:
                if (p.Targets.Count != 1 || p.Targets[0] is not Name) throw _ctx.Fail("evaluate", "a duplicated value stored to several targets is used as a value", _op);
                return S.NamedExpr(p.Targets[0], p.Value);
            case FunctionMarker f when f.Code.Name == "<lambda>": return MakeLambda(f);
            case ClosureMarker { Names.Length: 1 } cell: return S.Name(cell.Names[0]); // a class body returning its __class__ cell
            // `*args: *Ts` (3.11+): the annotation is the one item UNPACK_SEQUENCE 1 takes out of the starred value.
            case TargetSlot { Group: { Kind: TargetGroupKind.Unpack, Targets.Length: 1, StarIndex: -1, Source: { } source } }:
                return S.Starred(Materialize(source));
            case ConvertedValue c: throw _ctx.Fail("evaluate", "CONVERT_VALUE without a FORMAT_SIMPLE", _op);
            default: throw _ctx.Fail("evaluate", $"{Describe(item)} used as a value", _op);
        }
    }

    private static ExprNode WrapFormatted(ExprNode e) => e is Interpolation ? S.TemplateStr([e]) : S.JoinedStr([e]);

    internal static string Describe(object item) => item switch
    {
        ExprNode e => PythonFormatter.FormatExpressionOrDescribe(e),
        _ => item.ToString() ?? "?",
    };

    // ---------------------------------------------------------------- statements

    public void Emit(StmtNode stmt)
    {
        Out.Add(stmt);
        int line = _statementLine > 0 ? _statementLine : _op?.Line ?? 0;
        // A statement starts on the lowest line of its expressions: its first op may come from a later line
        // (3.12+ evaluate an inlined comprehension's iterable, written under the element, first). Only the
        // statement's own expressions count: clean-up it runs (a with's exit on return) has the header's line.
        // 3.14's __annotate__ stores all go into the dict built on the first annotation's line.
        if (stmt is not (FunctionDef or AsyncFunctionDef or ClassDef) && _ctx.Scope != ScopeKind.Annotate && LowestLine(stmt) is > 0 and var lowest && (line == 0 || lowest < line)) line = lowest;
        _ctx.SetLine(stmt, line);
        _statementLine = 0;
    }

    private LowestLineFinder? _lowestLine;

    private int LowestLine(StmtNode stmt) => (_lowestLine ??= new LowestLineFinder(_ctx.ExprLines)).Find(stmt);

    /// <summary>The lowest line recorded for an expression of a statement (0: none), nested statements left out.
    /// A walk over child nodes: no rewriting, no allocation.</summary>
    private sealed class LowestLineFinder(Dictionary<SyntaxNode, int> lines) : SyntaxChildVisitor
    {
        private int _lowest;

        public int Find(StmtNode stmt)
        {
            _lowest = 0;
            stmt.VisitChildren(this);
            return _lowest;
        }

        public override void Child(SyntaxNode node)
        {
            if (node is StmtNode) return;
            if (node is ExprNode && lines.TryGetValue(node, out int line) && line > 0 && (_lowest == 0 || line < _lowest)) _lowest = line;
            node.VisitChildren(this);
        }
    }

    public void EmitPseudo(PseudoStatement pseudo) => Emit(_ctx.Pseudo.Make(pseudo));

    /// <summary>A statement that leaves no source (compiler plumbing) ends: the next one starts its own line.</summary>
    private void EndSilentStatement()
    {
        if (AtStatementBase) _statementLine = 0;
    }

    /// <summary>True when the stack holds nothing above the current statement's base.</summary>
    public bool AtStatementBase => PendingCount == 0;

    /// <summary>Items above the statement base, not counting locals an inlined comprehension saved (they are restored by stores of their own).</summary>
    public int PendingCount
    {
        get
        {
            int n = 0;
            for (int i = StatementBase; i < Stack.Count; i++)
                if (Stack.At(i) is not SavedLocalMarker) n++;
            return n;
        }
    }

    private void FlushMultiAssign()
    {
        if (_multiAssign.Count == 0 || !AtStatementBase) return;
        var ordered = _multiAssign.OrderBy(m => m.Seq).ToList();
        _multiAssign.Clear();
        Emit(S.Assign([S.Tuple([.. ordered.Select(m => m.Target)], ExprContext.Store)], S.Tuple([.. ordered.Select(m => m.Value)])));
    }

    /// <summary>Stores the popped <paramref name="item"/> to <paramref name="target"/> (a Store-context expression).</summary>
    public void StoreTo(ExprNode target, object item, int seq)
    {
        // A comprehension's `for` clause goes on its target's line (3.13+ fuse the store with the next load only
        // on one line).
        if (_op is { Line: > 0 } op) _ctx.ExprLines.TryAdd(target, op.Line);
        switch (item)
        {
            case SavedLocalMarker saved when target is Name { Id: var id } && id == saved.Name:
                EndSilentStatement();
                return; // an inlined comprehension restores the local it saved
            case TargetSlot slot:
                FillSlot(slot, target);
                return;
            case PatternValue capture:
                CaptureTo(capture, target);
                return;
            case ImportMarker import:
                Emit(S.Import([ImportAlias(import, target)]));
                return;
            case ImportFromMarker from:
                StoreImportFrom(from, target);
                return;
            case FunctionMarker f when f.Code.Name != "<lambda>" && target is Name:
                EmitDefinition(f, ((Name)target).Id);
                return;
            case ClassMarker c when target is Name:
                EmitClass(c, ((Name)target).Id);
                return;
            case TypeAliasMarker alias when target is Name { Id: var id } && id == alias.Name:
                Emit(S.TypeAlias(target, alias.TypeParams, alias.Value));
                return;
            case TypeParamItem when _ctx.Scope == ScopeKind.TypeParams:
            case OpaqueMarker { What: "type params" } when target is Name { Id: "__type_params__" }:
                EndSilentStatement();
                return; // the compiler's own copies of the type parameters
            case PendingAssignMarker pending:
                if (Stack.Count > 0 && ReferenceEquals(Stack.Peek(), pending))
                {
                    pending.Targets.Add(target);
                    return;
                }
                Emit(S.Assign([.. pending.Targets, target], pending.Value));
                FlushMultiAssign();
                return;
            case AugmentedMarker aug:
                if (aug.Target.Equals(ToLoad(target))) Emit(S.AugAssign(target, aug.Op, aug.Value));
                else Emit(S.Assign([target], S.BinOp(aug.Target, aug.Op, aug.Value)));
                return;
        }
        if (item is OpaqueMarker { What: "locals" } && target is Name { Id: "__classdict__" })
        {
            EndSilentStatement(); // 3.14 class plumbing
            return;
        }
        var value = Materialize(item);
        if (Stack.Count > StatementBase && ReferenceEquals(Stack.Peek(), item))
        {
            // A copy stays: chained assignment (if stored again) or walrus (if used).
            var pending = new PendingAssignMarker(value);
            pending.Targets.Add(target);
            Stack.Replace(0, pending);
            return;
        }
        if (PendingCount > 0 || _multiAssign.Count > 0)
        {
            _multiAssign.Add((target, value, seq));
            FlushMultiAssign();
            return;
        }
        Emit(S.Assign([target], value));
    }

    private void FillSlot(TargetSlot slot, ExprNode target)
    {
        var group = slot.Group;
        if (group.Targets[slot.Index] is not null) throw _ctx.Fail("evaluate", "a target slot stored twice", _op);
        group.Targets[slot.Index] = slot.Index == group.StarIndex ? S.Starred(target, ExprContext.Store) : target;
        group.Filled++;
        for (int dead = slot.Index - 1; group.DeadStores.Remove(dead); dead--)
        {
            // The dropped store went to the local this one stores (see TargetGroup.DeadStores).
            if (target is not Name name || dead == group.StarIndex) throw _ctx.Fail("evaluate", "an unpacked item discarded", _op);
            group.Targets[dead] = S.Name(name.Id, ExprContext.Store);
            group.Filled++;
        }
        if (group.Kind == TargetGroupKind.Unpack && group.IsComplete)
        {
            // The unpacked value is assigned to the tuple of targets, like any other store.
            var tuple = group.TupleTarget();
            var source = group.Source!;
            StoreTo(tuple, source, group.SourceSeq);
        }
        // A header's target (for, with ... as, except ... as) is complete: the next statement starts afresh.
        else if (group.Kind != TargetGroupKind.Unpack && group.IsComplete) EndSilentStatement();
    }

    private static ExprNode ToLoad(ExprNode target) => target switch
    {
        Name n => S.Name(n.Id),
        Attribute a => S.Attribute(a.Value, a.Attr),
        Subscript s => S.Subscript(s.Value, s.Slice),
        _ => target,
    };

    // ---------------------------------------------------------------- generated dispatch: simple values

    public bool Nop(Instruction i) => true;
    public bool Cache(Instruction i) => true;
    public bool Resume(Instruction i) => true;
    public bool ExtendedArg(Instruction i) => true;
    public bool Precall(Instruction i) => true;
    public bool GenStart(Instruction i) => true;
    public bool MakeCell(Instruction i) => true;
    public bool CopyFreeVars(Instruction i) => true;
    public bool Instrumented(Instruction i) => true;
    public bool ReturnGenerator(Instruction i) => true;
    /// <summary>
    /// TO_BOOL (3.13+) before a conditional jump or a `not` is plumbing. Anywhere else it is what the optimizer
    /// left of `not not x` (UNARY_NOT twice becomes TO_BOOL).
    /// </summary>
    public bool ToBool(Instruction i)
    {
        var ops = _ctx.Flow.Ops;
        int next = _ctx.Flow.NextReal(_op.Index);
        if (next >= ops.Length || ops[next].Kind is OpKind.CondJump or OpKind.KeepJump || ops[next].Name == "UNARY_NOT") return true;
        var value = PopExpr();
        Push(S.UnaryOp(Unaryop.Not, S.UnaryOp(Unaryop.Not, value)));
        return true;
    }
    public bool InterpreterExit(Instruction i) => throw Unsupported(i);
    public bool ExitInitCheck(Instruction i) => throw Unsupported(i);

    private DecompileFailure Unsupported(Instruction i) => _ctx.Fail("evaluate", $"{i.Name} is not produced by the compiler", _op);
    private DecompileFailure Structural(Instruction i) => _ctx.Fail("evaluate", $"{i.Name} reached the evaluator outside its construct", _op);

    /// <summary>True while an inlined comprehension runs: the locals it saved lie on the stack below it.</summary>
    private bool InInlinedComprehension()
    {
        for (int k = 0; k < Stack.Count; k++)
            if (Stack.At(k) is SavedLocalMarker) return true;
        return false;
    }

    public bool LoadConst(Instruction i)
    {
        var (index, value) = (ConstArgument)i.Argument;
        Push(_ctx.Folded?.Spelling(index, value) ?? ConstantItem(value));
        return true;
    }

    internal static object ConstantItem(PyObject value) => value switch
    {
        PyCode code => new CodeMarker(code.Code),
        PySlice slice => S.Slice(SliceBound(slice.Start), SliceBound(slice.Stop), SliceBound(slice.Step)),
        // 3.14 folds the subscript `x[:, :3]` into one constant tuple of slices, which only a tuple display spells.
        PyTuple tuple when tuple.Items.Any(ContainsSlice) => S.Tuple([.. tuple.Items.Select(item => (ExprNode)ConstantItem(item))]),
        _ => S.Constant(value),
    };

    private static bool ContainsSlice(PyObject value) => value is PySlice || value is PyTuple t && t.Items.Any(ContainsSlice);

    private static ExprNode? SliceBound(PyObject o) => o is PyNone ? null : S.Constant(o);

    public bool LoadSmallInt(Instruction i)
    {
        Push(S.Constant(new PyInt(((IntArgument)i.Argument).Value)));
        return true;
    }

    public bool LoadCommonConstant(Instruction i)
    {
        var name = ((TableArgument)i.Argument).Value;
        Push(name switch
        {
            "AssertionError" => AssertionErrorMarker.Instance,
            "NotImplementedError" => S.Name("NotImplementedError"),
            "tuple" => S.Name("tuple"),
            "<built-in function all>" => S.Name("all"),
            "<built-in function any>" => S.Name("any"),
            _ => throw _ctx.Fail("evaluate", "unknown common constant " + name, _op),
        });
        return true;
    }

    public bool LoadAssertionError(Instruction i)
    {
        Push(AssertionErrorMarker.Instance);
        return true;
    }

    private static string NameOf(Instruction i) => i.Argument switch
    {
        NameArgument n => n.Name,
        LocalArgument l => l.Name,
        FreeArgument f => f.Name,
        _ => throw new ArgumentException($"{i.Name} has no name argument ({i.Argument})"),
    };

    private ExprNode NameNode(string name, ExprContext ctx = ExprContext.Load)
    {
        if (name == ".0" && ctx == ExprContext.Load) return ComprehensionSource;
        if (!SyntaxFacts.IsIdentifier(name)) throw _ctx.Fail("evaluate", $"'{name}' is not an identifier", _op);
        return S.Name(name, ctx);
    }

    /// <summary>The place-holder for a comprehension code object's `.0` argument (replaced by the iterable).</summary>
    public static readonly ExprNode ComprehensionSource = S.Name("__pyrecon_comprehension_source__");

    public bool LoadFast(Instruction i)
    {
        var name = NameOf(i);
        Push(name == ".0" ? new IteratorMarker(ComprehensionSource, false) : Load(name));
        return true;
    }

    public bool LoadFastPair(Instruction i)
    {
        var pair = (LocalPairArgument)i.Argument;
        Push(Load(pair.First.Name));
        Push(Load(pair.Second.Name));
        return true;
    }

    /// <summary>A variable's value: its name, or for a compiler-named one what the compiler keeps in it.</summary>
    private object Load(string name) => IsHidden(name) ? LoadHidden(name) : NameNode(name);

    public bool LoadName(Instruction i) { Push(NameNode(NameOf(i))); return true; }
    public bool LoadDeref(Instruction i) { Push(Load(NameOf(i))); return true; }
    public bool LoadClassDeref(Instruction i) { Push(NameNode(NameOf(i))); return true; }
    public bool LoadFromDictOrDeref(Instruction i) { Pop(); Push(Load(NameOf(i))); return true; }
    public bool LoadFromDictOrGlobals(Instruction i) { Pop(); Push(NameNode(NameOf(i))); return true; }
    public bool LoadLocals(Instruction i) { Push(new OpaqueMarker("locals")); return true; }

    public bool LoadGlobal(Instruction i)
    {
        var arg = (NameArgument)i.Argument;
        if (arg.Name == "AssertionError" && IsAssertRaise(_op))
        {
            Push(AssertionErrorMarker.Instance);
            return true;
        }
        // A class body loads a name by LOAD_GLOBAL when it is declared global, or inside a comprehension inlined
        // there (3.12+, which cannot see the class's names): only the first is a declaration.
        if (_ctx.Scope == ScopeKind.Class && !InInlinedComprehension()) _ctx.GlobalLoads.Add(arg.Name);
        var name = NameNode(arg.Name);
        if (arg.PushNull && Version < PythonVersion.V3_13) Push(NullMarker.Instance);
        Push(name);
        if (arg.PushNull && Version >= PythonVersion.V3_13) Push(NullMarker.Instance);
        return true;
    }

    /// <summary>
    /// 3.8 has no LOAD_ASSERTION_ERROR: an assert is a conditional jump over `LOAD_GLOBAL AssertionError;
    /// [message; CALL_FUNCTION 1]; RAISE_VARARGS 1` (LOAD_GLOBAL even where a name would load by LOAD_NAME) to
    /// the op right after the raise. In a function `if not c: raise AssertionError(m)` compiles the same.
    /// </summary>
    private bool IsAssertRaise(Op load)
    {
        if (Version >= PythonVersion.V3_9) return false;
        var flow = _ctx.Flow;
        var ops = flow.Ops;
        int before = load.Index - 1;
        while (before >= 0 && ops[before].Kind == OpKind.Skip) before--;
        if (before < 0 || ops[before].Kind != OpKind.CondJump) return false;
        var block = flow.BlockOf(load.Index);
        if (flow.Terminator(block) is not { Kind: OpKind.Raise } raise || raise.Instruction.Arg != 1) return false;
        int call = raise.Index - 1;
        while (call > load.Index && ops[call].Kind == OpKind.Skip) call--;
        if (call != load.Index && !(ops[call].Name == "CALL_FUNCTION" && ops[call].Instruction.Arg == 1)) return false;
        int after = raise.Index + 1;
        while (after < ops.Length && ops[after].Kind == OpKind.Skip) after++;
        return ops[before].Target == after;
    }

    public bool LoadClosure(Instruction i)
    {
        Push(new ClosureMarker([NameOf(i)]));
        return true;
    }

    public bool PushNull(Instruction i) { Push(NullMarker.Instance); return true; }

    public bool LoadAttr(Instruction i)
    {
        var arg = (NameArgument)i.Argument;
        var owner = PopExpr();
        var attr = S.Attribute(owner, arg.Name);
        if (!arg.IsMethod) Push(attr);
        else if (Version < PythonVersion.V3_13) { Push(NullMarker.Instance); Push(attr); }
        else { Push(attr); Push(NullMarker.Instance); }
        return true;
    }

    public bool LoadMethod(Instruction i)
    {
        var owner = PopExpr();
        Push(NullMarker.Instance);
        Push(S.Attribute(owner, NameOf(i)));
        return true;
    }

    public bool LoadSuperAttr(Instruction i)
    {
        var arg = (NameArgument)i.Argument;
        var self = PopExpr();
        var cls = PopExpr();
        var super = PopExpr();
        var call = arg.IsTwoArgSuper ? S.Call(super, [cls, self]) : S.Call(super);
        var attr = S.Attribute(call, arg.Name);
        if (!arg.IsMethod) Push(attr);
        else if (Version < PythonVersion.V3_13) { Push(NullMarker.Instance); Push(attr); }
        else { Push(attr); Push(NullMarker.Instance); }
        return true;
    }

    public bool LoadSpecial(Instruction i)
    {
        var method = ((TableArgument)i.Argument).Value;
        var owner = PopExpr();
        bool isAsync = method.StartsWith("__a", StringComparison.Ordinal);
        if (method is "__exit__" or "__aexit__") Push(new WithExitMarker(owner, isAsync));
        else Push(new WithEnterMethod(owner, isAsync));
        Push(new OpaqueMarker("special self"));
        return true;
    }

    public bool LoadBuildClass(Instruction i) { Push(BuildClassMarker.Instance); return true; }

    // ---------------------------------------------------------------- stack shuffling

    private void Duplicate(int depth)
    {
        var item = Stack.Peek(depth);
        _duplicated.Add(item);
        Stack.Push(item, Stack.PeekSeq(depth));
    }

    public bool DupTop(Instruction i)
    {
        if (i.Name == "DUP_TOP_TWO") { Duplicate(1); Duplicate(1); }
        else Duplicate(0);
        return true;
    }

    public bool Copy(Instruction i)
    {
        Duplicate(i.Arg - 1);
        return true;
    }

    public bool Swap(Instruction i)
    {
        Stack.Swap(0, i.Arg - 1);
        return true;
    }

    public bool Rotate(Instruction i)
    {
        int n = i.Name switch { "ROT_TWO" => 2, "ROT_THREE" => 3, "ROT_FOUR" => 4, _ => i.Arg };
        Stack.RotateTopDown(n);
        return true;
    }

    public bool PopTop(Instruction i)
    {
        var item = Stack.Pop();
        switch (item)
        {
            case ExprNode e:
                if (Stack.Count >= StatementBase && _duplicated.Contains(e) && ContainsItem(e))
                    return true; // the spare copy of a chained comparison's middle operand
                if (PendingCount != 0)
                    throw _ctx.Fail("evaluate", $"value {Describe(e)} discarded in the middle of an expression", _op);
                Emit(S.Expr(Materialize(e)));
                FlushMultiAssign();
                return true;
            case PendingAssignMarker p:
                Emit(S.Expr(Materialize(p)));
                return true;
            case ImportMarker import:
                if (import.FromNames.Count > 0)
                    Emit(S.ImportFrom(import.Module.Length == 0 ? null : import.Module, [.. import.FromNames], import.Level));
                else if (import.AttributeDepth == 0)
                    throw _ctx.Fail("evaluate", "an imported module is discarded without a name", _op);
                else EndSilentStatement(); // `import a.b as c` drops the top module after storing c
                return true;
            case ImportFromMarker:
                EndSilentStatement(); // the intermediate module of `import a.b.c as d`
                return true;
            case TargetSlot { Group.Kind: TargetGroupKind.Unpack } slot when slot.Index + 1 < slot.Group.Targets.Length:
                slot.Group.DeadStores.Add(slot.Index);
                Unwound.Add(slot);
                return true;
            case TargetSlot slot:
                slot.Group.Discarded = true;
                Unwound.Add(slot);
                // `with x:` drops what __enter__ returned on the header's line: the body starts afresh.
                if (slot.Group.Kind != TargetGroupKind.Unpack) EndSilentStatement();
                return true;
            case FunctionMarker or ClassMarker:
                throw _ctx.Fail("evaluate", "a function or class object is discarded", _op);
            case OpaqueMarker:
                // The result of a statement already written (3.12+ `from m import *` through an intrinsic): the
                // POP_TOP is its end, not the start of the next statement.
                Unwound.Add(item);
                EndSilentStatement();
                return true;
            default:
                Unwound.Add(item);
                return true;
        }
    }

    private bool ContainsItem(object item)
    {
        foreach (var x in Stack.Items) if (ReferenceEquals(x, item)) return true;
        return false;
    }

    // ---------------------------------------------------------------- operators

    public bool UnaryOp(Instruction i)
    {
        var operand = PopExpr();
        var op = i.Name switch
        {
            "UNARY_POSITIVE" => Unaryop.UAdd,
            "UNARY_NEGATIVE" => Unaryop.USub,
            "UNARY_NOT" => Unaryop.Not,
            "UNARY_INVERT" => Unaryop.Invert,
            _ => throw Unsupported(i),
        };
        Push(S.UnaryOp(op, operand));
        return true;
    }

    private static readonly Dictionary<string, Operator> s_binaryByName = new()
    {
        ["POWER"] = Operator.Pow, ["MULTIPLY"] = Operator.Mult, ["MATRIX_MULTIPLY"] = Operator.MatMult,
        ["FLOOR_DIVIDE"] = Operator.FloorDiv, ["TRUE_DIVIDE"] = Operator.Div, ["MODULO"] = Operator.Mod,
        ["ADD"] = Operator.Add, ["SUBTRACT"] = Operator.Sub, ["LSHIFT"] = Operator.LShift, ["RSHIFT"] = Operator.RShift,
        ["AND"] = Operator.BitAnd, ["XOR"] = Operator.BitXor, ["OR"] = Operator.BitOr,
    };

    private static readonly Dictionary<string, Operator> s_binaryBySymbol = new()
    {
        ["+"] = Operator.Add, ["&"] = Operator.BitAnd, ["//"] = Operator.FloorDiv, ["<<"] = Operator.LShift,
        ["@"] = Operator.MatMult, ["*"] = Operator.Mult, ["%"] = Operator.Mod, ["|"] = Operator.BitOr,
        ["**"] = Operator.Pow, [">>"] = Operator.RShift, ["-"] = Operator.Sub, ["/"] = Operator.Div, ["^"] = Operator.BitXor,
    };

    public bool BinaryOp(Instruction i)
    {
        Operator op;
        bool inplace;
        if (i.Argument is TableArgument t)
        {
            var symbol = t.Value;
            if (symbol == "[]") return Subscript(i);
            inplace = symbol.Length > 1 && symbol.EndsWith('=') && symbol != "==";
            if (!s_binaryBySymbol.TryGetValue(inplace ? symbol[..^1] : symbol, out op)) throw Unsupported(i);
        }
        else
        {
            inplace = false;
            if (!s_binaryByName.TryGetValue(i.Name["BINARY_".Length..], out op)) throw Unsupported(i);
        }
        var right = PopExpr();
        var left = PopExpr();
        if (inplace) Push(new AugmentedMarker(left, op, right));
        else Push(S.BinOp(op == Operator.Mod && IsFoldedToFString(left, right) ? S.JoinedStr([left]) : left, op, right));
        return true;
    }

    /// <summary>
    /// 3.11+ compile `'%s: %r' % (a, b)` as the f-string `f'{a!s}: {b!r}'` when every conversion is a simple %s, %r or
    /// %a and there is one per item. A `%` still in the bytecode with such a format had a left operand the optimizer
    /// does not take for a string constant: an f-string without fields, which compiles to the same constant.
    /// </summary>
    private bool IsFoldedToFString(ExprNode left, ExprNode right)
    {
        if (_ctx.Version < PythonVersion.V3_11 || left is not Constant { Value: PyStr format } || right is not Tuple tuple
            || tuple.Elts.Any(e => e is Starred) || tuple.Elts.All(e => e is Constant)) return false;
        int units = 0;
        var text = format.Value;
        for (int k = 0; k < text.Length; k++)
        {
            if (text[k] != '%') continue;
            if (++k < text.Length && text[k] == '%') continue;
            while (k < text.Length && "-+ #0".Contains(text[k])) k++;
            while (k < text.Length && char.IsAsciiDigit(text[k])) k++;
            if (k < text.Length && text[k] == '.') for (k++; k < text.Length && char.IsAsciiDigit(text[k]); k++) { }
            if (k >= text.Length || text[k] is not ('s' or 'r' or 'a')) return false;
            units++;
        }
        return units == tuple.Elts.Length;
    }

    public bool InplaceOp(Instruction i)
    {
        if (!s_binaryByName.TryGetValue(i.Name["INPLACE_".Length..], out var op)) throw Unsupported(i);
        var right = PopExpr();
        var left = PopExpr();
        Push(new AugmentedMarker(left, op, right));
        return true;
    }

    private static Cmpop CompareOperator(string text) => text switch
    {
        "<" => Cmpop.Lt, "<=" => Cmpop.LtE, "==" => Cmpop.Eq, "!=" => Cmpop.NotEq, ">" => Cmpop.Gt, ">=" => Cmpop.GtE,
        "in" => Cmpop.In, "not in" => Cmpop.NotIn, "is" => Cmpop.Is, "is not" => Cmpop.IsNot,
        _ => throw new ArgumentException("comparison " + text),
    };

    public bool CompareOp(Instruction i)
    {
        var arg = (CompareArgument)i.Argument;
        var right = Pop();
        var left = Pop();
        if (arg.Operator == "exception match")
        {
            Push(new ExceptionMatchMarker(Materialize(right))); // 3.8: the duplicated exception and the type -> the test
            return true;
        }
        var cmp = CompareOperator(arg.Operator);
        var rightExpr = Materialize(right);
        Push(S.Compare(Materialize(left), [cmp], [cmp is Cmpop.In or Cmpop.NotIn ? SetDisplayOfFolded(rightExpr) : rightExpr]));
        return true;
    }

    /// <summary>
    /// A frozenset constant where the optimizer folds a set display (the right of `in`, what a for loop iterates):
    /// written back as that display, which compiles to it again (`frozenset({...})` would be a call).
    /// </summary>
    private ExprNode SetDisplayOfFolded(ExprNode e) =>
        e is Constant { Value: PyFrozenSet { Items.IsEmpty: false } set }
            ? S.Set([.. InCodeGenerationOrder(set.Items).Select(item => (ExprNode)ConstantItem(item))])
            : e;

    /// <summary>
    /// The items of a folded set in the order the display listed them, as far as co_consts tells: 3.14 folds sets in
    /// the CFG optimizer, after code generation numbered each item where the display loads it, and keeps the items
    /// something else loads (a frozenset's own order is its hash order). Earlier versions fold in the AST, numbering
    /// none of them.
    /// </summary>
    private IEnumerable<PyObject> InCodeGenerationOrder(ImmutableArray<PyObject> items)
    {
        if (Version < PythonVersion.V3_14) return items;
        var consts = _ctx.Code.Consts;
        return items.OrderBy(item => consts.IndexOf(item) is int k and >= 0 ? k : int.MaxValue);
    }

    public bool IsOp(Instruction i)
    {
        var right = PopExpr();
        var left = PopExpr();
        Push(S.Compare(left, [((InvertArgument)i.Argument).Inverted ? Cmpop.IsNot : Cmpop.Is], [right]));
        return true;
    }

    public bool ContainsOp(Instruction i)
    {
        var right = PopExpr();
        var left = PopExpr();
        Push(S.Compare(left, [((InvertArgument)i.Argument).Inverted ? Cmpop.NotIn : Cmpop.In], [SetDisplayOfFolded(right)]));
        return true;
    }

    public bool Subscript(Instruction i)
    {
        var index = PopExpr();
        var container = PopExpr();
        Push(S.Subscript(container, index));
        return true;
    }

    public bool Slice(Instruction i)
    {
        var stop = PopExpr();
        var start = PopExpr();
        var container = PopExpr();
        Push(S.Subscript(container, S.Slice(NoneToNull(start), NoneToNull(stop))));
        return true;
    }

    private static ExprNode? NoneToNull(ExprNode e) => e is Constant { Value: PyNone } ? null : e;

    public bool BuildSlice(Instruction i)
    {
        var parts = PopExprs(i.Arg);
        Push(S.Slice(NoneToNull(parts[0]), NoneToNull(parts[1]), parts.Count > 2 ? NoneToNull(parts[2]) : null));
        return true;
    }

}

/// <summary>3.8's COMPARE_OP exception-match: the type an except clause tests against (the exception stays below).</summary>
internal sealed class ExceptionMatchMarker(ExprNode type) : StackMarker
{
    public ExprNode Type { get; } = type;
}

/// <summary>3.13+ CONVERT_VALUE: a value with its conversion, waiting for FORMAT_SIMPLE / FORMAT_WITH_SPEC.</summary>
internal sealed class ConvertedValue(ExprNode value, int conversion) : StackMarker
{
    public ExprNode Value { get; } = value;
    public int Conversion { get; } = conversion;
}
