using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using PyRecon.Archives.PyInstaller;

namespace PyRecon.Tests.Archives;

/// <summary>
/// Writes PyInstaller archives for layouts the real samples do not cover (the 2.0 cookie, trailing ELF sections,
/// dict TOCs, CFB encryption, namespace packages, symbolic links...), following the documented format.
/// </summary>
internal sealed class PyInstallerBuilder
{
    public List<(string Name, char Type, byte[] Data, bool Compress)> Entries { get; } = [];
    public CookieLayout Layout { get; set; } = CookieLayout.Current;
    public uint PyVers { get; set; } = 312;
    public byte[] Prefix { get; set; } = [0x7f, (byte)'E', (byte)'L', (byte)'F', .. new byte[60]];
    public byte[] Trailer { get; set; } = [];

    public PyInstallerBuilder Add(string name, char type, byte[] data, bool compress = true)
    {
        Entries.Add((name, type, data, compress));
        return this;
    }

    public byte[] Build()
    {
        var data = new MemoryStream();
        var toc = new MemoryStream();
        foreach (var (name, type, content, compress) in Entries)
        {
            long offset = data.Length;
            var stored = compress ? Zlib(content) : content;
            data.Write(stored);
            var nameBytes = Encoding.UTF8.GetBytes(name);
            int length = 18 + nameBytes.Length + 1;
            length += (16 - length % 16) % 16;
            var entry = new byte[length];
            BinaryPrimitives.WriteUInt32BigEndian(entry, (uint)length);
            BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(4), (uint)offset);
            BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(8), (uint)stored.Length);
            BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(12), (uint)content.Length);
            entry[16] = compress ? (byte)1 : (byte)0;
            entry[17] = (byte)type;
            nameBytes.CopyTo(entry, 18);
            toc.Write(entry);
        }
        var cookie = new byte[Layout.Size];
        CookieLayout.Magic.CopyTo(cookie);
        BinaryPrimitives.WriteUInt32BigEndian(cookie.AsSpan(8), (uint)(data.Length + toc.Length + Layout.Size));
        BinaryPrimitives.WriteUInt32BigEndian(cookie.AsSpan(12), (uint)data.Length);
        BinaryPrimitives.WriteUInt32BigEndian(cookie.AsSpan(16), (uint)toc.Length);
        BinaryPrimitives.WriteUInt32BigEndian(cookie.AsSpan(20), PyVers);
        if (Layout.HasLibraryName) "libpython3.12.so.1.0"u8.CopyTo(cookie.AsSpan(24));
        return [.. Prefix, .. data.ToArray(), .. toc.ToArray(), .. cookie, .. Trailer];
    }

    public static byte[] Zlib(byte[] data)
    {
        var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Optimal)) z.Write(data);
        return output.ToArray();
    }

    /// <summary>A PYZ: header (flag byte at 12), members as stored, and a marshalled TOC (a list of pairs, or a dict).</summary>
    public static byte[] Pyz(byte[] pyMagic, IEnumerable<(string Name, int Type, byte[] Stored)> members, bool encrypted = false, bool dictToc = false)
    {
        var body = new MemoryStream();
        body.Write(new byte[PyzArchive.HeaderSize]);
        var toc = new List<(string, int, long, long)>();
        foreach (var (name, type, stored) in members)
        {
            toc.Add((name, type, body.Length, stored.Length));
            body.Write(stored);
        }
        long tocOffset = body.Length;
        body.Write(MarshalToc(toc, dictToc));
        var bytes = body.ToArray();
        "PYZ\0"u8.CopyTo(bytes);
        pyMagic.CopyTo(bytes, 4);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), (uint)tocOffset);
        bytes[12] = encrypted ? (byte)1 : (byte)0;
        return bytes;
    }

    /// <summary>Marshal (version 4) of the TOC: '[' or '{', short ASCII strings 'z', small tuples ')', ints 'i'.</summary>
    private static byte[] MarshalToc(List<(string Name, int Type, long Offset, long Length)> toc, bool dict)
    {
        var m = new MemoryStream();
        void Int(long v) { m.WriteByte((byte)'i'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); m.Write(b); }
        void Str(string s) { var b = Encoding.ASCII.GetBytes(s); m.WriteByte((byte)'z'); m.WriteByte((byte)b.Length); m.Write(b); }
        void Value((string, int Type, long Offset, long Length) e) { m.WriteByte((byte)')'); m.WriteByte(3); Int(e.Type); Int(e.Offset); Int(e.Length); }
        if (dict)
        {
            m.WriteByte((byte)'{');
            foreach (var e in toc) { Str(e.Name); Value(e); }
            m.WriteByte((byte)'0');
        }
        else
        {
            m.WriteByte((byte)'[');
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(n, toc.Count);
            m.Write(n);
            foreach (var e in toc) { m.WriteByte((byte)')'); m.WriteByte(2); Str(e.Name); Value(e); }
        }
        return m.ToArray();
    }
}
