using System.Buffers;

namespace PyRecon.Bytecode;

/// <summary>
/// The instruction index at each code offset (an instruction's own offset or the start of its EXTENDED_ARG
/// prefixes; the lowest index wins). One int per code unit instead of a hash map: decoding, stack depths and the
/// exception handlers look jump and handler targets up for every code object. The array is pooled: an index lives
/// only while one code object is decoded or analysed (dispose it).
/// </summary>
internal sealed class OffsetIndex : IDisposable
{
    private int[] _indexAtUnit;
    private int _units;
    private readonly int _count;

    private OffsetIndex(int codeLength, int count)
    {
        _units = codeLength / 2 + 1;
        _indexAtUnit = ArrayPool<int>.Shared.Rent(_units);
        Array.Fill(_indexAtUnit, -1, 0, _units);
        _count = count;
    }

    public void Dispose()
    {
        if (_units == 0) return;
        ArrayPool<int>.Shared.Return(_indexAtUnit);
        (_indexAtUnit, _units) = ([], 0);
    }

    public static OffsetIndex Of(int count, Func<int, (int Offset, int StartOffset)> at)
    {
        int end = 0;
        for (int i = 0; i < count; i++) end = Math.Max(end, at(i).Offset + 2);
        var map = new OffsetIndex(end, count);
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
        if (offset >= 0 && (offset & 1) == 0 && offset / 2 < _units) _indexAtUnit[offset / 2] = index;
    }

    public bool TryGet(int offset, out int index)
    {
        index = offset >= 0 && (offset & 1) == 0 && offset / 2 < _units ? _indexAtUnit[offset / 2] : -1;
        return index >= 0;
    }

    /// <summary>The first instruction at or after <paramref name="offset"/> (the count when none is): where a range of
    /// the exception table starts covering instructions.</summary>
    public int FirstAtOrAfter(int offset)
    {
        for (int unit = Math.Max(0, (offset + 1) / 2); unit < _units; unit++)
            if (_indexAtUnit[unit] >= 0) return _indexAtUnit[unit];
        return _count;
    }
}
