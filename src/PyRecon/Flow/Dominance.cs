using System.Buffers;

namespace PyRecon.Flow;

/// <summary>
/// Immediate dominators by the Cooper-Harvey-Kennedy iteration over a graph given by flat successor arrays;
/// node <c>n</c> (the count) is a virtual root joined to every root. Used both ways: over the CFG for
/// dominators, over the reversed CFG (virtual exit) for post-dominators.
/// </summary>
internal static class Dominance
{
    /// <summary>The graph is given flat: node <c>i</c>'s successors are <c>edges[start[i]..start[i + 1]]</c> (n + 1 offsets).</summary>
    /// <returns>idom per node; -1 for unreachable nodes; the virtual root's index (n) for nodes whose only dominator is the root.</returns>
    public static int[] ImmediateDominators(int n, int[] start, int[] edges, List<int> roots)
    {
        int root = n;
        // The virtual root's successors: the distinct roots, after the real nodes' edges.
        var rootEdges = new List<int>(roots.Count);
        foreach (int r in roots) if (!rootEdges.Contains(r)) rootEdges.Add(r);
        int Count(int node) => node == root ? rootEdges.Count : start[node + 1] - start[node];
        int Successor(int node, int k) => node == root ? rootEdges[k] : edges[start[node] + k];
        // Predecessors in one flat array (offsets per node), not a list per node: this runs for every code object.
        // The work arrays are pooled (rented arrays may be longer and hold old values: only [0, n] is used, cleared).
        var pool = ArrayPool<int>.Shared;
        var predStart = pool.Rent(n + 2);
        var filled = pool.Rent(n + 1);
        var order = pool.Rent(n + 1);
        int[] preds = [];
        try
        {
            Array.Clear(predStart, 0, n + 2);
            Array.Clear(filled, 0, n + 1);
            for (int i = 0; i <= n; i++)
                for (int k = 0, c = Count(i); k < c; k++) predStart[Successor(i, k) + 1]++;
            for (int i = 0; i <= n; i++) predStart[i + 1] += predStart[i];
            preds = pool.Rent(Math.Max(1, predStart[n + 1]));
            for (int i = 0; i <= n; i++)
                for (int k = 0, c = Count(i); k < c; k++)
                {
                    int s = Successor(i, k);
                    preds[predStart[s] + filled[s]++] = i;
                }

            // Reverse postorder from the root (iterative DFS); filled is reused as the visited mark.
            Array.Fill(order, -1, 0, n + 1);
            var visited = filled;
            Array.Clear(visited, 0, n + 1);
            var stack = new Stack<(int Node, int Child)>();
            stack.Push((root, 0));
            visited[root] = 1;
            var post = new List<int>(n + 1);
            while (stack.Count > 0)
            {
                var (node, child) = stack.Pop();
                if (child < Count(node))
                {
                    stack.Push((node, child + 1));
                    int s = Successor(node, child);
                    if (visited[s] == 0)
                    {
                        visited[s] = 1;
                        stack.Push((s, 0));
                    }
                }
                else post.Add(node);
            }
            post.Reverse();
            var rpo = post;
            for (int i = 0; i < rpo.Count; i++) order[rpo[i]] = i;
            return Iterate(n, root, rpo, predStart, preds, order);
        }
        finally
        {
            pool.Return(predStart);
            pool.Return(filled);
            pool.Return(order);
            if (preds.Length > 0) pool.Return(preds);
        }
    }

    private static int[] Iterate(int n, int root, List<int> rpo, int[] predStart, int[] preds, int[] order)
    {
        var idom = new int[n + 1];
        Array.Fill(idom, -1);
        idom[root] = root;
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (int b in rpo)
            {
                if (b == root) continue;
                int newIdom = -1;
                for (int k = predStart[b]; k < predStart[b + 1]; k++)
                {
                    int p = preds[k];
                    if (idom[p] < 0) continue;
                    newIdom = newIdom < 0 ? p : Intersect(p, newIdom, idom, order);
                }
                if (newIdom >= 0 && idom[b] != newIdom)
                {
                    idom[b] = newIdom;
                    changed = true;
                }
            }
        }
        return idom;
    }

    private static int Intersect(int a, int b, int[] idom, int[] order)
    {
        while (a != b)
        {
            while (order[a] > order[b]) a = idom[a];
            while (order[b] > order[a]) b = idom[b];
        }
        return a;
    }
}
