using PyRecon.Model;
using PyRecon.Syntax;

namespace PyRecon.Decompilation;

/// <summary>
/// Statements the structurer needs before they become Python: a comprehension's element (LIST_APPEND and
/// friends), a failing assertion (raise of LOAD_ASSERTION_ERROR). They travel through statement lists as
/// ordinary <c>Expr</c> nodes holding a marker constant, recognised by reference in <see cref="Registry"/>;
/// the comprehension and assert builders consume them, and the driver refuses any that survive.
/// </summary>
internal abstract record PseudoStatement
{
    public const string MarkerText = "\u0000pyrecon-pseudo";
}

/// <summary>LIST_APPEND / SET_ADD (one value) or MAP_ADD (key and value) at comprehension depth <see cref="Depth"/>.</summary>
internal sealed record ComprehensionElement(ExprNode Element, ExprNode? Value, int Depth, string Kind) : PseudoStatement;

/// <summary>3.14: `__conditional_annotations__.add(i)`: the annotated assignment number i of the module ran here.</summary>
internal sealed record ConditionalAnnotation(int Index) : PseudoStatement;

/// <summary>raise AssertionError[(msg)] made from LOAD_ASSERTION_ERROR.</summary>
internal sealed record AssertFailure(ExprNode? Message) : PseudoStatement;

internal sealed class PseudoRegistry
{
    private readonly Dictionary<StmtNode, PseudoStatement> _map = new(SyntaxNodeIdentity.Instance);

    public StmtNode Make(PseudoStatement pseudo)
    {
        var node = SyntaxFactory.Expr(SyntaxFactory.Constant(new PyStr(PseudoStatement.MarkerText)));
        _map[node] = pseudo;
        return node;
    }

    public PseudoStatement? Get(StmtNode node) => _map.TryGetValue(node, out var p) ? p : null;

    public bool IsPseudo(StmtNode node) => _map.ContainsKey(node);
}
