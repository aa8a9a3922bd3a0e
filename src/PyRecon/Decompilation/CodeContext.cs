using PyRecon.Bytecode;
using PyRecon.Evaluation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Syntax;

namespace PyRecon.Decompilation;

/// <summary>What kind of scope a code object is: decides implicit returns, docstrings and name handling.</summary>
internal enum ScopeKind { Module, Class, Function, Lambda, Comprehension, GeneratorExpression, Annotate, TypeParams }

/// <summary>
/// Per code object state shared by the passes: the flow facts, source lines of the statements made, the
/// ops consumed so far (so the coverage check can prove nothing was dropped), pseudo statements and the
/// scope facts rewriters need later.
/// </summary>
internal sealed class CodeContext
{
    public CodeContext(CodeObject code, FunctionFlow flow, ScopeKind scope, INestedDecompiler nested)
    {
        Code = code;
        Flow = flow;
        Scope = scope;
        Nested = nested;
        Consumed = new bool[flow.Ops.Length];
        // Sized once instead of grown by doubling: over the 3.8 and 3.12 stdlibs 0.78-0.86 expressions and 0.23-0.24
        // statements per op get a line.
        ExprLines = new(flow.Ops.Length, SyntaxNodeIdentity.Instance);
        Lines = new(flow.Ops.Length / 4 + 1, SyntaxNodeIdentity.Instance);
        Folded = FoldedConstants.For(code, flow);
    }

    public CodeObject Code { get; }
    /// <summary>The class whose name private names (`__x`) are mangled with here: the innermost enclosing class body, or null.</summary>
    public string? PrivateClass { get; init; }
    public FunctionFlow Flow { get; }
    /// <summary>3.14: constants the optimizer folded, to be spelled as the expressions it folds.</summary>
    public FoldedConstants? Folded { get; }
    public PythonVersion Version => Code.Version;
    public ScopeKind Scope { get; }
    public INestedDecompiler Nested { get; }
    public SequenceCounter Sequence { get; } = new();
    public PseudoRegistry Pseudo { get; } = new();
    /// <summary>First source line of each statement made (by reference).</summary>
    public Dictionary<StmtNode, int> Lines { get; }
    /// <summary>Source line of expressions (the line of the op that made them), for line layout.</summary>
    public Dictionary<SyntaxNode, int> ExprLines { get; }
    /// <summary>Line of the `def` / `class` keyword of decorated definitions.</summary>
    public Dictionary<StmtNode, int> KeywordLines { get; } = new(SyntaxNodeIdentity.Instance);
    /// <summary>The first constant in co_consts matching <paramref name="match"/> that no op loads: a test the
    /// compiler dropped, where the version keeps its constant (`while 1:`, `assert False`), or null.</summary>
    public PyObject? UnloadedConstant(Func<PyObject, bool> match)
    {
        var loaded = new HashSet<int>();
        foreach (var op in Flow.Ops)
            if (op.Instruction.Argument is ConstArgument { Index: var index }) loaded.Add(index);
        for (int k = 0; k < Code.Consts.Length; k++)
            if (!loaded.Contains(k) && match(Code.Consts[k])) return Code.Consts[k];
        return null;
    }

    /// <summary>3.12+ generic-parameters code: its arguments by parameter name (`.defaults`, `.kwdefaults`).</summary>
    public IReadOnlyDictionary<string, ExprNode> HiddenArguments { get; init; } = NoHiddenArguments;
    internal static readonly IReadOnlyDictionary<string, ExprNode> NoHiddenArguments = new Dictionary<string, ExprNode>();
    /// <summary>3.12+ generic-parameters code: what it stored in `.type_params`.</summary>
    public object? TypeParamsValue { get; set; }
    /// <summary>3.12+ generic-parameters code: the function, class or type alias it returns.</summary>
    public object? GenericResult { get; set; }
    public bool[] Consumed { get; }
    // The sets below stay empty in most code objects: each is made on its first write (the property), and reads that
    // must not make one go through the *OrEmpty views.
    private HashSet<string>? _globalStores, _globalLoads, _nonlocalStores;
    private HashSet<StmtNode>? _sharedReturns, _implicitReturns, _splitReturns;
    private static readonly HashSet<string> s_noNames = [];
    private static readonly HashSet<StmtNode> s_noStatements = new(SyntaxNodeIdentity.Instance);

    /// <summary>Names stored or deleted with *_GLOBAL in a function or class body (need `global`).</summary>
    public HashSet<string> GlobalStores => _globalStores ??= [];
    public IReadOnlySet<string> GlobalStoresOrEmpty => _globalStores ?? s_noNames;
    /// <summary>Names loaded with LOAD_GLOBAL in a class body (need `global` there).</summary>
    public HashSet<string> GlobalLoads => _globalLoads ??= [];
    public IReadOnlySet<string> GlobalLoadsOrEmpty => _globalLoads ?? s_noNames;
    /// <summary>Free variables stored or deleted (need `nonlocal`).</summary>
    public HashSet<string> NonlocalStores => _nonlocalStores ??= [];
    public IReadOnlySet<string> NonlocalStoresOrEmpty => _nonlocalStores ?? s_noNames;
    /// <summary>Return statements whose block has several predecessors (3.10+: an explicit final return).</summary>
    public HashSet<StmtNode> SharedReturns => _sharedReturns ??= new(SyntaxNodeIdentity.Instance);
    public IReadOnlySet<StmtNode> SharedReturnsOrEmpty => _sharedReturns ?? s_noStatements;
    /// <summary>3.10+: bare returns that are the optimizer's copies of the implicit `return None` (no line of their own).</summary>
    public HashSet<StmtNode> ImplicitReturns => _implicitReturns ??= new(SyntaxNodeIdentity.Instance);
    public IReadOnlySet<StmtNode> ImplicitReturnsOrEmpty => _implicitReturns ?? s_noStatements;

    /// <summary>Returns the optimizer copied into a conditional expression's arms, split from their value's load (see Evaluator.IsSplitFromItsLoad).</summary>
    public HashSet<StmtNode> SplitReturns => _splitReturns ??= new(SyntaxNodeIdentity.Instance);
    public IReadOnlySet<StmtNode> SplitReturnsOrEmpty => _splitReturns ?? s_noStatements;

    /// <summary>Statements of a module or class body that failed while the rest of the body decompiled.</summary>
    public List<DecompileFailure> PartialFailures { get; } = [];
    /// <summary>Comment lines to print before given statements (failure markers).</summary>
    public Dictionary<StmtNode, IReadOnlyList<string>> Comments { get; } = new(SyntaxNodeIdentity.Instance);

    public void Consume(int op) => Consumed[op] = true;

    public void SetLine(StmtNode stmt, int line)
    {
        if (line > 0 && !Lines.ContainsKey(stmt)) Lines[stmt] = line;
    }

    public DecompileFailure Fail(string stage, string reason, Op? at = null) =>
        new(stage, reason, at?.Instruction.Offset ?? -1);
}

/// <summary>Decompiles nested code objects on behalf of the evaluator (each one independently, failures contained).</summary>
internal interface INestedDecompiler
{
    /// <summary>The statements of a function body (docstring first when there is one).</summary>
    List<StmtNode> FunctionBody(CodeObject code, ScopeKind kind);
    /// <summary>A lambda's expression.</summary>
    ExprNode LambdaBody(CodeObject code);
    /// <summary>A ≤3.11 comprehension or any generator expression code object, called on <paramref name="iterable"/>.</summary>
    ExprNode Comprehension(CodeObject code, ExprNode iterable);
    /// <summary>The statements of a class body.</summary>
    List<StmtNode> ClassBody(CodeObject code);
    /// <summary>3.14: the (name, annotation) pairs an __annotate__ function returns.</summary>
    List<(string Name, ExprNode Value)> AnnotateEntries(CodeObject code);
    /// <summary>3.12+: what a `&lt;generic parameters of X&gt;` function called with <paramref name="arguments"/>
    /// makes (a function, class or type alias marker with its type parameters).</summary>
    object GenericParameters(CodeObject code, IReadOnlyList<ExprNode> arguments);
    /// <summary>3.12+: the expression a lazily evaluated value (a bound, constraints, a default, an alias value) returns.</summary>
    ExprNode LazyValue(CodeObject code);
    /// <summary>Source lines of statements of nested code objects decompiled so far.</summary>
    IReadOnlyDictionary<SyntaxNode, int> NestedLines { get; }
}
