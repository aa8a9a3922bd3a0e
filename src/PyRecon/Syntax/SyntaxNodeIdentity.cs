namespace PyRecon.Syntax;

public abstract partial class SyntaxNode
{
    private int _identityHash;

    /// <summary>
    /// A hash of this instance, not of its value: numbered on first use. Cheaper than
    /// <see cref="System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(object)"/>, whose first call on an object
    /// takes the runtime's slow path; the decompiler keys its line and comment tables on millions of fresh nodes.
    /// </summary>
    internal int IdentityHash
    {
        get
        {
            int hash = _identityHash;
            if (hash != 0) return hash;
            // Set once even when two threads hash a shared node at the same time: a table keeps the first number.
            int next = unchecked(++t_lastIdentityHash);  // per thread: jobs do not contend; equal numbers only collide
            if (next == 0) next = t_lastIdentityHash = 1;
            return Interlocked.CompareExchange(ref _identityHash, next, 0) is int set and not 0 ? set : next;
        }
    }

    [ThreadStatic] private static int t_lastIdentityHash;
}

/// <summary>Compares syntax nodes by reference (as <see cref="ReferenceEqualityComparer"/>), hashing with <see cref="SyntaxNode.IdentityHash"/>.</summary>
public sealed class SyntaxNodeIdentity : IEqualityComparer<SyntaxNode>
{
    public static readonly SyntaxNodeIdentity Instance = new();

    private SyntaxNodeIdentity() { }

    public bool Equals(SyntaxNode? x, SyntaxNode? y) => ReferenceEquals(x, y);

    public int GetHashCode(SyntaxNode node) => node.IdentityHash;
}
