using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Numerics;
using System.Text;
using PyRecon.Model;

namespace PyRecon.Pyc;

/// <summary>
/// Reads CPython's marshal format (Python/marshal.c), versions 4 (3.8-3.13) and 5 (3.14, slices),
/// into the immutable <see cref="PyObject"/> model. Every type code is handled, FLAG_REF back-references
/// are resolved in CPython's order (containers and code objects reserve their slot before their children),
/// and nesting deeper than CPython's limit is refused. All failures are <see cref="PycFormatException"/>.
/// </summary>
public sealed class MarshalReader
{
    /// <summary>CPython's MAX_MARSHAL_STACK_DEPTH.</summary>
    public const int MaxDepth = 2000;

    private const byte FlagRef = 0x80;

    private readonly ReadOnlyMemory<byte> _data;
    private readonly PythonVersion _version;
    private readonly List<PyObject?> _refs = new();
    private int _pos;
    private int _depth;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public MarshalReader(ReadOnlyMemory<byte> data, PythonVersion version, int start = 0)
    {
        if (!version.IsSupported) throw new PycFormatException($"Python {version} is not supported (3.8-3.14 are)");
        _data = data;
        _version = version;
        _pos = start;
    }

    public int Position => _pos;

    /// <summary>Reads one object (for a .pyc body: the module's code object).</summary>
    public PyObject ReadObject()
    {
        var obj = ReadOptional();
        return obj ?? throw new PycFormatException("bad marshal data (NULL object where a value is required)", _pos - 1);
    }

    /// <summary>Reads the module code object that makes up a .pyc body.</summary>
    public CodeObject ReadCode()
    {
        var obj = ReadObject();
        return obj is PyCode code ? code.Code : throw new PycFormatException($"expected a code object, found {obj.TypeName}", 0);
    }

    // Returns null only for TYPE_NULL ('0'), which terminates dicts.
    private PyObject? ReadOptional()
    {
        if (++_depth > MaxDepth)
            throw new PycFormatException("bad marshal data (nesting deeper than CPython's limit of 2000)", _pos);
        try
        {
            int at = _pos;
            byte code = ReadByte();
            bool flag = (code & FlagRef) != 0;
            char type = (char)(code & ~FlagRef);
            switch (type)
            {
                case '0': return null;
                case 'N': return PyNone.Instance;
                case 'F': return PyBool.False;
                case 'T': return PyBool.True;
                case 'S': return PyStopIteration.Instance;
                case '.': return PyEllipsis.Instance;
                case 'i': return Register(flag, new PyInt(ReadInt32()));
                case 'I': return Register(flag, new PyInt(ReadInt64()));
                case 'l': return Register(flag, new PyInt(ReadLong(at)));
                case 'g': return Register(flag, new PyFloat(ReadBinaryDouble()));
                case 'f': return Register(flag, new PyFloat(ReadTextDouble(at)));
                case 'y': { double re = ReadBinaryDouble(); double im = ReadBinaryDouble(); return Register(flag, new PyComplex(re, im)); }
                case 'x': { double re = ReadTextDouble(at); double im = ReadTextDouble(at); return Register(flag, new PyComplex(re, im)); }
                case 's': return Register(flag, new PyBytes(ImmutableArray.Create(ReadBytes(ReadLength(at)))));
                case 'u' or 't': return Register(flag, new PyStr(DecodeUtf8(ReadBytes(ReadLength(at)), at)));
                case 'a' or 'A': return Register(flag, new PyStr(Encoding.Latin1.GetString(ReadBytes(ReadLength(at)))));
                case 'z' or 'Z': return Register(flag, new PyStr(Encoding.Latin1.GetString(ReadBytes(ReadByte()))));
                case ')': return ReadTuple(flag, ReadByte(), at);
                case '(': return ReadTuple(flag, ReadLength(at), at);
                case '[': return ReadList(flag, at);
                case '{': return ReadDict(flag, at);
                case '<' or '>': return ReadSet(flag, frozen: type == '>', at);
                case ':' when _version >= PythonVersion.V3_14: return ReadSlice(flag);
                case 'c': return ReadCodeObject(flag, at);
                case 'r': return ReadRef(at);
                default:
                    throw new PycFormatException($"bad marshal data (unknown type code 0x{code:x2})", at);
            }
        }
        finally
        {
            _depth--;
        }
    }

    private PyObject Register(bool flag, PyObject obj)
    {
        if (flag) _refs.Add(obj);
        return obj;
    }

    private int Reserve(bool flag)
    {
        if (!flag) return -1;
        _refs.Add(null);
        return _refs.Count - 1;
    }

    private PyObject Fill(int slot, PyObject obj)
    {
        if (slot >= 0) _refs[slot] = obj;
        return obj;
    }

    private PyObject ReadRef(int at)
    {
        uint index = (uint)ReadInt32();
        if (index >= (uint)_refs.Count)
            throw new PycFormatException($"bad marshal data (invalid reference {index}; {_refs.Count} objects so far)", at);
        // A slot reserved by an object still being read is what CPython calls an invalid reference too.
        return _refs[(int)index] ?? throw new PycFormatException($"bad marshal data (reference {index} to an unfinished object)", at);
    }

    private PyObject ReadTuple(bool flag, int count, int at)
    {
        // CPython registers a tuple before reading its items (R_REF on the new tuple).
        int slot = Reserve(flag);
        EnsureAvailable(count, at); // every item takes at least one byte
        var items = ImmutableArray.CreateBuilder<PyObject>(count);
        for (int i = 0; i < count; i++) items.Add(ReadObject());
        return Fill(slot, count == 0 ? PyTuple.Empty : new PyTuple(items.MoveToImmutable()));
    }

    private PyObject ReadList(bool flag, int at)
    {
        int count = ReadLength(at);
        int slot = Reserve(flag);
        EnsureAvailable(count, at);
        var items = ImmutableArray.CreateBuilder<PyObject>(count);
        for (int i = 0; i < count; i++) items.Add(ReadObject());
        return Fill(slot, new PyList(items.MoveToImmutable()));
    }

    private PyObject ReadDict(bool flag, int at)
    {
        int slot = Reserve(flag);
        var entries = ImmutableArray.CreateBuilder<KeyValuePair<PyObject, PyObject>>();
        while (true)
        {
            var key = ReadOptional();
            if (key is null) break;
            var value = ReadOptional() ?? throw new PycFormatException("bad marshal data (dict value is NULL)", at);
            entries.Add(new(key, value));
        }
        return Fill(slot, new PyDict(entries.ToImmutable()));
    }

    private PyObject ReadSet(bool flag, bool frozen, int at)
    {
        int count = ReadLength(at);
        int slot = Reserve(flag);
        EnsureAvailable(count, at);
        var items = ImmutableArray.CreateBuilder<PyObject>(count);
        for (int i = 0; i < count; i++) items.Add(ReadObject());
        var array = items.MoveToImmutable();
        return Fill(slot, frozen ? new PyFrozenSet(array) : new PySet(array));
    }

    private PyObject ReadSlice(bool flag)
    {
        int slot = Reserve(flag);
        var start = ReadObject();
        var stop = ReadObject();
        var step = ReadObject();
        return Fill(slot, new PySlice(start, stop, step));
    }

    private PyObject ReadCodeObject(bool flag, int at)
    {
        int slot = Reserve(flag);
        int argCount = ReadInt32();
        int posOnlyArgCount = ReadInt32();
        int kwOnlyArgCount = ReadInt32();
        if (_version < PythonVersion.V3_11) ReadInt32(); // co_nlocals: always len(co_varnames)
        int stackSize = ReadInt32();
        int flags = ReadInt32();
        var code = ReadField<PyBytes>("co_code", at).Value;
        var consts = ReadField<PyTuple>("co_consts", at).Items;
        var names = ReadStrings("co_names", at);

        ImmutableArray<LocalVariable> localsPlus;
        ImmutableArray<string> varNames, cellVars, freeVars;
        if (_version >= PythonVersion.V3_11)
        {
            var plusNames = ReadStrings("co_localsplusnames", at);
            var kinds = ReadField<PyBytes>("co_localspluskinds", at).Value;
            if (kinds.Length != plusNames.Length)
                throw new PycFormatException($"bad code object: {plusNames.Length} localsplus names but {kinds.Length} kinds", at);
            var plus = ImmutableArray.CreateBuilder<LocalVariable>(plusNames.Length);
            for (int i = 0; i < plusNames.Length; i++) plus.Add(new LocalVariable(plusNames[i], (LocalKind)kinds[i]));
            localsPlus = plus.MoveToImmutable();
            varNames = NamesOfKind(localsPlus, LocalKind.Local);
            cellVars = NamesOfKind(localsPlus, LocalKind.Cell);
            freeVars = NamesOfKind(localsPlus, LocalKind.Free);
        }
        else
        {
            varNames = ReadStrings("co_varnames", at);
            freeVars = ReadStrings("co_freevars", at);
            cellVars = ReadStrings("co_cellvars", at);
            localsPlus = LayOutLocalsPlus(varNames, cellVars, freeVars);
        }

        string fileName = ReadField<PyStr>("co_filename", at).Value;
        string name = ReadField<PyStr>("co_name", at).Value;
        string? qualName = _version >= PythonVersion.V3_11 ? ReadField<PyStr>("co_qualname", at).Value : null;
        int firstLineNo = ReadInt32();
        var lineTable = ReadField<PyBytes>(_version >= PythonVersion.V3_10 ? "co_linetable" : "co_lnotab", at).Value;
        var exceptionTable = _version >= PythonVersion.V3_11 ? ReadField<PyBytes>("co_exceptiontable", at).Value : ImmutableArray<byte>.Empty;

        if (code.Length % 2 != 0) throw new PycFormatException($"bad code object '{name}': co_code has odd length {code.Length}", at);

        var result = new CodeObject(_version, argCount, posOnlyArgCount, kwOnlyArgCount, stackSize, (CodeFlags)flags,
            code, consts, names, localsPlus, varNames, cellVars, freeVars,
            fileName, name, qualName, firstLineNo, lineTable, exceptionTable);
        try
        {
            _ = result.ExceptionTable; // decode now so a corrupt table is reported as bad input here
        }
        catch (FormatException e)
        {
            throw new PycFormatException($"bad code object '{name}': {e.Message}", at);
        }
        return Fill(slot, new PyCode(result));
    }

    /// <summary>3.11's layout of the slots for 3.8-3.10 code: varnames (cells among them keep their place), other cells, frees.</summary>
    private static ImmutableArray<LocalVariable> LayOutLocalsPlus(ImmutableArray<string> varNames, ImmutableArray<string> cellVars, ImmutableArray<string> freeVars)
    {
        var cells = new HashSet<string>(cellVars);
        var builder = ImmutableArray.CreateBuilder<LocalVariable>(varNames.Length + cellVars.Length + freeVars.Length);
        foreach (var v in varNames) builder.Add(new LocalVariable(v, cells.Contains(v) ? LocalKind.Local | LocalKind.Cell : LocalKind.Local));
        var locals = new HashSet<string>(varNames);
        foreach (var c in cellVars) if (!locals.Contains(c)) builder.Add(new LocalVariable(c, LocalKind.Cell));
        foreach (var f in freeVars) builder.Add(new LocalVariable(f, LocalKind.Free));
        return builder.ToImmutable();
    }

    private static ImmutableArray<string> NamesOfKind(ImmutableArray<LocalVariable> slots, LocalKind kind)
    {
        var builder = ImmutableArray.CreateBuilder<string>();
        foreach (var slot in slots) if ((slot.Kind & kind) != 0) builder.Add(slot.Name);
        return builder.ToImmutable();
    }

    private T ReadField<T>(string field, int at) where T : PyObject
    {
        var obj = ReadObject();
        return obj as T ?? throw new PycFormatException($"bad code object: {field} is a {obj.TypeName}", at);
    }

    private ImmutableArray<string> ReadStrings(string field, int at)
    {
        var tuple = ReadField<PyTuple>(field, at);
        var builder = ImmutableArray.CreateBuilder<string>(tuple.Items.Length);
        foreach (var item in tuple.Items)
            builder.Add(item is PyStr s ? s.Value : throw new PycFormatException($"bad code object: {field} holds a {item.TypeName}", at));
        return builder.MoveToImmutable();
    }

    // --- primitives ---

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Truncated();
        return _data.Span[_pos++];
    }

    private int ReadInt32()
    {
        if (_data.Length - _pos < 4) throw Truncated();
        int value = BinaryPrimitives.ReadInt32LittleEndian(_data.Span.Slice(_pos, 4));
        _pos += 4;
        return value;
    }

    private long ReadInt64()
    {
        if (_data.Length - _pos < 8) throw Truncated();
        long value = BinaryPrimitives.ReadInt64LittleEndian(_data.Span.Slice(_pos, 8));
        _pos += 8;
        return value;
    }

    private double ReadBinaryDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    private int ReadLength(int at)
    {
        int n = ReadInt32();
        if (n < 0) throw new PycFormatException($"bad marshal data (negative size {n})", at);
        EnsureAvailable(n, at);
        return n;
    }

    /// <summary>Refuses a size larger than the bytes left (each element needs at least one byte).</summary>
    private void EnsureAvailable(int count, int at)
    {
        if (count > _data.Length - _pos)
            throw new PycFormatException($"bad marshal data (size {count} is larger than the {_data.Length - _pos} bytes left)", at);
    }

    private byte[] ReadBytes(int count)
    {
        if (_data.Length - _pos < count) throw Truncated();
        var bytes = _data.Span.Slice(_pos, count).ToArray();
        _pos += count;
        return bytes;
    }

    private BigInteger ReadLong(int at)
    {
        int n = ReadInt32();
        if (n == int.MinValue) throw new PycFormatException("bad marshal data (long size out of range)", at);
        int digits = Math.Abs(n);
        if (digits > (_data.Length - _pos) / 2) throw new PycFormatException($"bad marshal data (long of {digits} digits is larger than the data)", at);
        // 15-bit digits, least significant first.
        var magnitude = new byte[(digits * 15 + 7) / 8 + 1];
        int bit = 0;
        int last = 0;
        for (int i = 0; i < digits; i++)
        {
            int d = BinaryPrimitives.ReadUInt16LittleEndian(_data.Span.Slice(_pos, 2));
            _pos += 2;
            if (d >= 1 << 15) throw new PycFormatException("bad marshal data (digit out of range in long)", at);
            last = d;
            for (int b = 0; b < 15; b++, bit++)
                if ((d & (1 << b)) != 0) magnitude[bit >> 3] |= (byte)(1 << (bit & 7));
        }
        if (digits > 0 && last == 0) throw new PycFormatException("bad marshal data (unnormalized long data)", at);
        var value = new BigInteger(magnitude, isUnsigned: true, isBigEndian: false);
        return n < 0 ? -value : value;
    }

    private double ReadTextDouble(int at)
    {
        int n = ReadByte();
        var text = Encoding.ASCII.GetString(ReadBytes(n));
        if (!PyFloatParser.TryParse(text, out double value))
            throw new PycFormatException($"bad marshal data (float text '{text}')", at);
        return value;
    }

    /// <summary>UTF-8 with CPython's surrogatepass: encoded lone surrogates become lone UTF-16 code units.</summary>
    private static string DecodeUtf8(byte[] bytes, int at)
    {
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return DecodeSurrogatePass(bytes) ?? throw new PycFormatException("bad marshal data (invalid UTF-8 in a string)", at);
        }
    }

    private static string? DecodeSurrogatePass(byte[] bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        int i = 0;
        while (i < bytes.Length)
        {
            byte b = bytes[i];
            int cp, len;
            if (b < 0x80) { cp = b; len = 1; }
            else if ((b & 0xE0) == 0xC0) { cp = b & 0x1F; len = 2; }
            else if ((b & 0xF0) == 0xE0) { cp = b & 0x0F; len = 3; }
            else if ((b & 0xF8) == 0xF0) { cp = b & 0x07; len = 4; }
            else return null;
            if (i + len > bytes.Length) return null;
            for (int k = 1; k < len; k++)
            {
                if ((bytes[i + k] & 0xC0) != 0x80) return null;
                cp = (cp << 6) | (bytes[i + k] & 0x3F);
            }
            if (len > 1 && cp < (len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000)) return null; // overlong
            if (cp > 0x10FFFF) return null;
            if (cp >= 0x10000) sb.Append(char.ConvertFromUtf32(cp));
            else sb.Append((char)cp); // surrogates included: that is the point of surrogatepass
            i += len;
        }
        return sb.ToString();
    }

    private PycFormatException Truncated() => new("truncated marshal data (ended early)", _pos);
}
