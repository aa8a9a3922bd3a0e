using System.Collections.Immutable;

namespace PyRecon.Model;

/// <summary>
/// Decodes the three line-table formats into what the interpreter's own iterators yield:
/// co_lnotab (3.8-3.9), the 3.10 co_linetable and the 3.11+ location table
/// (Objects/lnotab_notes.txt and InternalDocs/code_objects.md of each branch).
/// </summary>
public static class LineTableDecoder
{
    /// <summary><c>dis.findlinestarts</c> of the code's version.</summary>
    public static ImmutableArray<LineStart> FindLineStarts(CodeObject code)
    {
        if (code.Version < PythonVersion.V3_10) return FindLineStartsLnotab(code);
        var result = ImmutableArray.CreateBuilder<LineStart>();
        if (code.Version >= PythonVersion.V3_13)
        {
            // 3.13 changed findlinestarts to also report ranges without a line: every change of line,
            // None included, starts an entry.
            bool first = true;
            int? last = null;
            foreach (var range in code.LineRanges)
            {
                if (first || range.Line != last)
                {
                    result.Add(new LineStart(range.Start, range.Line));
                    last = range.Line;
                    first = false;
                }
            }
        }
        else
        {
            int? last = null;
            foreach (var range in code.LineRanges)
            {
                if (range.Line is int line && line != last)
                {
                    result.Add(new LineStart(range.Start, line));
                    last = line;
                }
            }
        }
        return result.ToImmutable();
    }

    private static ImmutableArray<LineStart> FindLineStartsLnotab(CodeObject code)
    {
        var table = code.LineTable.AsSpan();
        var result = ImmutableArray.CreateBuilder<LineStart>();
        int? lastLine = null;
        int line = code.FirstLineNo;
        int addr = 0;
        for (int i = 0; i + 1 < table.Length; i += 2)
        {
            int byteIncrement = table[i];
            int lineIncrement = (sbyte)table[i + 1];
            if (byteIncrement != 0)
            {
                if (line != lastLine)
                {
                    result.Add(new LineStart(addr, line));
                    lastLine = line;
                }
                addr += byteIncrement;
                // Entries past the end of the bytecode describe lines that were optimised away.
                if (addr >= code.Code.Length) return result.ToImmutable();
            }
            line += lineIncrement;
        }
        if (line != lastLine) result.Add(new LineStart(addr, line));
        return result.ToImmutable();
    }

    /// <summary><c>code.co_lines()</c>: byte ranges and their lines.</summary>
    public static ImmutableArray<CodeRange> CoLines(CodeObject code)
    {
        if (code.Version < PythonVersion.V3_10) return CoLinesLnotab(code);
        if (code.Version == PythonVersion.V3_10) return CoLines310(code);
        // 3.11+: consecutive entries on the same line are merged into one range.
        var result = ImmutableArray.CreateBuilder<CodeRange>();
        foreach (var entry in LocationEntries(code))
        {
            int end = entry.Start + entry.Length;
            if (result.Count > 0 && result[^1].Line == entry.Position.Line)
                result[^1] = result[^1] with { End = end };
            else
                result.Add(new CodeRange(entry.Start, end, entry.Position.Line));
        }
        return result.ToImmutable();
    }

    private static ImmutableArray<CodeRange> CoLines310(CodeObject code)
    {
        var table = code.LineTable.AsSpan();
        var result = ImmutableArray.CreateBuilder<CodeRange>();
        int computedLine = code.FirstLineNo;
        int end = 0;
        for (int i = 0; i + 1 < table.Length; i += 2)
        {
            int start = end;
            end += table[i];
            int lineDelta = (sbyte)table[i + 1];
            int? line;
            if (lineDelta == -128) line = null;
            else { computedLine += lineDelta; line = computedLine; }
            if (start == end) continue; // empty ranges are skipped by the iterator
            result.Add(new CodeRange(start, end, line));
        }
        return result.ToImmutable();
    }

    private static ImmutableArray<CodeRange> CoLinesLnotab(CodeObject code)
    {
        var starts = FindLineStartsLnotab(code);
        var result = ImmutableArray.CreateBuilder<CodeRange>(starts.Length);
        for (int i = 0; i < starts.Length; i++)
        {
            int end = i + 1 < starts.Length ? starts[i + 1].Offset : code.Code.Length;
            if (end > starts[i].Offset) result.Add(new CodeRange(starts[i].Offset, end, starts[i].Line));
        }
        return result.ToImmutable();
    }

    /// <summary><c>code.co_positions()</c>: one position per code unit (2 bytes).</summary>
    public static ImmutableArray<SourcePosition> CoPositions(CodeObject code)
    {
        int units = code.Code.Length / 2;
        var result = new SourcePosition[units];
        if (code.Version >= PythonVersion.V3_11)
        {
            foreach (var entry in LocationEntries(code))
                for (int unit = entry.Start / 2; unit < (entry.Start + entry.Length) / 2 && unit < units; unit++)
                    result[unit] = entry.Position;
        }
        else
        {
            foreach (var range in code.LineRanges)
                for (int unit = range.Start / 2; unit < range.End / 2 && unit < units; unit++)
                    result[unit] = new SourcePosition(range.Line, range.Line, null, null);
        }
        return ImmutableArray.Create(result);
    }

    /// <summary>One 3.11+ location-table entry: a byte range and the position of every unit in it.</summary>
    public readonly record struct LocationEntry(int Start, int Length, SourcePosition Position);

    /// <summary>Walks the 3.11+ location table. Truncated tables end the walk rather than throwing.</summary>
    public static IEnumerable<LocationEntry> LocationEntries(CodeObject code)
    {
        var table = code.LineTable;
        int pos = 0;
        int line = code.FirstLineNo;
        int offset = 0;
        while (pos < table.Length)
        {
            byte head = table[pos++];
            int kind = (head >> 3) & 15;
            int length = ((head & 7) + 1) * 2;
            SourcePosition position;
            switch (kind)
            {
                case 15: // no location
                    position = default;
                    break;
                case 14: // long form
                {
                    line += ReadSignedVarint(table, ref pos);
                    int endLine = line + ReadVarint(table, ref pos);
                    int column = ReadVarint(table, ref pos);
                    int endColumn = ReadVarint(table, ref pos);
                    position = new SourcePosition(line, endLine, column == 0 ? null : column - 1, endColumn == 0 ? null : endColumn - 1);
                    break;
                }
                case 13: // line only
                    line += ReadSignedVarint(table, ref pos);
                    position = new SourcePosition(line, line, null, null);
                    break;
                case 10 or 11 or 12: // one-line forms: line delta 0-2, then start and end columns
                {
                    line += kind - 10;
                    int column = pos < table.Length ? table[pos++] : 0;
                    int endColumn = pos < table.Length ? table[pos++] : 0;
                    position = new SourcePosition(line, line, column, endColumn);
                    break;
                }
                default: // short forms 0-9: same line, column in 7 bits split over the code and one byte
                {
                    int second = pos < table.Length ? table[pos++] : 0;
                    int column = kind * 8 + ((second >> 4) & 7);
                    position = new SourcePosition(line, line, column, column + (second & 15));
                    break;
                }
            }
            yield return new LocationEntry(offset, length, position);
            offset += length;
        }
    }

    private static int ReadVarint(ImmutableArray<byte> table, ref int pos)
    {
        int value = 0, shift = 0;
        while (pos < table.Length)
        {
            byte b = table[pos++];
            value |= (b & 63) << shift;
            shift += 6;
            if ((b & 64) == 0 || shift > 30) break;
        }
        return value;
    }

    private static int ReadSignedVarint(ImmutableArray<byte> table, ref int pos)
    {
        int raw = ReadVarint(table, ref pos);
        return (raw & 1) != 0 ? -(raw >> 1) : raw >> 1;
    }
}
