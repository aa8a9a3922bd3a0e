using System.Collections.Immutable;

namespace PyRecon.Model;

/// <summary>
/// Decodes the 3.11+ exception table: entries of four varints (start, length, target, depth&lt;&lt;1|lasti)
/// in code units; varints are big-endian 6-bit chunks, bit 6 continues, bit 7 marks an entry's start.
/// </summary>
public static class ExceptionTableDecoder
{
    public static ImmutableArray<ExceptionTableEntry> Decode(ImmutableArray<byte> table)
    {
        if (table.IsDefaultOrEmpty) return ImmutableArray<ExceptionTableEntry>.Empty;
        var result = ImmutableArray.CreateBuilder<ExceptionTableEntry>();
        int pos = 0;
        while (pos < table.Length)
        {
            int start = ReadVarint(table, ref pos);
            int length = ReadVarint(table, ref pos);
            int target = ReadVarint(table, ref pos);
            int depthLasti = ReadVarint(table, ref pos);
            result.Add(new ExceptionTableEntry(start * 2, (start + length) * 2, target * 2, depthLasti >> 1, (depthLasti & 1) != 0));
        }
        return result.ToImmutable();
    }

    private static int ReadVarint(ImmutableArray<byte> table, ref int pos)
    {
        if (pos >= table.Length) throw new FormatException("truncated exception table");
        int b = table[pos++];
        int value = b & 63;
        while ((b & 64) != 0)
        {
            if (pos >= table.Length) throw new FormatException("truncated exception table");
            b = table[pos++];
            value = (value << 6) | (b & 63);
        }
        return value;
    }
}
