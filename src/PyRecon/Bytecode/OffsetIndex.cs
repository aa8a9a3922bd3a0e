namespace PyRecon.Bytecode;

/// <summary>
/// The instruction index at each code offset (an instruction's own offset or the start of its EXTENDED_ARG
/// prefixes; the lowest index wins). One int per code unit instead of a hash map: decoding and stack-depth
/// analysis look jump and handler targets up for every code object.
/// </summary>
internal sealed class OffsetIndex
{
    private readonly int[] _indexAtUnit;

    private OffsetIndex(int codeLength)
    {
        _indexAtUnit = new int[codeLength / 2 + 1];
        Array.Fill(_indexAtUnit, -1);
    }

    public static OffsetIndex Of(int count, Func<int, (int Offset, int StartOffset)> at)
    {
        int end = 0;
        for (int i = 0; i < count; i++) end = Math.Max(end, at(i).Offset + 2);
        var map = new OffsetIndex(end);
        for (int i = count - 1; i >= 0; i--)
        {
            var (offset, start) = at(i);
            map.Set(offset, i);
            map.Set(start, i);
        }
        return map;
    }

    private void Set(int offset, int index)
    {
        if (offset >= 0 && (offset & 1) == 0 && offset / 2 < _indexAtUnit.Length) _indexAtUnit[offset / 2] = index;
    }

    public bool TryGet(int offset, out int index)
    {
        index = offset >= 0 && (offset & 1) == 0 && offset / 2 < _indexAtUnit.Length ? _indexAtUnit[offset / 2] : -1;
        return index >= 0;
    }
}
