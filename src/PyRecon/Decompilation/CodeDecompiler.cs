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
internal sealed class CodeDecompiler(DecompileOptions options) : INestedDecompiler
{
    // PYRECON_DEBUG=1 lets internal errors escape with their stack trace (for developers).
    private static readonly bool s_debug = Environment.GetEnvironmentVariable("PYRECON_DEBUG") == "1";

    public List<CodeDiagnostic> Diagnostics { get; } = [];
    public Dictionary<StmtNode, IReadOnlyList<string>> Comments { get; } = new(ReferenceEqualityComparer.Instance);
    /// <summary>Source lines of statements and expressions of every code object decompiled (for the layout).</summary>
    public Dictionary<SyntaxNode, int> Lines { get; } = new(ReferenceEqualityComparer.Instance);
    public Dictionary<StmtNode, int> KeywordLines { get; } = new(ReferenceEqualityComparer.Instance);
    public IReadOnlyDictionary<SyntaxNode, int> NestedLines => Lines;

    public List<StmtNode> ModuleBody(CodeObject code) => ContainedBody(code, ScopeKind.Module);

    public List<StmtNode> FunctionBody(CodeObject code, ScopeKind kind) => ContainedBody(code, kind);

    public List<StmtNode> ClassBody(CodeObject code) => ContainedBody(code, ScopeKind.Class);

    public ExprNode LambdaBody(CodeObject code)
    {
        List<StmtNode> body;
        try
        {
            body = Body(code, ScopeKind.Lambda);
        }
        catch (DecompileFailure f)
        {
            throw new DecompileFailure(f.Stage, $"in a lambda (line {code.FirstLineNo}): {f.Message}", f.Offset);
        }
        if (body is [Return { Value: { } value }]) return value;
        if (body is [Return { Value: null }]) return S.Constant(PyNone.Instance);
        if (body is [Expr { Value: Yield or YieldFrom } e, ..]) return e.Value;
        throw new DecompileFailure("lambda", "a lambda body is not a single expression");
    }

    public ExprNode Comprehension(CodeObject code, ExprNode iterable)
    {
        try
        {
            var body = Body(code, code.Name == "<genexpr>" ? ScopeKind.GeneratorExpression : ScopeKind.Comprehension, out var ctx);
            return ComprehensionBuilder.Build(code, body, iterable, ctx.Pseudo);
        }
        catch (DecompileFailure f)
        {
            // A comprehension is an expression of its parent: it fails with it, saying where.
            throw new DecompileFailure(f.Stage, $"in {code.Name} (line {code.FirstLineNo}): {f.Message}", f.Offset);
        }
    }

    public List<(string Name, ExprNode Value)> AnnotateEntries(CodeObject code)
    {
        List<StmtNode> body;
        try
        {
            body = Body(code, ScopeKind.Annotate);
        }
        catch (DecompileFailure f)
        {
            throw new DecompileFailure(f.Stage, $"in {code.Name} (line {code.FirstLineNo}): {f.Message}", f.Offset);
        }
        return [.. AnnotationEntries.Parse(body).Select(e => (e.Name, e.Value))];
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
        var raise = S.Raise(S.Call(S.Name("NotImplementedError"), [S.Constant(new PyStr($"pyrecon could not decompile {code.QualName ?? code.Name}"))]));
        var comment = new List<string>
        {
            $"PYRECON: {code.QualName ?? code.Name} failed in {failure.Stage}: {failure.Message}" + (failure.Offset >= 0 ? $" (offset {failure.Offset})" : ""),
        };
        if (options.DisassemblyInFailures)
        {
            try
            {
                foreach (var line in Disassembler.DisassembleOne(code).Split('\n'))
                    if (line.Length > 0) comment.Add("    " + line);
            }
            catch (Exception e) when (!s_debug && e is BytecodeFormatException or InvalidOperationException or ArgumentException)
            {
                comment.Add("(no disassembly: " + e.Message + ")");
            }
        }
        Comments[raise] = comment;
        // The signature survives a failed body, docstring included.
        if (kind is ScopeKind.Function && DocstringRewriter.FunctionDocstring(code) is PyStr doc) return [S.Expr(S.Constant(doc)), raise];
        return [raise];
    }

    /// <summary>Decodes, builds the flow, structures and cleans one code object's body; throws <see cref="DecompileFailure"/>.</summary>
    private List<StmtNode> Body(CodeObject code, ScopeKind kind) => Body(code, kind, out _);

    private List<StmtNode> Body(CodeObject code, ScopeKind kind, out CodeContext ctx)
    {
        var instructions = Decoder.Decode(code);
        var flow = FunctionFlow.Build(code, instructions, moduleOrClass: kind is ScopeKind.Module or ScopeKind.Class);
        ctx = new CodeContext(code, flow, kind, this);
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
