using System.Buffers.Binary;
using PyRecon.Model;

namespace PyRecon.Pyc;

/// <summary>A read .pyc: its header (absent for headerless marshal data) and module code object.</summary>
public sealed record PycFile(PycHeader? Header, PythonVersion Version, CodeObject Code)
{
    public int Magic => Header?.Magic ?? MagicNumbers.FinalMagic(Version);
    public int Flags => Header?.Flags ?? 0;
}

/// <summary>Entry point for reading .pyc files and headerless marshal data.</summary>
public static class PycReader
{
    /// <summary>Reads a .pyc file. If <paramref name="statedVersion"/> is given it must agree with the magic.</summary>
    public static PycFile Read(ReadOnlyMemory<byte> data, PythonVersion? statedVersion = null)
    {
        var header = ReadHeader(data.Span);
        if (statedVersion is { } stated && stated != header.Version)
            throw new PycFormatException($"the file's magic {header.Magic} is Python {header.Version}, not the stated {stated}");
        var code = new MarshalReader(data, header.Version, PycHeader.Size).ReadCode();
        return new PycFile(header, header.Version, code);
    }

    /// <summary>Reads headerless marshal data (a code object) written by Python <paramref name="version"/>.</summary>
    public static PycFile ReadMarshal(ReadOnlyMemory<byte> data, PythonVersion version)
    {
        if (!version.IsSupported) throw new PycFormatException($"Python {version} is not supported (3.8-3.14 are)");
        if (data.Length == 0) throw new PycFormatException("empty input");
        var code = new MarshalReader(data, version).ReadCode();
        return new PycFile(null, version, code);
    }

    /// <summary>
    /// Reads either: data with a .pyc header, or (when a version is stated and the data does not start
    /// with a known magic) headerless marshal data.
    /// </summary>
    public static PycFile ReadAny(ReadOnlyMemory<byte> data, PythonVersion? statedVersion)
    {
        if (statedVersion is { } v && !LooksLikePyc(data.Span)) return ReadMarshal(data, v);
        return Read(data, statedVersion);
    }

    public static PycFile ReadFile(string path, PythonVersion? statedVersion = null) => ReadAny(File.ReadAllBytes(path), statedVersion);

    public static bool LooksLikePyc(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && data[2] == '\r' && data[3] == '\n' && MagicNumbers.TryGetVersion(BinaryPrimitives.ReadUInt16LittleEndian(data), out _);

    public static PycHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) throw new PycFormatException("empty file");
        if (data.Length < 4) throw new PycFormatException($"too short for a .pyc header ({data.Length} bytes)");
        int magic = BinaryPrimitives.ReadUInt16LittleEndian(data);
        if (data[2] != '\r' || data[3] != '\n')
            throw new PycFormatException("not a .pyc file (the magic number is not followed by \\r\\n)");
        if (!MagicNumbers.TryGetVersion(magic, out var version))
            throw new PycFormatException(MagicNumbers.Describe(magic));
        if (data.Length < PycHeader.Size)
            throw new PycFormatException($"truncated .pyc header ({data.Length} of {PycHeader.Size} bytes)");
        int flags = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        if ((flags & ~3) != 0)
            throw new PycFormatException($"invalid .pyc flags 0x{flags:x} (only bits 0 and 1 are defined)");
        uint timestamp = 0, size = 0;
        ulong hash = 0;
        if ((flags & 1) != 0) hash = BinaryPrimitives.ReadUInt64LittleEndian(data[8..]);
        else
        {
            timestamp = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
            size = BinaryPrimitives.ReadUInt32LittleEndian(data[12..]);
        }
        return new PycHeader(magic, version, flags, timestamp, size, hash);
    }
}
