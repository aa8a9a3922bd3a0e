using System.Buffers.Binary;
using System.Numerics;
using PyRecon.Model;

namespace PyRecon.Disassembly;

/// <summary>The string/bytes hash function a CPython build uses (sys.hash_info.algorithm).</summary>
public enum StringHashAlgorithm { SipHash24, SipHash13, Fnv }

/// <summary>
/// Which interpreter's hash() to reproduce: the algorithm, the width of Py_hash_t (64, or 32 on wasm32 and
/// other 32-bit builds) and PYTHONHASHSEED. Needed because the repr of a frozenset constant lists the items
/// in hash-table order, which follows str/bytes hashes: reproducible only with a fixed PYTHONHASHSEED.
/// </summary>
public sealed record HashProfile(StringHashAlgorithm Algorithm, int Bits, uint Seed)
{
    /// <summary>A 64-bit CPython of that version: siphash24 up to 3.10, siphash13 from 3.11.</summary>
    public static HashProfile Native64(PythonVersion version, uint seed = 0) =>
        new(version >= PythonVersion.V3_11 ? StringHashAlgorithm.SipHash13 : StringHashAlgorithm.SipHash24, 64, seed);

    /// <summary>A 32-bit build without aligned-access support for siphash, e.g. Pyodide's wasm32: fnv, 32-bit hashes.</summary>
    public static HashProfile Wasm32(uint seed = 0) => new(StringHashAlgorithm.Fnv, 32, seed);
}

/// <summary>
/// CPython's hash() for the constant types a code object can hold (Python/pyhash.c, Objects/longobject.c,
/// tupleobject.c, floatobject.c). Results are Py_hash_t values sign-extended to long. Null when the hash is
/// not reproducible (None before 3.12 and NaN from 3.10 hash by address; code objects, nested sets).
/// </summary>
public sealed class PyHash
{
    private readonly HashProfile _profile;
    private readonly PythonVersion _version;
    private readonly ulong _k0, _k1;           // siphash keys
    private readonly ulong _fnvPrefix, _fnvSuffix;
    private readonly ulong _mask;              // Py_uhash_t range
    private readonly int _modulusBits;         // _PyHASH_BITS: 61 or 31
    private readonly ulong _modulus;

    public PyHash(PythonVersion version, HashProfile profile)
    {
        _version = version;
        _profile = profile;
        _mask = profile.Bits == 32 ? uint.MaxValue : ulong.MaxValue;
        _modulusBits = profile.Bits == 32 ? 31 : 61;
        _modulus = (1UL << _modulusBits) - 1;

        // _Py_HashSecret: zeros for PYTHONHASHSEED=0, else filled by lcg_urandom(seed) (Python/bootstrap_hash.c).
        Span<byte> secret = stackalloc byte[24];
        if (profile.Seed != 0)
        {
            uint x = profile.Seed;
            for (int i = 0; i < secret.Length; i++)
            {
                x = unchecked(x * 214013 + 2531011);
                secret[i] = (byte)((x >> 16) & 0xff);
            }
        }
        _k0 = BinaryPrimitives.ReadUInt64LittleEndian(secret);
        _k1 = BinaryPrimitives.ReadUInt64LittleEndian(secret[8..]);
        int w = profile.Bits / 8; // the fnv union member is two Py_hash_t
        _fnvPrefix = profile.Bits == 32 ? BinaryPrimitives.ReadUInt32LittleEndian(secret) : _k0;
        _fnvSuffix = profile.Bits == 32 ? BinaryPrimitives.ReadUInt32LittleEndian(secret[w..]) : _k1;
    }

    public PythonVersion Version => _version;
    public HashProfile Profile => _profile;
    /// <summary>Bits of size_t / Py_uhash_t (set tables mask and perturb in this width).</summary>
    public int Bits => _profile.Bits;

    public long? Hash(PyObject value) => value switch
    {
        PyStr s => HashBytes(StrData(s.Value)),
        PyBytes b => HashBytes(b.Value.AsSpan()),
        PyBool b => b.Value ? 1 : 0,
        PyInt i => HashInt(i.Value),
        PyFloat f => HashFloat(f.Value),
        PyTuple t => HashTuple(t.Items),
        // 3.12 made hash(None) a constant (0xFCA86420); before, it was the object's address.
        PyNone when _version >= PythonVersion.V3_12 => Signed(0xFCA86420UL),
        _ => null,
    };

    /// <summary>Py_hash_t (sign-extended) from a Py_uhash_t bit pattern.</summary>
    private long Signed(ulong x) => _profile.Bits == 32 ? (int)(uint)x : (long)x;

    private ulong Unsigned(long h) => (ulong)h & _mask;

    /// <summary>PyUnicode_DATA as the hash sees it: 1, 2 or 4 bytes per code point (the narrowest that fits), little-endian.</summary>
    private static byte[] StrData(string text)
    {
        var points = new List<int>(text.Length);
        int max = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(text[i], text[++i]);
            points.Add(cp); // a lone surrogate stays one code point, as in a Python str
            max = Math.Max(max, cp);
        }
        int kind = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
        var data = new byte[points.Count * kind];
        for (int i = 0; i < points.Count; i++)
        {
            uint cp = (uint)points[i];
            for (int k = 0; k < kind; k++) data[i * kind + k] = (byte)(cp >> (8 * k));
        }
        return data;
    }

    /// <summary>_Py_HashBytes: 0 for empty input, else the build's function; -1 becomes -2.</summary>
    private long HashBytes(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return 0;
        long h = _profile.Algorithm switch
        {
            StringHashAlgorithm.SipHash24 => Signed(SipHash(data, 2, 4)),
            StringHashAlgorithm.SipHash13 => Signed(SipHash(data, 1, 3)),
            _ => Signed(Fnv(data)),
        };
        return h == -1 ? -2 : h;
    }

    private ulong Fnv(ReadOnlySpan<byte> p)
    {
        const ulong multiplier = 1000003; // _PyHASH_MULTIPLIER
        int size = _profile.Bits / 8;
        int remainder = p.Length % size;
        if (remainder == 0) remainder = size; // at least one block byte by byte
        int blocks = (p.Length - remainder) / size;
        ulong x = _fnvPrefix;
        x ^= (ulong)p[0] << 7;
        int pos = 0;
        for (int b = 0; b < blocks; b++, pos += size)
        {
            ulong block = size == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(p[pos..]) : BinaryPrimitives.ReadUInt32LittleEndian(p[pos..]);
            x = (unchecked(multiplier * x) & _mask) ^ block;
        }
        for (; remainder > 0; remainder--) x = (unchecked(multiplier * x) & _mask) ^ p[pos++];
        x ^= (ulong)p.Length;
        x ^= _fnvSuffix;
        x &= _mask;
        return x == _mask ? _mask - 1 : x; // (Py_uhash_t)-1 -> -2
    }

    private ulong SipHash(ReadOnlySpan<byte> data, int compressionRounds, int finalRounds)
    {
        ulong v0 = _k0 ^ 0x736f6d6570736575UL;
        ulong v1 = _k1 ^ 0x646f72616e646f6dUL;
        ulong v2 = _k0 ^ 0x6c7967656e657261UL;
        ulong v3 = _k1 ^ 0x7465646279746573UL;
        int pos = 0;
        for (; data.Length - pos >= 8; pos += 8)
        {
            ulong m = BinaryPrimitives.ReadUInt64LittleEndian(data[pos..]);
            v3 ^= m;
            for (int r = 0; r < compressionRounds; r++) SipRound(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }
        ulong last = (ulong)data.Length << 56;
        for (int k = 0; pos + k < data.Length; k++) last |= (ulong)data[pos + k] << (8 * k);
        v3 ^= last;
        for (int r = 0; r < compressionRounds; r++) SipRound(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;
        v2 ^= 0xff;
        for (int r = 0; r < finalRounds; r++) SipRound(ref v0, ref v1, ref v2, ref v3);
        return (v0 ^ v1 ^ v2 ^ v3) & _mask; // (Py_hash_t) truncates on 32-bit builds
    }

    private static void SipRound(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        unchecked
        {
            v0 += v1; v2 += v3;
            v1 = BitOperations.RotateLeft(v1, 13) ^ v0;
            v3 = BitOperations.RotateLeft(v3, 16) ^ v2;
            v0 = BitOperations.RotateLeft(v0, 32);
            v2 += v1; v0 += v3;
            v1 = BitOperations.RotateLeft(v1, 17) ^ v2;
            v3 = BitOperations.RotateLeft(v3, 21) ^ v0;
            v2 = BitOperations.RotateLeft(v2, 32);
        }
    }

    /// <summary>long_hash: sign * (|v| mod 2**N - 1), -1 becomes -2.</summary>
    private long HashInt(BigInteger value)
    {
        long h = (long)(BigInteger.Abs(value) % _modulus);
        if (value.Sign < 0) h = -h;
        return h == -1 ? -2 : h;
    }

    /// <summary>_Py_HashDouble for finite values and infinities (NaN hashes by address from 3.10, 0 before).</summary>
    private long? HashFloat(double v)
    {
        if (double.IsNaN(v)) return _version >= PythonVersion.V3_10 ? null : 0;
        if (double.IsInfinity(v)) return v > 0 ? 314159 : -314159;
        // frexp: v = m * 2**e with 0.5 <= |m| < 1
        var (m, e) = Frexp(v);
        int sign = 1;
        if (m < 0) { sign = -1; m = -m; }
        ulong x = 0;
        int bits = _modulusBits;
        while (m != 0)
        {
            x = ((x << 28) & _modulus) | x >> (bits - 28);
            m *= 268435456.0; // 2**28
            e -= 28;
            ulong y = (ulong)m;
            m -= y;
            x += y;
            if (x >= _modulus) x -= _modulus;
        }
        e = e >= 0 ? e % bits : bits - 1 - ((-1 - e) % bits);
        x = ((x << e) & _modulus) | x >> (bits - e);
        long h = sign * (long)x;
        return h == -1 ? -2 : h;
    }

    private static (double Mantissa, int Exponent) Frexp(double v)
    {
        if (v == 0) return (v, 0);
        long bits = BitConverter.DoubleToInt64Bits(v);
        int exp = (int)((bits >> 52) & 0x7FF);
        if (exp == 0)
        {
            // subnormal: scale up first
            var (m, e) = Frexp(v * 18014398509481984.0); // 2**54
            return (m, e - 54);
        }
        long mantBits = (bits & ~(0x7FFL << 52)) | (1022L << 52);
        return (BitConverter.Int64BitsToDouble(mantBits), exp - 1022);
    }

    /// <summary>tuplehash: the xxHash-style mix of 3.8+.</summary>
    private long? HashTuple(System.Collections.Immutable.ImmutableArray<PyObject> items)
    {
        bool wide = _profile.Bits == 64;
        ulong prime1 = wide ? 11400714785074694791UL : 2654435761UL;
        ulong prime2 = wide ? 14029467366897019727UL : 2246822519UL;
        ulong prime5 = wide ? 2870177450012600261UL : 374761393UL;
        ulong acc = prime5;
        foreach (var item in items)
        {
            if (Hash(item) is not long h) return null;
            ulong lane = Unsigned(h);
            unchecked
            {
                acc = (acc + lane * prime2) & _mask;
                acc = wide ? BitOperations.RotateLeft(acc, 31) : BitOperations.RotateLeft((uint)acc, 13);
                acc = (acc * prime1) & _mask;
            }
        }
        acc = unchecked(acc + ((ulong)items.Length ^ (prime5 ^ 3527539UL))) & _mask;
        return acc == _mask ? 1546275796 : Signed(acc);
    }
}
