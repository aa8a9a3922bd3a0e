namespace PyRecon.Archives.PyInstaller;

/// <summary>What a CArchive entry holds, by its type code.</summary>
public enum EntryKind
{
    /// <summary><c>s</c>: a script run at start (bootstrap scripts, runtime hooks, the program's entry script); bare marshal.</summary>
    Script,
    /// <summary><c>m</c>: a module the bootloader needs before the PYZ can be read; a full .pyc before PyInstaller 5.3, bare marshal since.</summary>
    Module,
    /// <summary><c>M</c>: a package among those modules.</summary>
    Package,
    /// <summary><c>z</c>: a PYZ archive of the program's modules.</summary>
    Pyz,
    /// <summary><c>Z</c>: a zip file (eggs).</summary>
    Zip,
    /// <summary><c>x</c>: a data file.</summary>
    Data,
    /// <summary><c>b</c>: a binary: shared library, extension module, executable.</summary>
    Binary,
    /// <summary><c>o</c>: a runtime option for the interpreter or bootloader (the name is the option; no data).</summary>
    Option,
    /// <summary><c>d</c>: a dependency kept in another executable of a multi-package build (no data).</summary>
    Dependency,
    /// <summary><c>a</c>: a nested archive.</summary>
    NestedArchive,
    /// <summary><c>l</c>: splash screen resources.</summary>
    Splash,
    /// <summary><c>n</c>: a symbolic link (PyInstaller 6); the data is the target path.</summary>
    Symlink,
    /// <summary>A type code this reader does not know; the data is kept as a file.</summary>
    Unknown,
}

/// <summary>The CArchive type codes (the bootloader's and the writer's table), as data.</summary>
public sealed record EntryType(char Code, EntryKind Kind, string Name)
{
    private static readonly EntryType[] s_known =
    [
        new('s', EntryKind.Script, "script"),
        new('m', EntryKind.Module, "module"),
        new('M', EntryKind.Package, "package"),
        new('z', EntryKind.Pyz, "PYZ archive"),
        new('Z', EntryKind.Zip, "zip file"),
        new('x', EntryKind.Data, "data"),
        new('b', EntryKind.Binary, "binary"),
        new('o', EntryKind.Option, "runtime option"),
        new('d', EntryKind.Dependency, "dependency"),
        new('a', EntryKind.NestedArchive, "nested archive"),
        new('l', EntryKind.Splash, "splash resources"),
        new('n', EntryKind.Symlink, "symbolic link"),
    ];

    public static IReadOnlyList<EntryType> Known => s_known;

    public static EntryType Of(char code) =>
        Array.Find(s_known, t => t.Code == code) ?? new EntryType(code, EntryKind.Unknown, $"unknown type '{Printable(code)}'");

    /// <summary>Entries that carry no data at all.</summary>
    public bool HasNoData => Kind is EntryKind.Option or EntryKind.Dependency;

    /// <summary>Entries whose data is a code object (marshal data, or a .pyc for old bootstrap modules).</summary>
    public bool IsCode => Kind is EntryKind.Script or EntryKind.Module or EntryKind.Package;

    /// <summary>The type code as text (a non-printable byte as \xNN).</summary>
    public static string Printable(char c) => c is >= ' ' and <= '~' ? c.ToString() : $"\\x{(int)c:x2}";
}

/// <summary>
/// One entry of a CArchive's table of contents: its name, where its data lies (relative to the archive start),
/// stored and uncompressed sizes, compression flag and type code. <see cref="Problem"/> is set when the entry's
/// data cannot be where the TOC says (it is listed, but reading it fails with that message).
/// </summary>
public sealed record CArchiveEntry(int Index, string Name, uint Offset, uint StoredLength, uint Length, byte CompressionFlag, char TypeCode)
{
    public EntryType Type => EntryType.Of(TypeCode);
    public bool IsCompressed => CompressionFlag != 0;
    public string? Problem { get; init; }

    /// <summary>The name as a '/'-separated path (Windows builds store back slashes).</summary>
    public string PathName => Name.Replace('\\', '/');

    public override string ToString() => $"{Name} ({Type.Name}, {StoredLength} bytes stored, {Length} bytes)";
}
