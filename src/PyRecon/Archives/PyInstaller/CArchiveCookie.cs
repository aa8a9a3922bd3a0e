using System.Buffers.Binary;
using System.Text;
using PyRecon.Model;

namespace PyRecon.Archives.PyInstaller;

/// <summary>
/// A CArchive cookie as found in a file. <see cref="ArchiveStart"/> is where the archive begins: the cookie's end
/// minus the package length, whatever precedes it (a bootloader) or follows it (on Linux the archive sits in an
/// ELF section, so the section headers come after the cookie).
/// </summary>
public sealed record CArchiveCookie(
    long Offset, CookieLayout Layout, uint PackageLength, uint TocOffset, uint TocLength, uint RawPythonVersion, string? LibraryName)
{
    public long End => Offset + Layout.Size;
    public long ArchiveStart => End - PackageLength;

    /// <summary>The Python version the cookie names, if it is a plausible one (see <see cref="CookiePythonVersion"/>).</summary>
    public PythonVersion? PythonVersion => CookiePythonVersion.Decode(RawPythonVersion) is { } v ? new PythonVersion(v.Major, v.Minor) : null;

    /// <summary>
    /// The first TOC entry has a possible length and its data lies before the TOC. This tells the two layouts apart
    /// where both would fit (the first 24 bytes of a truncated 88-byte cookie read as a 2.0 cookie, 64 bytes off).
    /// </summary>
    private static bool FirstEntryFits(ArchiveSource source, CArchiveCookie cookie)
    {
        if (cookie.TocLength == 0) return true;
        if (cookie.TocLength < CArchive.EntryHeaderSize) return false;
        var entry = source.Read(cookie.ArchiveStart + cookie.TocOffset, CArchive.EntryHeaderSize);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(entry);
        uint dataOffset = BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(4));
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(8));
        return length > CArchive.EntryHeaderSize && length <= cookie.TocLength && (ulong)dataOffset + stored <= cookie.TocOffset;
    }

    /// <summary>
    /// Reads the cookie of <paramref name="layout"/> at <paramref name="offset"/> (where the magic is) and checks that
    /// its fields describe an archive that fits in the file; null with the reason when they do not.
    /// </summary>
    internal static CArchiveCookie? TryParse(ArchiveSource source, long offset, CookieLayout layout, out string? problem)
    {
        problem = null;
        if (offset + layout.Size > source.Length)
        {
            problem = $"the {layout.Size}-byte cookie at byte {offset} runs past the end of the file";
            return null;
        }
        var bytes = source.Read(offset, layout.Size);
        var fields = bytes.AsSpan(CookieLayout.FieldsOffset);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(fields);
        uint tocOffset = BinaryPrimitives.ReadUInt32BigEndian(fields[4..]);
        uint tocLength = BinaryPrimitives.ReadUInt32BigEndian(fields[8..]);
        uint pyvers = BinaryPrimitives.ReadUInt32BigEndian(fields[12..]);
        string? library = null;
        if (layout.HasLibraryName)
        {
            var name = bytes.AsSpan(CookieLayout.FieldsOffset + 16, CookieLayout.LibraryNameSize);
            int nul = name.IndexOf((byte)0);
            var text = nul >= 0 ? name[..nul] : name;
            // A real cookie holds a short printable file name padded with NULs; anything else is some other layout.
            if (nul <= 0 || text.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e) || name[nul..].ContainsAnyExcept((byte)0))
            {
                problem = $"no Python library name in the cookie at byte {offset}";
                return null;
            }
            library = Encoding.ASCII.GetString(text);
        }
        var cookie = new CArchiveCookie(offset, layout, length, tocOffset, tocLength, pyvers, library);
        if (length < layout.Size || length > cookie.End)
            problem = $"the cookie at byte {offset} gives a package length of {length} bytes, but {cookie.End} bytes precede its end (the file is truncated or the cookie damaged)";
        else if ((ulong)tocOffset + tocLength > length - (ulong)layout.Size)
            problem = $"the cookie at byte {offset} puts the table of contents at {tocOffset}+{tocLength}, past the package's {length - layout.Size} bytes (the file is truncated or the cookie damaged)";
        else if (CookiePythonVersion.Decode(pyvers) is null)
            problem = $"the cookie at byte {offset} names no Python version ({pyvers})";
        else if (!FirstEntryFits(source, cookie))
            problem = $"the table of contents the cookie at byte {offset} points to does not start with an entry (the file is truncated or the cookie damaged)";
        return problem is null ? cookie : null;
    }
}

/// <summary>
/// Finds the cookie by searching back from the end of the file for its magic, as the bootloader does: the last
/// magic whose fields describe an archive that fits wins. The bootloader itself holds the magic as a constant, so
/// earlier, invalid hits are expected and skipped.
/// </summary>
public static class CookieFinder
{
    private const int ChunkSize = 1 << 16;

    /// <summary>The cookie, or null: then <paramref name="problem"/> says why when a magic was seen but none was valid.</summary>
    public static CArchiveCookie? Find(ArchiveSource source, out string? problem)
    {
        problem = null;
        var magic = CookieLayout.Magic;
        long end = source.Length;
        while (end >= magic.Length)
        {
            long start = Math.Max(0, end - ChunkSize);
            var chunk = source.Read(start, end - start);
            for (int at = chunk.AsSpan().LastIndexOf(magic); at >= 0; at = at == 0 ? -1 : chunk.AsSpan(0, at + magic.Length - 1).LastIndexOf(magic))
            {
                long offset = start + at;
                foreach (var layout in CookieLayout.All)
                {
                    var cookie = CArchiveCookie.TryParse(source, offset, layout, out string? why);
                    if (cookie is not null) return cookie;
                    // The first reason of the last magic is the most telling (the real cookie is the last one).
                    problem ??= why;
                }
            }
            if (start == 0) break;
            end = start + magic.Length - 1; // overlap so a magic across the chunk border is found
        }
        return null;
    }
}
