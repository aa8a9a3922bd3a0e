using System.Collections.Immutable;
using PyRecon.Model;

namespace PyRecon.Disassembly;

/// <summary>
/// repr() of a constant as the interpreter that loaded it prints it. Marshal keeps a set's items in the
/// writing process's iteration order, but marshal.loads re-adds them one by one to a new set, and repr
/// lists that set's hash table: so frozenset items are reordered by <see cref="SetOrder"/> (recursively,
/// inside tuples too). Everything else is <see cref="PyRepr.Repr"/>.
/// </summary>
public sealed class ConstRepr(PyHash hash)
{
    public string Repr(PyObject value) => value switch
    {
        PyFrozenSet s => s.Items.Length == 0 ? "frozenset()" : $"frozenset({{{Items(SetOrder.Iterate(s.Items, hash))}}})",
        PySet s => s.Items.Length == 0 ? "set()" : $"{{{Items(SetOrder.Iterate(s.Items, hash))}}}",
        PyTuple t when ContainsSet(t) => t.Items.Length == 1 ? $"({Repr(t.Items[0])},)" : $"({Items(t.Items)})",
        _ => PyRepr.Repr(value),
    };

    private string Items(ImmutableArray<PyObject> items) => string.Join(", ", items.Select(Repr));

    private static bool ContainsSet(PyTuple t) =>
        t.Items.Any(i => i is PyFrozenSet or PySet || (i is PyTuple inner && ContainsSet(inner)));
}

/// <summary>
/// The iteration order of a set built by adding items one at a time to an empty set (what marshal does),
/// following Objects/setobject.c of 3.8-3.14: 8 slots to start, linear probing over up to 9 neighbours,
/// then perturbed probing; growth to 4x the used count when the table is 3/5 full.
/// </summary>
public static class SetOrder
{
    private const int MinSize = 8;        // PySet_MINSIZE
    private const int LinearProbes = 9;   // LINEAR_PROBES
    private const int PerturbShift = 5;   // PERTURB_SHIFT

    /// <summary>The items in table order, or as given when an item's hash cannot be reproduced.</summary>
    public static ImmutableArray<PyObject> Iterate(ImmutableArray<PyObject> items, PyHash hash)
    {
        var hashes = new ulong[items.Length];
        ulong width = hash.Bits == 32 ? uint.MaxValue : ulong.MaxValue;
        for (int i = 0; i < items.Length; i++)
        {
            if (hash.Hash(items[i]) is not long h) return items;
            hashes[i] = (ulong)h & width; // (size_t)hash
        }

        var table = new int[MinSize]; // item index + 1; 0 = empty (no deletions, so no dummies)
        int fill = 0;
        for (int n = 0; n < items.Length; n++)
        {
            // The compiler never puts equal items in one constant set, so every add is a new entry.
            Insert(table, hashes, n);
            fill++;
            ulong mask = (ulong)table.Length - 1;
            if ((ulong)fill * 5 < mask * 3) continue;
            int used = fill;
            long minUsed = used > 50000 ? used * 2L : used * 4L;
            long newSize = MinSize;
            while (newSize <= minUsed) newSize <<= 1;
            var old = table;
            table = new int[newSize];
            foreach (int entry in old)
                if (entry != 0) Insert(table, hashes, entry - 1); // set_insert_clean, in old table order
        }
        var ordered = ImmutableArray.CreateBuilder<PyObject>(items.Length);
        foreach (int entry in table)
            if (entry != 0) ordered.Add(items[entry - 1]);
        return ordered.MoveToImmutable();
    }

    private static void Insert(int[] table, ulong[] hashes, int item)
    {
        ulong hash = hashes[item];
        ulong mask = (ulong)table.Length - 1;
        ulong perturb = hash;
        ulong i = hash & mask;
        while (true)
        {
            // The slot itself, then up to LINEAR_PROBES neighbours when they do not wrap around.
            int probes = i + LinearProbes <= mask ? LinearProbes : 0;
            for (int j = 0; j <= probes; j++)
            {
                if (table[i + (ulong)j] == 0)
                {
                    table[i + (ulong)j] = item + 1;
                    return;
                }
            }
            perturb >>= PerturbShift;
            i = unchecked(i * 5 + 1 + perturb) & mask;
        }
    }
}
