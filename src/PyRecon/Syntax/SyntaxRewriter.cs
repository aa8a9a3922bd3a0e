using System.Collections.Immutable;

namespace PyRecon.Syntax;

/// <summary>
/// Rebuilds a tree bottom-up. Override VisitX to replace nodes; the generated part rebuilds each node with
/// Update, so a node whose children did not change is returned as is, and a list is copied only from its
/// first changed item.
/// </summary>
public partial class SyntaxRewriter
{
    protected override SyntaxNode DefaultVisit(SyntaxNode node) => node;

    protected T VisitNode<T>(T node) where T : SyntaxNode =>
        Visit(node) as T ?? throw new InvalidOperationException($"{GetType().Name} replaced a {node.PythonName} by something that is not a {typeof(T).Name}");

    protected T? VisitOptional<T>(T? node) where T : SyntaxNode => node is null ? null : VisitNode(node);

    protected ImmutableArray<T> VisitList<T>(ImmutableArray<T> list) where T : SyntaxNode
    {
        ImmutableArray<T>.Builder? copy = null;
        for (int i = 0; i < list.Length; i++)
        {
            var item = VisitNode(list[i]);
            if (copy is null && !ReferenceEquals(item, list[i]))
            {
                copy = ImmutableArray.CreateBuilder<T>(list.Length);
                for (int j = 0; j < i; j++) copy.Add(list[j]);
            }
            copy?.Add(item);
        }
        return copy is null ? list : copy.MoveToImmutable();
    }

    protected ImmutableArray<T?> VisitOptionalItemList<T>(ImmutableArray<T?> list) where T : SyntaxNode
    {
        ImmutableArray<T?>.Builder? copy = null;
        for (int i = 0; i < list.Length; i++)
        {
            var item = VisitOptional(list[i]);
            if (copy is null && !ReferenceEquals(item, list[i]))
            {
                copy = ImmutableArray.CreateBuilder<T?>(list.Length);
                for (int j = 0; j < i; j++) copy.Add(list[j]);
            }
            copy?.Add(item);
        }
        return copy is null ? list : copy.MoveToImmutable();
    }
}
