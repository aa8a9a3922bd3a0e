using System.Buffers.Binary;
using System.Collections.Immutable;
using System.IO.Compression;
using System.Text;

namespace PyRecon.Archives.PyInstaller;

/// <summary>
/// PyInstaller's CArchive (the "PKG" the bootloader reads): found through its cookie, its table of contents walked
/// entry by entry. A damaged TOC keeps every entry before the damage (<see cref="TocProblem"/> says where it
/// stopped); an entry whose data is damaged fails alone when it is read.
/// </summary>
public sealed class CArchive
{
    /// <summary>The fixed part of a TOC entry: entry length, offset, stored length, length (32-bit big-endian), compression flag, type code.</summary>
    public const int EntryHeaderSize = 18;

    private CArchive(ArchiveSource source, CArchiveCookie cookie, ImmutableArray<CArchiveEntry> entries, string? tocProblem)
    {
        Source = source;
        Cookie = cookie;
        Entries = entries;
        TocProblem = tocProblem;
    }

    public ArchiveSource Source { get; }
    public CArchiveCookie Cookie { get; }
    public ImmutableArray<CArchiveEntry> Entries { get; }
    /// <summary>Why the TOC could not be read to its end (the entries before the damage are kept); null when it was.</summary>
    public string? TocProblem { get; }

    /// <summary>
    /// Opens the CArchive in <paramref name="source"/>; null when there is no valid cookie, with
    /// <paramref name="problem"/> saying why when a cookie magic was found but did not describe an archive.
    /// </summary>
    public static CArchive? TryOpen(ArchiveSource source, out string? problem)
    {
        var cookie = CookieFinder.Find(source, out problem);
        return cookie is null ? null : Open(source, cookie);
    }

    public static CArchive Open(ArchiveSource source, CArchiveCookie cookie)
    {
        var toc = source.Read(cookie.ArchiveStart + cookie.TocOffset, cookie.TocLength);
        var entries = ImmutableArray.CreateBuilder<CArchiveEntry>();
        string? problem = null;
        uint dataEnd = cookie.TocOffset; // entries' data lies before the TOC
        int pos = 0;
        while (pos < toc.Length)
        {
            if (toc.Length - pos < EntryHeaderSize)
            {
                problem = $"the table of contents ends inside entry {entries.Count} ({toc.Length - pos} bytes left)";
                break;
            }
            var span = toc.AsSpan(pos);
            uint entryLength = BinaryPrimitives.ReadUInt32BigEndian(span);
            if (entryLength <= EntryHeaderSize || entryLength > toc.Length - pos)
            {
                problem = $"entry {entries.Count} of the table of contents has an impossible length ({entryLength} bytes, {toc.Length - pos} left): the rest is unreadable";
                break;
            }
            uint offset = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(span[8..]);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(span[12..]);
            byte flag = span[16];
            char type = (char)span[17];
            var nameBytes = span[EntryHeaderSize..(int)entryLength];
            int nul = nameBytes.IndexOf((byte)0);
            string name;
            try
            {
                name = new UTF8Encoding(false, true).GetString(nul >= 0 ? nameBytes[..nul] : nameBytes);
            }
            catch (DecoderFallbackException)
            {
                problem = $"entry {entries.Count} of the table of contents has a name that is not UTF-8: the rest is unreadable";
                break;
            }
            string? entryProblem = null;
            if (name.Length == 0) entryProblem = "the entry has no name";
            else if ((ulong)offset + stored > dataEnd)
                entryProblem = $"its data ({offset}+{stored}) runs past the data area ({dataEnd} bytes): truncated or damaged";
            entries.Add(new CArchiveEntry(entries.Count, name.Length == 0 ? $"#{entries.Count}" : name, offset, stored, length, flag, type) { Problem = entryProblem });
            pos += (int)entryLength;
        }
        return new CArchive(source, cookie, entries.ToImmutable(), problem);
    }

    /// <summary>The entry's data, decompressed.</summary>
    /// <exception cref="PyInstallerFormatException">The data is missing, does not decompress, or has another size than the TOC says.</exception>
    public byte[] ReadEntry(CArchiveEntry entry)
    {
        if (entry.Problem is not null) throw new PyInstallerFormatException(entry.Problem);
        var stored = Source.Read(Cookie.ArchiveStart + entry.Offset, entry.StoredLength);
        return entry.CompressionFlag switch
        {
            0 => stored,
            1 => Inflate(stored, entry.Length, "the entry"),
            _ => throw new PyInstallerFormatException($"unknown compression flag {entry.CompressionFlag} (an encrypted or modified build?)"),
        };
    }

    /// <summary>The entry's data as a source of its own: read in place when stored uncompressed (PYZ archives are).</summary>
    public ArchiveSource OpenEntry(CArchiveEntry entry)
    {
        if (entry.Problem is not null) throw new PyInstallerFormatException(entry.Problem);
        return entry.CompressionFlag == 0
            ? Source.Slice(Cookie.ArchiveStart + entry.Offset, entry.StoredLength)
            : ArchiveSource.FromBytes(ReadEntry(entry));
    }

    /// <summary>Decompresses a zlib stream; <paramref name="expected"/> is the size the archive recorded (-1: unknown).</summary>
    internal static byte[] Inflate(byte[] data, long expected, string what)
    {
        try
        {
            using var input = new MemoryStream(data);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            using var output = expected >= 0 && expected < 1 << 30 ? new MemoryStream((int)expected) : new MemoryStream();
            zlib.CopyTo(output);
            if (expected >= 0 && output.Length != expected)
                throw new PyInstallerFormatException($"{what} decompresses to {output.Length} bytes, not the {expected} the table of contents says (damaged)");
            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // Damaged data surfaces as InvalidDataException, or as ZLibException (an IOException) when zlib
            // itself refuses a stream, e.g. a member decrypted under the wrong cipher mode.
            throw new PyInstallerFormatException($"{what} does not decompress (damaged zlib data: {e.Message.TrimEnd('.')})");
        }
    }
}
