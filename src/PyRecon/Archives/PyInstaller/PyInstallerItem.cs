using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Archives.PyInstaller;

/// <summary>What to do with an item of a PyInstaller program when it is unpacked.</summary>
public enum ItemRole
{
    /// <summary>A code object to decompile (or to write as a .pyc).</summary>
    Code,
    /// <summary>Bytes to write as they are (data files, binaries, zip files...).</summary>
    File,
    /// <summary>A symbolic link (PyInstaller 6); see <see cref="PyInstallerItem.LinkTarget"/>.</summary>
    Symlink,
    /// <summary>A folder (a namespace package, which has no <c>__init__</c>).</summary>
    Folder,
    /// <summary>Nothing to write (runtime options, dependencies in other executables, the PYZ archive itself).</summary>
    Listed,
}

/// <summary>
/// One thing a PyInstaller program holds, where an unpacked tree puts it: a CArchive entry, or a member of one of
/// its PYZ archives. <see cref="Path"/> is '/'-separated below the tree: entry scripts at the top
/// (<c>app.pyc</c>), PYZ modules at their package path (<c>pkg/__init__.pyc</c>, <c>pkg/sub.pyc</c>), bootstrap
/// modules and scripts under <see cref="PyInstallerArchive.BootstrapFolder"/>, data files as named.
/// </summary>
public sealed class PyInstallerItem
{
    internal Func<byte[]>? Loader { get; init; }

    /// <summary>How messages name it: the CArchive entry name, or <c>PYZ-00.pyz!pkg.sub</c> for a PYZ member.</summary>
    public required string Display { get; init; }
    public required string Path { get; init; }
    public required ItemRole Role { get; init; }
    /// <summary>What it is, in words: "entry script", "bootstrap module", "PYZ module", "data", "binary"...</summary>
    public required string TypeName { get; init; }
    /// <summary>Its size once unpacked, when the archive records it.</summary>
    public long? Size { get; init; }
    /// <summary>For code: the Python version that wrote it (may be one PyRecon does not read), and how that was decided.</summary>
    public PythonVersion? Version { get; init; }
    public string? VersionSource { get; init; }
    /// <summary>For code: the four .pyc magic bytes of the building interpreter when known exactly (from the PYZ header).</summary>
    public byte[]? PyMagic { get; init; }
    /// <summary>Why it cannot be read (then <see cref="Load"/> throws with this message); null when it can.</summary>
    public string? Problem { get; init; }
    /// <summary>Something worth saying about it (a runtime option's meaning, a namespace package...).</summary>
    public string? Note { get; init; }
    public string? LinkTarget { get; init; }

    /// <summary>The content: for code, the marshal data of the code object (or a whole .pyc, as bootstrap modules were before PyInstaller 5.3).</summary>
    /// <exception cref="PyInstallerFormatException">The item cannot be read (damaged, or encrypted without a usable key).</exception>
    public byte[] Load()
    {
        if (Problem is not null) throw new PyInstallerFormatException(Problem);
        return Loader is null ? [] : Loader();
    }

    /// <summary>
    /// <paramref name="content"/> (as <see cref="Load"/> gave it) as a .pyc file: kept when it already has a header,
    /// else given a 16-byte header (the building interpreter's magic, flags 0, zero timestamp and size).
    /// </summary>
    public byte[] ToPyc(byte[] content)
    {
        if (content.Length >= 4 && content[2] == '\r' && content[3] == '\n') return content;
        var header = new byte[PycHeader.Size];
        if (PyMagic is { Length: 4 }) PyMagic.CopyTo(header, 0);
        else if (Version is { IsSupported: true } v)
        {
            int magic = MagicNumbers.FinalMagic(v);
            header[0] = (byte)magic;
            header[1] = (byte)(magic >> 8);
            header[2] = (byte)'\r';
            header[3] = (byte)'\n';
        }
        else throw new PyInstallerFormatException("the Python version is not known, so no .pyc header can be written (say it with --python-version)");
        return [.. header, .. content];
    }

    public override string ToString() => $"{Display} -> {Path} ({TypeName})";
}
