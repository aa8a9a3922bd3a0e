using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Archives.PyInstaller;

/// <summary>What a PYZ member is, by its type number.</summary>
public enum PyzEntryKind
{
    Module = 0,
    Package = 1,
    /// <summary>A data file (older releases, for pkg_resources); zlib-compressed raw bytes.</summary>
    Data = 2,
    /// <summary>A PEP 420 namespace package: no <c>__init__</c>; PyInstaller 6 stores no data at all.</summary>
    NamespacePackage = 3,
}

/// <summary>One member of a PYZ table of contents; offsets are from the start of the PYZ.</summary>
public sealed record PyzEntry(string Name, int TypeCode, long Offset, long Length)
{
    public PyzEntryKind? Kind => TypeCode is >= 0 and <= 3 ? (PyzEntryKind)TypeCode : null;

    public string TypeName => Kind switch
    {
        PyzEntryKind.Module => "module",
        PyzEntryKind.Package => "package",
        PyzEntryKind.Data => "data",
        PyzEntryKind.NamespacePackage => "namespace package",
        _ => $"unknown type {TypeCode}",
    };

    /// <summary>Set when the member cannot be where the TOC says.</summary>
    public string? Problem { get; init; }
}

/// <summary>
/// PyInstaller's PYZ (ZlibArchive): <c>PYZ\0</c>, the building interpreter's .pyc magic, the big-endian offset of
/// the table of contents, then (before PyInstaller 6) an encryption flag; the TOC is a marshalled list of
/// <c>(name, (type, offset, length))</c> (a dict of the same in the oldest layouts); each member is the zlib-compressed
/// marshal data of a code object, encrypted with AES when the program was built with <c>--key</c>.
/// </summary>
public sealed class PyzArchive
{
    public const int HeaderSize = 17;

    private PyzArchive(ArchiveSource source, byte[] pyMagic, bool encrypted, ImmutableArray<PyzEntry> entries)
    {
        Source = source;
        PyMagic = pyMagic;
        IsEncrypted = encrypted;
        Entries = entries;
    }

    public static ReadOnlySpan<byte> Magic => "PYZ\0"u8;

    public ArchiveSource Source { get; }
    /// <summary>The four bytes of the .pyc magic of the interpreter that built the program.</summary>
    public byte[] PyMagic { get; }
    /// <summary>The magic number (the first two bytes, little-endian), as a .pyc header has it.</summary>
    public int MagicNumber => BinaryPrimitives.ReadUInt16LittleEndian(PyMagic);
    /// <summary>The Python version of <see cref="MagicNumber"/>, when it is one PyRecon reads.</summary>
    public PythonVersion? Version => MagicNumbers.TryGetVersion(MagicNumber, out var v) && PyMagic[2] == '\r' && PyMagic[3] == '\n' ? v : null;
    /// <summary>The header says the members are encrypted (PyInstaller 2.x-5.x built with <c>--key</c>).</summary>
    public bool IsEncrypted { get; }
    public ImmutableArray<PyzEntry> Entries { get; }

    public static bool HasMagic(ReadOnlySpan<byte> data) => data.StartsWith(Magic);

    /// <param name="fallbackVersion">Decides how the TOC is unmarshalled when the PYZ magic is not a version PyRecon reads
    /// (the TOC holds only lists, tuples, strings and numbers, which read alike in every marshal version since 3.4).</param>
    /// <exception cref="PyInstallerFormatException">Not a PYZ, or its header or TOC is damaged.</exception>
    public static PyzArchive Open(ArchiveSource source, PythonVersion? fallbackVersion = null)
    {
        if (source.Length < HeaderSize) throw new PyInstallerFormatException($"too short for a PYZ header ({source.Length} bytes)");
        var header = source.Read(0, HeaderSize);
        if (!HasMagic(header)) throw new PyInstallerFormatException("not a PYZ archive (no PYZ\\0 magic)");
        var pyMagic = header[4..8];
        uint tocOffset = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        if (tocOffset < HeaderSize || tocOffset >= source.Length)
            throw new PyInstallerFormatException($"the PYZ header puts its table of contents at byte {tocOffset}, outside its {source.Length} bytes (damaged)");
        // 3.x-5.x write the flag at byte 12; 2.x wrote a 4-byte compression level first and the flag at byte 16;
        // 6.x writes zeros. Whichever byte is set, the members are encrypted.
        bool encrypted = header[12] != 0 || header[16] != 0;

        var version = MagicNumbers.TryGetVersion(BinaryPrimitives.ReadUInt16LittleEndian(pyMagic), out var v) ? v
            : fallbackVersion is { IsSupported: true } fallback ? fallback : PythonVersion.V3_8;
        PyObject toc;
        try
        {
            toc = new MarshalReader(source.Read(tocOffset, source.Length - tocOffset), version).ReadObject();
        }
        catch (PycFormatException e)
        {
            throw new PyInstallerFormatException($"the PYZ table of contents is unreadable: {e.Message}");
        }
        var pairs = toc switch
        {
            PyList or PyTuple => ((PySequence)toc).Items.Select(item => item is PyTuple { Items.Length: 2 } t ? (t.Items[0], t.Items[1]) : (null!, item)),
            PyDict d => d.Entries.Select(e => (e.Key, e.Value)),
            _ => throw new PyInstallerFormatException($"the PYZ table of contents is a {toc.TypeName}, not a list or dict (damaged)"),
        };
        var entries = ImmutableArray.CreateBuilder<PyzEntry>();
        foreach (var (key, value) in pairs)
        {
            string? name = key switch
            {
                PyStr s => s.Value,
                PyBytes b => Encoding.Latin1.GetString(b.Value.AsSpan()), // Python 2 builds
                _ => null,
            };
            if (name is null || value is not PyTuple { Items: [PyObject type, PyInt offset, PyInt length] } || ToInt(type) is not int typeCode)
                throw new PyInstallerFormatException($"the PYZ table of contents has a malformed entry after {entries.Count} good ones (damaged)");
            var entry = new PyzEntry(name, typeCode, (long)offset.Value, (long)length.Value);
            if (entry.Offset < HeaderSize || entry.Length < 0 || entry.Offset + entry.Length > tocOffset)
                entry = entry with { Problem = $"the PYZ says its data lies at {entry.Offset}+{entry.Length}, outside the member area ({tocOffset} bytes): damaged" };
            entries.Add(entry);
        }
        return new PyzArchive(source, pyMagic, encrypted, entries.ToImmutable());
    }

    private static int? ToInt(PyObject o) => o switch
    {
        PyBool b => b.Value ? 1 : 0, // PyInstaller 2.x stored "is package" as a bool
        PyInt i when i.Value >= 0 && i.Value <= 255 => (int)i.Value,
        _ => null,
    };

    /// <summary>The member's bytes as stored (compressed, and encrypted when <see cref="IsEncrypted"/>).</summary>
    public byte[] ReadStored(PyzEntry entry)
    {
        if (entry.Problem is not null) throw new PyInstallerFormatException(entry.Problem);
        return Source.Read(entry.Offset, entry.Length);
    }

    /// <summary>
    /// The member's content: for code members the marshal data of its code object. Decrypted first with
    /// <paramref name="cipher"/> when the archive is encrypted. A zero-length member (a PyInstaller 6 namespace
    /// package) is empty.
    /// </summary>
    /// <exception cref="PyInstallerFormatException">Damaged, or encrypted without a cipher, or the cipher does not fit.</exception>
    public byte[] ReadMember(PyzEntry entry, PyzCipher? cipher = null)
    {
        var stored = ReadStored(entry);
        if (stored.Length == 0) return stored;
        if (IsEncrypted)
        {
            if (cipher is null) throw new PyInstallerFormatException("encrypted, and no key to decrypt it");
            stored = cipher.Decrypt(stored);
        }
        return CArchive.Inflate(stored, -1, IsEncrypted ? "the decrypted member" : "the member");
    }
}
