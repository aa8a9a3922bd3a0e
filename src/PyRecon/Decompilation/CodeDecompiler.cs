using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Cleanup;
using PyRecon.Disassembly;
using PyRecon.Evaluation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Structuring;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Decompilation;

/// <summary>
/// One decompilation run: decompiles the module code object and, on request of the evaluator, each nested
/// code object independently. A function or class whose body fails keeps its signature; its body becomes
/// a marked comment plus a raise, and the failure is reported. Comprehensions and lambdas are expressions
/// and fail with their parent.
/// </summary>
internal sealed class CodeDecompiler(DecompileOptions options, int expectedLines = 0) : INestedDecompiler
{
    // PYRECON_DEBUG=1 lets internal errors escape with their stack trace (for developers).
    private static readonly bool s_debug = Environment.GetEnvironmentVariable("PYRECON_DEBUG") == "1";
    // PYRECON_TRACE=1 prints where each reported failure was raised (for developers).
    private static readonly bool s_trace = Environment.GetEnvironmentVariable("PYRECON_TRACE") == "1";

    public List<CodeDiagnostic> Diagnostics { get; } = [];
    public Dictionary<StmtNode, IReadOnlyList<string>> Comments { get; } = new(SyntaxNodeIdentity.Instance);
    /// <summary>Source lines of statements and expressions of every code object decompiled (for the layout).</summary>
    public Dictionary<SyntaxNode, int> Lines { get; } = new(expectedLines, SyntaxNodeIdentity.Instance);
    public Dictionary<StmtNode, int> KeywordLines { get; } = new(SyntaxNodeIdentity.Instance);
    public IReadOnlyDictionary<SyntaxNode, int> NestedLines => Lines;
    /// <summary>The disassembly of each code object that failed, printed after the module's source so that the
    /// failure marks take no extra lines (the layout, and from 3.13 class `__firstlineno__`, depend on it).</summary>
    public List<(string Name, IReadOnlyList<string> Lines)> FailureListings { get; } = [];

    public List<StmtNode> ModuleBody(CodeObject code) => ContainedBody(code, ScopeKind.Module);

    public List<StmtNode> FunctionBody(CodeObject code, ScopeKind kind) => ContainedBody(code, kind);

    public List<StmtNode> ClassBody(CodeObject code)
    {
        // Everything compiled inside a class body mangles private names with that class's name.
        _privateClasses.Push(code.Name);
        try
        {
            return ContainedBody(code, ScopeKind.Class);
        }
        finally
        {
            _privateClasses.Pop();
        }
    }

    private readonly Stack<string> _privateClasses = new();
    /// <summary>The innermost class whose body is being decompiled (its name mangles private names), or null.</summary>
    private string? CurrentPrivateClass => _privateClasses.TryPeek(out var name) ? name : null;

    /// <summary>A code object that is part of an expression of its parent (a lambda, a comprehension, 3.14's
    /// __annotate__, 3.12+ generic parameters and lazy values) fails with the parent, saying where.</summary>
    private static T InParent<T>(CodeObject code, string where, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (DecompileFailure f)
        {
            throw new DecompileFailure(f.Stage, $"in {where} (line {code.FirstLineNo}): {f.Message}", f.Offset);
        }
    }

    public ExprNode LambdaBody(CodeObject code)
    {
        var body = InParent(code, "a lambda", () => Body(code, ScopeKind.Lambda));
        if (body is [Expr { Value: Yield or YieldFrom } e, ..]) return e.Value;
        return LambdaValue(body) ?? throw new DecompileFailure("lambda", "a lambda body is not a single expression");
    }

    /// <summary>A lambda's one expression. The optimizer copies its RETURN_VALUE into the branches of a conditional
    /// expression (3.12+: `True if c else False` becomes two returns), which read as `if c: return True` and a
    /// return after it: a lambda has no statements, so those are the conditional expression again.</summary>
    private static ExprNode? LambdaValue(IReadOnlyList<StmtNode> body)
    {
        switch (body)
        {
            case [Return { Value: { } value }]: return value;
            case [Return { Value: null }]: return S.Constant(PyNone.Instance);
            case [If test, ..]:
                // The else is either the if's own or what follows an if whose body returns; never both.
                IReadOnlyList<StmtNode> orelse = test.Orelse.IsEmpty ? [.. body.Skip(1)] : body.Count == 1 ? test.Orelse : [];
                return LambdaValue(test.Body) is { } then && LambdaValue(orelse) is { } otherwise ? S.IfExp(test.Test, then, otherwise) : null;
            default: return null;
        }
    }

    public ExprNode Comprehension(CodeObject code, ExprNode iterable) => InParent(code, code.Name, () =>
    {
        var body = Body(code, code.Name == "<genexpr>" ? ScopeKind.GeneratorExpression : ScopeKind.Comprehension, out var ctx);
        return ComprehensionBuilder.Build(code, body, iterable, ctx.Pseudo, Lines);
    });

    public List<(string Name, ExprNode Value)> AnnotateEntries(CodeObject code)
    {
        var body = InParent(code, code.Name, () => Body(code, ScopeKind.Annotate));
        return [.. AnnotationEntries.Parse(body).Select(e => (e.Name, e.Value))];
    }

    public object GenericParameters(CodeObject code, IReadOnlyList<ExprNode> arguments)
    {
        var named = new Dictionary<string, ExprNode>();
        for (int k = 0; k < arguments.Count && k < code.ArgCount; k++) named[code.VarNames[k]] = arguments[k];
        return InParent(code, code.Name, () =>
        {
            Body(code, ScopeKind.TypeParams, out var ctx, named);
            return ctx.GenericResult ?? throw new DecompileFailure("generics", "the generic parameters make nothing");
        });
    }

    public ExprNode LazyValue(CodeObject code)
    {
        var body = InParent(code, code.Name, () => Body(code, ScopeKind.Lambda));
        // 3.14: the format guard first, as in __annotate__.
        if (body is [var guard, .. var rest] && AnnotationEntries.IsFormatGuard(guard)) body = rest;
        if (body is [Return { Value: { } value }]) return value;
        throw new DecompileFailure("generics", $"the lazily evaluated {code.Name} is not one returned expression");
    }

    public void Report(CodeObject code, DecompileFailure failure) =>
        Diagnostics.Add(new CodeDiagnostic(code.QualName ?? code.Name, code.FirstLineNo, failure.Stage, failure.Message, failure.Offset));

    private List<StmtNode> ContainedBody(CodeObject code, ScopeKind kind)
    {
        try
        {
            return Body(code, kind);
        }
        catch (DecompileFailure failure)
        {
            Report(code, failure);
            if (s_trace) Console.Error.WriteLine(failure.StackTrace);
            return FailureBody(code, failure, kind);
        }
        catch (Exception e) when (!s_debug && e is BytecodeFormatException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException or InvalidCastException or KeyNotFoundException)
        {
            var failure = new DecompileFailure("internal", $"{e.GetType().Name}: {e.Message}");
            Report(code, failure);
            return FailureBody(code, failure, kind);
        }
    }

    private List<StmtNode> FailureBody(CodeObject code, DecompileFailure failure, ScopeKind kind)
    {
        string name = code.QualName ?? code.Name;
        // A function body's private names are demangled by its own cleanup, which a failure body does not get.
        string? privateClass = kind is ScopeKind.Function or ScopeKind.Annotate ? CurrentPrivateClass : null;
        // The free variables stay referenced so the enclosing code keeps its cells (a class its __class__ cell).
        var raise = S.Raise(S.Call(S.Name("NotImplementedError"),
            [S.Constant(new PyStr($"pyrecon could not decompile {name}")), .. code.FreeVars.Select(v => (ExprNode)S.Name(PrivateNameRewriter.Demangle(v, privateClass)))]));
        string reason = $"PYRECON: {name} failed in {failure.Stage}: {failure.Message}" + (failure.Offset >= 0 ? $" (offset {failure.Offset})" : "");
        if (options.DisassemblyInFailures)
        {
            var listing = new List<string>();
            try
            {
                foreach (var line in Disassembler.DisassembleOne(code).Split('\n'))
                    if (line.Length > 0) listing.Add("    " + line);
            }
            catch (Exception e) when (!s_debug && e is BytecodeFormatException or InvalidOperationException or ArgumentException)
            {
                listing.Add("(no disassembly: " + e.Message + ")");
            }
            FailureListings.Add((name, listing));
            reason += "; its disassembly is at the end of the file";
        }
        Comments[raise] = [reason];
        // The raise stands on the body's first line, so the mark moves nothing after it.
        if (FirstBodyLine(code) is int first and > 0) Lines[raise] = first;
        var failed = new List<StmtNode>();
        // The signature survives a failed body, docstring included.
        if (kind is ScopeKind.Function && DocstringRewriter.FunctionDocstring(code) is PyStr doc) failed.Add(S.Expr(S.Constant(doc)));
        // So do its global declarations: a name declared global in any function is global in the module's code too.
        if (kind is ScopeKind.Function && DeclaredGlobals(code) is { Count: > 0 } globals)
        {
            var declaration = S.Global([.. globals]);
            if (Lines.TryGetValue(raise, out int line)) Lines[declaration] = line;
            failed.Add(declaration);
        }
        failed.Add(raise);
        return failed;
    }

    /// <summary>The global declarations a failed body keeps: names that are identifiers (none when the code is unreadable).</summary>
    private static List<string> DeclaredGlobals(CodeObject code)
    {
        try
        {
            return [.. ScopeDeclarationRewriter.GlobalsStoredBy(code).Where(SyntaxFacts.IsIdentifier)];
        }
        catch (BytecodeFormatException)
        {
            return [];
        }
    }

    /// <summary>The first source line of a body's own code (past the `def` line), or null when none is known.</summary>
    private static int? FirstBodyLine(CodeObject code)
    {
        try
        {
            foreach (var ins in Decoder.Decode(code))
                if (ins.Line is int line && line > code.FirstLineNo) return line;
        }
        catch (BytecodeFormatException) { }
        return null;
    }

    /// <summary>Decodes, builds the flow, structures and cleans one code object's body; throws <see cref="DecompileFailure"/>.</summary>
    private List<StmtNode> Body(CodeObject code, ScopeKind kind) => Body(code, kind, out _);

    private List<StmtNode> Body(CodeObject code, ScopeKind kind, out CodeContext ctx, IReadOnlyDictionary<string, ExprNode>? hiddenArguments = null)
    {
        var instructions = Decoder.Decode(code);
        int diagnostics = Diagnostics.Count, listings = FailureListings.Count;
        var flow = FunctionFlow.Build(code, instructions, moduleOrClass: kind is ScopeKind.Module or ScopeKind.Class);
        try
        {
            return Attempt(code, kind, flow, out ctx, hiddenArguments);
        }
        catch (DecompileFailure) when (flow.KeptExpressionCopies > 0)
        {
            // The second reading: the optimizer's copies of exit code inside expressions undone. What the first
            // reading reported of nested code objects goes; they are decompiled again.
            Diagnostics.RemoveRange(diagnostics, Diagnostics.Count - diagnostics);
            FailureListings.RemoveRange(listings, FailureListings.Count - listings);
            var second = FunctionFlow.Build(code, instructions, moduleOrClass: kind is ScopeKind.Module or ScopeKind.Class, undoExpressionCopies: true);
            try
            {
                return Attempt(code, kind, second, out ctx, hiddenArguments);
            }
            catch (DecompileFailure)
            {
                Diagnostics.RemoveRange(diagnostics, Diagnostics.Count - diagnostics);
                FailureListings.RemoveRange(listings, FailureListings.Count - listings);
                throw;
            }
        }
    }

    private List<StmtNode> Attempt(CodeObject code, ScopeKind kind, FunctionFlow flow, out CodeContext ctx, IReadOnlyDictionary<string, ExprNode>? hiddenArguments)
    {
        ctx = new CodeContext(code, flow, kind, this)
        {
            PrivateClass = CurrentPrivateClass,
            HiddenArguments = hiddenArguments ?? CodeContext.NoHiddenArguments,
        };
        var body = new Structurer(ctx).Run();
        CoverageCheck.Run(ctx);
        body = CleanupPipeline.Run(body, ctx);
        foreach (var partial in ctx.PartialFailures) Report(code, partial);
        foreach (var (stmt, lines) in ctx.Comments) Comments[stmt] = lines;
        foreach (var (stmt, line) in ctx.Lines) Lines.TryAdd(stmt, line);
        foreach (var (expr, line) in ctx.ExprLines) Lines.TryAdd(expr, line);
        foreach (var (stmt, line) in ctx.KeywordLines) KeywordLines.TryAdd(stmt, line);
        return body;
    }
}
