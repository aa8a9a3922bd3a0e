using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;
using Attribute = PyRecon.Syntax.Attribute;
using Tuple = PyRecon.Syntax.Tuple;

namespace PyRecon.Evaluation;

/// <summary>Calls in all their version shapes, function and class objects, decorators.</summary>
internal sealed partial class Evaluator
{
    public bool KwNames(Instruction i)
    {
        _pendingKwNames = ((ConstArgument)i.Argument).Value as PyTuple ?? throw _ctx.Fail("evaluate", "KW_NAMES without a tuple", _op);
        return true;
    }

    public bool Call(Instruction i)
    {
        PyTuple? kwNames = null;
        if (Version >= PythonVersion.V3_11 && Version < PythonVersion.V3_13 && _pendingKwNames is not null)
        {
            kwNames = _pendingKwNames;
            _pendingKwNames = null;
        }
        var args = PopN(i.Arg);
        object func;
        if (Version >= PythonVersion.V3_11 || i.Name == "CALL_METHOD") func = PopCallable(args);
        else func = Pop();
        BuildCall(func, args, kwNames);
        return true;
    }

    public bool CallKw(Instruction i)
    {
        var names = PopExpr();
        if (names is not Constant { Value: PyTuple kwNames }) throw _ctx.Fail("evaluate", "call keywords are not a constant tuple", _op);
        var args = PopN(i.Arg);
        var func = Version >= PythonVersion.V3_11 ? PopCallable(args) : Pop();
        BuildCall(func, args, kwNames);
        return true;
    }

    /// <summary>
    /// The callable and its NULL/self slot (3.11+ and CALL_METHOD), in whichever order the version keeps them.
    /// A slot that is not NULL is `self`: the first argument (how 3.11+ apply a decorator or call a comprehension
    /// function: CALL 0 with the function object in the self slot); it is inserted into <paramref name="args"/>.
    /// </summary>
    private object PopCallable(List<object>? args = null)
    {
        var upper = Pop();
        var lower = Pop();
        if (upper is NullMarker) return lower;
        if (lower is NullMarker) return upper;
        // 3.14's with exit: (__exit__, ctx) under the arguments.
        if (lower is WithExitMarker) return lower;
        if (upper is OpaqueMarker { What: "special self" }) return lower;
        if (lower is OpaqueMarker { What: "special self" }) return upper;
        if (args is null) throw _ctx.Fail("evaluate", $"call without its NULL slot ({Describe(lower)}, {Describe(upper)})", _op);
        args.Insert(0, upper);
        return lower;
    }

    private void BuildCall(object func, List<object> args, PyTuple? kwNames)
    {
        int kwCount = kwNames?.Items.Length ?? 0;
        switch (func)
        {
            case BuildClassMarker:
            {
                if (args.Count < 2 || args[0] is not FunctionMarker body || args[1] is not Constant { Value: PyStr name })
                    throw _ctx.Fail("evaluate", "class creation without its body and name", _op);
                // A generic class's implicit Generic[...] base is the compiler's (the type parameters say it).
                var rest = args.Skip(2).Where(a => a is not GenericBaseMarker).Select(Materialize).ToList();
                Push(new ClassMarker
                {
                    Body = body,
                    Name = name.Value,
                    Bases = [.. rest.Take(rest.Count - kwCount)],
                    Keywords = Keywords(kwNames, rest.Skip(rest.Count - kwCount).ToList()),
                });
                return;
            }
            case AssertionErrorMarker:
                Push(new AssertionCallMarker(args.Count == 0 ? null : Materialize(args[0])));
                return;
            case WithEnterMethod enter:
                Push(new TargetSlot(new TargetGroup(TargetGroupKind.WithEnter, 1) { Context = enter.Context, Line = _op.Line }, 0));
                return;
            case WithExitMarker exit:
                Push(new WithExitCallMarker(exit));
                return;
            case FunctionMarker f when IsGenericParameters(f.Code) && kwCount == 0:
                Push(_ctx.Nested.GenericParameters(f.Code, [.. args.Select(Materialize)]));
                return;
            case FunctionMarker f when IsComprehensionCode(f.Code) && args.Count == 1 && kwCount == 0:
            {
                var iterable = args[0] switch
                {
                    IteratorMarker it => it.Iterable,
                    _ => throw _ctx.Fail("evaluate", "comprehension called without an iterator", _op),
                };
                Push(_ctx.Nested.Comprehension(f.Code, iterable));
                return;
            }
        }
        var funcExpr = func is ExprNode fe ? fe : Materialize(func);
        // A decorator: the callee was evaluated before the function or class object it receives.
        if (args.Count == 1 && kwCount == 0)
        {
            if (args[0] is FunctionMarker f && f.Code.Name != "<lambda>")
            {
                f.Decorators = f.Decorators.Insert(0, funcExpr);
                Push(f);
                return;
            }
            if (args[0] is ClassMarker c)
            {
                c.Decorators = c.Decorators.Insert(0, funcExpr);
                Push(c);
                return;
            }
        }
        // Materialized in order (left to right, as the source evaluates them), then split: positional, keyword values.
        int positionalCount = Math.Max(0, args.Count - kwCount);
        var positional = ImmutableArray.CreateBuilder<ExprNode>(positionalCount);
        var keywordValues = new List<ExprNode>(args.Count - positionalCount);
        for (int k = 0; k < args.Count; k++)
        {
            var value = Materialize(args[k]);
            if (k < positionalCount) positional.Add(value); else keywordValues.Add(value);
        }
        Push(S.Call(funcExpr, positional.MoveToImmutable(), Keywords(kwNames, keywordValues)));
    }

    private static ImmutableArray<StmtNode> NonEmpty(List<StmtNode> body) => body.Count == 0 ? [S.Pass()] : [.. body];

    /// <summary>
    /// A function body that is empty once the compiler's own return is gone: `pass` (or `...`) on the line that
    /// return carries, so `def f(self): ...` stays on one line (the lines below it, and from 3.13 a following
    /// class's `__firstlineno__`, depend on it).
    /// </summary>
    private ImmutableArray<StmtNode> FunctionBodyOrPass(List<StmtNode> body, CodeObject code)
    {
        if (body.Count > 0) return [.. body];
        var pass = S.Pass();
        foreach (var start in code.LineStarts)
            if (start.Line is int line && line > 0) _ctx.Lines[pass] = line;
        return [pass];
    }

    internal static bool IsComprehensionCode(CodeObject code) => code.Name is "<listcomp>" or "<setcomp>" or "<dictcomp>" or "<genexpr>";

    private ImmutableArray<Keyword> Keywords(PyTuple? names, List<ExprNode> values)
    {
        if (names is null) return ImmutableArray<Keyword>.Empty;
        var result = ImmutableArray.CreateBuilder<Keyword>();
        for (int k = 0; k < names.Items.Length; k++)
        {
            if (names.Items[k] is not PyStr s) throw _ctx.Fail("evaluate", "a keyword name is not a string", _op);
            result.Add(S.Keyword(s.Value, values[k]));
        }
        return result.ToImmutable();
    }

    public bool CallEx(Instruction i)
    {
        object? kwargs = null;
        bool hasKw = Version >= PythonVersion.V3_14 || (i.Arg & 1) != 0;
        if (hasKw) kwargs = Pop();
        var callArgs = PopExpr();
        object func = Version >= PythonVersion.V3_11 ? PopCallable() : Pop();
        var funcExpr = func is ExprNode fe ? fe : Materialize(func);
        var positional = callArgs switch
        {
            Tuple t when !_tupleDisplays.Contains(t) => t.Elts,
            Constant { Value: PyTuple ct } => [.. ct.Items.Select(x => (ExprNode)S.Constant(x))],
            _ => [S.Starred(callArgs)],
        };
        var keywords = ImmutableArray.CreateBuilder<Keyword>();
        if (kwargs is not null and not NullMarker)
        {
            var kw = Materialize(kwargs);
            if (kw is Dict d && d.Keys.All(k => k is null || k is Constant { Value: PyStr }))
            {
                for (int k = 0; k < d.Keys.Length; k++)
                    keywords.Add(d.Keys[k] is Constant { Value: PyStr name } ? S.Keyword(name.Value, d.Values[k]) : S.Keyword(null, d.Values[k]));
            }
            else keywords.Add(S.Keyword(null, kw));
        }
        Push(S.Call(funcExpr, positional, keywords.ToImmutable()));
        return true;
    }

    // ---------------------------------------------------------------- function objects

    public bool MakeFunction(Instruction i)
    {
        if (Version <= PythonVersion.V3_10) Pop(); // the qualified name (3.11+ keep it in the code object)
        var codeItem = Pop();
        if (codeItem is not CodeMarker code) throw _ctx.Fail("evaluate", "MAKE_FUNCTION without a code object", _op);
        var f = new FunctionMarker { Code = code.Code, Line = _op.Line };
        if (i.Argument is FunctionFlagsArgument flags)
        {
            if (flags.Has("closure")) f.Closure = Pop() as ClosureMarker;
            if (flags.Has("annotations")) f.Annotations = Pop();
            if (flags.Has("kwdefaults")) f.KwDefaults = Pop();
            if (flags.Has("defaults")) f.Defaults = Pop();
        }
        Push(f);
        return true;
    }

    public bool SetFunctionAttribute(Instruction i)
    {
        var func = Pop();
        var value = Pop();
        if (func is not FunctionMarker f) throw _ctx.Fail("evaluate", "SET_FUNCTION_ATTRIBUTE on a non-function", _op);
        var flag = ((FunctionFlagsArgument)i.Argument).Names.Single();
        switch (flag)
        {
            case "closure": f.Closure = value as ClosureMarker; break;
            case "annotations": f.Annotations = value; break;
            case "kwdefaults": f.KwDefaults = value; break;
            case "defaults": f.Defaults = value; break;
            case "annotate": f.Annotate = value; break;
        }
        Push(f);
        return true;
    }

    private ExprNode MakeLambda(FunctionMarker f)
    {
        var args = FunctionArguments.Build(_ctx, f, lambda: true);
        return S.Lambda(args, _ctx.Nested.LambdaBody(f.Code));
    }

    private void EmitDefinition(FunctionMarker f, string storedName)
    {
        var args = FunctionArguments.Build(_ctx, f, lambda: false);
        var kind = f.Code.Name == "__annotate__" && Version >= PythonVersion.V3_14 ? ScopeKind.Annotate : ScopeKind.Function;
        var body = _ctx.Nested.FunctionBody(f.Code, kind);
        var returns = FunctionArguments.ReturnAnnotation(_ctx, f);
        bool isAsync = (f.Code.Flags & (CodeFlags.Coroutine | CodeFlags.AsyncGenerator)) != 0;
        var name = f.Code.Name;
        if (!SyntaxFacts.IsIdentifier(name)) throw _ctx.Fail("evaluate", $"function name '{name}' is not an identifier", _op);
        StmtNode def = isAsync
            ? S.AsyncFunctionDef(name, args, FunctionBodyOrPass(body, f.Code), f.Decorators, returns, typeParams: f.TypeParams)
            : S.FunctionDef(name, args, FunctionBodyOrPass(body, f.Code), f.Decorators, returns, typeParams: f.TypeParams);
        // The line map keys a definition to its first line including decorators (co_firstlineno).
        _statementLine = f.Code.FirstLineNo;
        Emit(def);
        if (!f.Decorators.IsEmpty && f.Line > 0) _ctx.KeywordLines[def] = f.Line;
        _ = storedName;
    }

    private void EmitClass(ClassMarker c, string storedName)
    {
        var body = _ctx.Nested.ClassBody(c.Body.Code);
        if (!SyntaxFacts.IsIdentifier(c.Name)) throw _ctx.Fail("evaluate", $"class name '{c.Name}' is not an identifier", _op);
        var cls = S.ClassDef(c.Name, c.Bases, c.Keywords, NonEmpty(body), c.Decorators, c.TypeParams);
        _statementLine = c.Body.Code.FirstLineNo;
        Emit(cls);
        if (!c.Decorators.IsEmpty && c.Body.Line > 0) _ctx.KeywordLines[cls] = c.Body.Line;
        _ = storedName;
    }
}

/// <summary>LOAD_ASSERTION_ERROR called with a message.</summary>
internal sealed class AssertionCallMarker(ExprNode? message) : StackMarker
{
    public ExprNode? Message { get; } = message;
}

/// <summary>The result of calling a with statement's __exit__ on the normal path.</summary>
internal sealed class WithExitCallMarker(WithExitMarker exit) : StackMarker
{
    public WithExitMarker Exit { get; } = exit;
}
