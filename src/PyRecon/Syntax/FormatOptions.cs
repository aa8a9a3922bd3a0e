namespace PyRecon.Syntax;

/// <summary>
/// What <see cref="PythonFormatter.Format(ModNode, PythonVersion, FormatOptions)"/> needs besides the tree.
/// Every dictionary is keyed by node <em>reference</em> (syntax nodes have structural equality, so two equal
/// <c>Name("x")</c> nodes are still two keys); the formatter copies them into reference-keyed maps, so a caller
/// should build them with <see cref="ReferenceEqualityComparer.Instance"/>.
/// </summary>
public sealed record FormatOptions
{
    public static FormatOptions Default { get; } = new();

    /// <summary>Comment lines printed before a statement (without the <c>#</c>). When a statement has a known
    /// line and its comments do not fit in the lines before it, they are written after it on its line
    /// (<c>stmt  # a # b</c>) so the statement keeps its place.</summary>
    public IReadOnlyDictionary<StmtNode, IReadOnlyList<string>>? LeadingComments { get; init; }

    /// <summary>
    /// The source line (1-based) of nodes: a statement starts on its line, an expression (or argument, keyword,
    /// alias, comprehension, pattern, type parameter, except handler, match case) is moved down to its line
    /// where a line break is possible. A missing node or a value ≤ 0 means the line is unknown.
    /// For a decorated FunctionDef, AsyncFunctionDef or ClassDef the entry is the line of its <em>first
    /// decorator</em> (what co_firstlineno and 3.13's <c>__firstlineno__</c> record); the line of the
    /// <c>def</c>/<c>class</c> keyword itself is <see cref="KeywordLines"/>. Decorators (ExprNode) may have
    /// entries of their own: each <c>@</c> line goes on its decorator's line.
    /// </summary>
    public IReadOnlyDictionary<SyntaxNode, int>? Lines { get; init; }

    /// <summary>For decorated FunctionDef, AsyncFunctionDef and ClassDef nodes: the line of the
    /// <c>def</c>/<c>class</c> keyword (the line MAKE_FUNCTION / LOAD_BUILD_CLASS and the name's store carry).
    /// Without an entry the keyword goes on the line after the last decorator. For an undecorated definition
    /// it is used only when <see cref="Lines"/> has no entry for the node.</summary>
    public IReadOnlyDictionary<StmtNode, int>? KeywordLines { get; init; }

    /// <summary>When set, the formatter adds each statement it could not start on its line from <see cref="Lines"/>.</summary>
    public List<MisplacedStatement>? Misplaced { get; init; }
}

/// <summary>A statement the formatter could not start on <see cref="Wanted"/> (the lines before were taken): it went on <see cref="Written"/>.</summary>
public readonly record struct MisplacedStatement(StmtNode Statement, int Wanted, int Written);

/// <summary>The line maps of <see cref="FormatOptions"/> as reference-keyed dictionaries: the caller's own when it keys
/// by reference already (the decompiler's, one entry per expression of the module: not copied), else a copy.</summary>
internal sealed class LineMap
{
    // Concrete dictionaries: looked up for every node written, where an interface call would cost a dispatch each.
    private readonly Dictionary<SyntaxNode, int> _lines;
    private readonly Dictionary<StmtNode, int> _keywordLines;

    private LineMap(FormatOptions options)
    {
        _lines = ByReference(options.Lines);
        _keywordLines = ByReference(options.KeywordLines);
    }

    private static Dictionary<TNode, int> ByReference<TNode>(IReadOnlyDictionary<TNode, int>? lines) where TNode : SyntaxNode
    {
        if (lines is Dictionary<TNode, int> { Comparer: SyntaxNodeIdentity or ReferenceEqualityComparer } byReference) return byReference;
        var copy = new Dictionary<TNode, int>(SyntaxNodeIdentity.Instance);
        if (lines is not null)
            foreach (var (node, line) in lines)
                if (node is not null && line > 0) copy[node] = line;
        return copy;
    }

    /// <summary>Null when the options give no line at all (then the output is the canonical layout).</summary>
    public static LineMap? From(FormatOptions options)
    {
        var map = new LineMap(options);
        return AnyKnown(map._lines) || AnyKnown(map._keywordLines) ? map : null;
    }

    private static bool AnyKnown<TNode>(Dictionary<TNode, int> lines) where TNode : notnull
    {
        foreach (var (_, line) in lines)
            if (line > 0) return true;
        return false;
    }

    /// <summary>The node's line, or 0 when unknown. A tuple or list opens no later than its first element's line
    /// (an unpacking target may carry the line of a later store).</summary>
    public int Of(SyntaxNode? node)
    {
        if (node is null || !_lines.TryGetValue(node, out var line) || line <= 0) return 0;
        var first = node switch { Tuple { Elts: [var e, ..] } => e, List { Elts: [var e, ..] } => e, _ => null };
        return first is not null && Of(first) is > 0 and var firstLine && firstLine < line ? firstLine : line;
    }

    /// <summary>The def/class keyword line of a definition, or 0 when unknown.</summary>
    public int KeywordLine(StmtNode node) => _keywordLines.TryGetValue(node, out var line) && line > 0 ? line : 0;
}
