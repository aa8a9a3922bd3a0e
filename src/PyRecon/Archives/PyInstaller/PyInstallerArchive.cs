using System.Collections.Immutable;
using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Archives.PyInstaller;

/// <summary>Options for opening a PyInstaller archive (<see cref="PyInstallerArchive.TryOpen(string, PyInstallerOptions?, out string?)"/>).</summary>
public sealed record PyInstallerOptions
{
    /// <summary>The Python version of the program's bytecode, overriding what the PYZ magic and the cookie say.</summary>
    public PythonVersion? Version { get; init; }
    /// <summary>The <c>--key</c> the program was built with, overriding the archive's own <c>pyimod00_crypto_key</c>.</summary>
    public string? Key { get; init; }
}

/// <summary>A PYZ archive inside the CArchive, or why it could not be opened, and how its members are decrypted.</summary>
public sealed record EmbeddedPyz(CArchiveEntry Entry, PyzArchive? Archive, string? Problem)
{
    public PyzCipher? Cipher { get; init; }
    /// <summary>Where the key came from ("pyimod00_crypto_key", "given"), or why encrypted members cannot be read.</summary>
    public string? KeySource { get; init; }
    public string? CipherProblem { get; init; }
}

/// <summary>One thing the archive says about the PyInstaller release that wrote it, with the releases it fits.</summary>
public sealed record LayoutClue(string Text, Version? Since = null, Version? Before = null);

/// <summary>
/// A PyInstaller program read whole: its CArchive, the PYZ archives in it (decrypted with the key found in the
/// archive's own <c>pyimod00_crypto_key</c>), the Python version (stated, else the PYZ magic, else the cookie),
/// clues to the PyInstaller release, and every entry and PYZ member as a <see cref="PyInstallerItem"/> placed in the
/// tree a user expects. Nothing is decompressed before it is asked for, except what decides the above.
/// </summary>
public sealed class PyInstallerArchive : IDisposable
{
    /// <summary>The folder of the unpacked tree that holds the bootstrap modules and scripts (not a Python name, so no module can clash with it).</summary>
    public const string BootstrapFolder = "pyinstaller-bootstrap";

    private readonly bool _ownsSource;

    private PyInstallerArchive(CArchive archive, bool ownsSource)
    {
        CArchive = archive;
        _ownsSource = ownsSource;
    }

    public CArchive CArchive { get; }
    public ImmutableArray<EmbeddedPyz> Pyz { get; private set; } = [];
    public ImmutableArray<PyInstallerItem> Items { get; private set; } = [];
    /// <summary>The version of the program's bytecode (may be one PyRecon does not read), null when nothing says it.</summary>
    public PythonVersion? Version { get; private set; }
    public string? VersionSource { get; private set; }
    public ImmutableArray<LayoutClue> Clues { get; private set; } = [];
    /// <summary>Archive-wide findings worth a line each (a PYZ that cannot be decrypted, versions that disagree...).</summary>
    public ImmutableArray<string> Warnings { get; private set; } = [];

    /// <summary>The PyInstaller releases all clues fit: e.g. "PyInstaller >= 5.3, < 6.0".</summary>
    public string Release
    {
        get
        {
            var since = Clues.Select(c => c.Since).Where(v => v is not null).Max();
            var before = Clues.Select(c => c.Before).Where(v => v is not null).Min();
            return (since, before) switch
            {
                (null, null) => "PyInstaller (release not known)",
                ({ } s, null) => $"PyInstaller >= {s}",
                (null, { } b) => $"PyInstaller < {b}",
                ({ } s, { } b) when s >= b => "PyInstaller (clues disagree: a modified build?)",
                ({ } s, { } b) => $"PyInstaller >= {s}, < {b}",
            };
        }
    }

    /// <summary>Opens the file at <paramref name="path"/> (read in place); null when it holds no PyInstaller archive.</summary>
    public static PyInstallerArchive? TryOpen(string path, PyInstallerOptions? options, out string? problem)
    {
        var source = ArchiveSource.OpenFile(path);
        try
        {
            var archive = TryOpen(source, options, out problem, ownsSource: true);
            if (archive is null) source.Dispose();
            return archive;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the PyInstaller archive in <paramref name="source"/>; null when there is no valid cookie (then
    /// <paramref name="problem"/> says why if a cookie magic was seen: a truncated file or an altered cookie).
    /// </summary>
    /// <exception cref="PyInstallerFormatException">The cookie is valid but the table of contents lies outside the file.</exception>
    public static PyInstallerArchive? TryOpen(ArchiveSource source, PyInstallerOptions? options, out string? problem, bool ownsSource = false)
    {
        options ??= new PyInstallerOptions();
        var carchive = CArchive.TryOpen(source, out problem);
        if (carchive is null) return null;
        var archive = new PyInstallerArchive(carchive, ownsSource);
        archive.Read(options);
        return archive;
    }

    private void Read(PyInstallerOptions options)
    {
        var warnings = new List<string>();
        var clues = new List<LayoutClue> { new(CArchive.Cookie.Layout.Name, CArchive.Cookie.Layout.HasLibraryName ? new Version(2, 1) : new Version(2, 0), CArchive.Cookie.Layout.HasLibraryName ? null : new Version(2, 1)) };
        var cookieVersion = CArchive.Cookie.PythonVersion;
        clues.Add(new($"Python version in the cookie as {CookiePythonVersion.Encoding(CArchive.Cookie.RawPythonVersion)} ({CArchive.Cookie.RawPythonVersion})"));
        if (CArchive.TocProblem is not null) warnings.Add($"the table of contents is damaged: {CArchive.TocProblem}");

        // The PYZ archives first: their magic is the exact version of the bytecode.
        var pyzs = new List<EmbeddedPyz>();
        foreach (var entry in CArchive.Entries.Where(e => e.Type.Kind == EntryKind.Pyz))
        {
            try
            {
                pyzs.Add(new EmbeddedPyz(entry, PyzArchive.Open(CArchive.OpenEntry(entry), options.Version ?? cookieVersion), null));
            }
            catch (PyInstallerFormatException e)
            {
                pyzs.Add(new EmbeddedPyz(entry, null, e.Message));
                warnings.Add($"{entry.Name}: {e.Message}");
            }
        }
        var pyzVersion = pyzs.Select(p => p.Archive?.Version).FirstOrDefault(v => v is not null);
        (Version, VersionSource) = (options.Version, pyzVersion, cookieVersion) switch
        {
            ({ } stated, _, _) => (stated, "stated"),
            (null, { } fromPyz, _) => (fromPyz, $"PYZ magic {pyzs.First(p => p.Archive?.Version is not null).Archive!.MagicNumber}"),
            (null, null, { } fromCookie) => (fromCookie, $"cookie ({CArchive.Cookie.RawPythonVersion})"),
            _ => ((PythonVersion?)null, (string?)null),
        };
        if (pyzVersion is { } pv && cookieVersion is { } cv && pv != cv)
            warnings.Add($"the cookie says Python {cv} but the PYZ magic says {pv}: the PYZ is taken at its word");

        var bootstrapFormat = BootstrapModuleFormat();
        if (bootstrapFormat is { } full)
            clues.Add(full ? new("bootstrap modules stored as whole .pyc files", Before: new Version(5, 3)) : new("bootstrap modules stored as bare marshal data", Since: new Version(5, 3)));
        if (CArchive.Entries.Any(e => e.Type.Kind == EntryKind.Option && e.Name.StartsWith("pyi-", StringComparison.Ordinal)))
            clues.Add(new("bootloader options named pyi-*", Since: new Version(6, 0)));
        if (CArchive.Entries.Any(e => e.Type.Kind == EntryKind.Symlink))
            clues.Add(new("symbolic link entries", Since: new Version(6, 0)));

        for (int i = 0; i < pyzs.Count; i++)
        {
            if (pyzs[i].Archive is { IsEncrypted: true } encrypted)
            {
                clues.Add(new($"{pyzs[i].Entry.Name} encrypted (built with --key)", Before: new Version(6, 0)));
                pyzs[i] = SetUpCipher(pyzs[i], encrypted, options, warnings);
            }
        }
        Pyz = [.. pyzs];
        Clues = [.. clues];
        Items = [.. BuildItems()];
        Warnings = [.. warnings];
    }

    /// <summary>Whether the bootstrap modules are whole .pyc files (true) or bare marshal (false); null when there are none.</summary>
    private bool? BootstrapModuleFormat()
    {
        foreach (var entry in CArchive.Entries.Where(e => e.Type.Kind is EntryKind.Module or EntryKind.Package && e.Problem is null))
        {
            try
            {
                var data = CArchive.ReadEntry(entry);
                return data.Length >= 4 && data[2] == '\r' && data[3] == '\n';
            }
            catch (PyInstallerFormatException) { /* try the next one */ }
        }
        return null;
    }

    private EmbeddedPyz SetUpCipher(EmbeddedPyz pyz, PyzArchive archive, PyInstallerOptions options, List<string> warnings)
    {
        string? key = options.Key;
        string source = "given";
        string? why = null;
        if (key is null)
        {
            source = CryptoKeyModule.Name;
            (key, why) = FindKey();
        }
        var members = archive.Entries.Where(e => e.Problem is null && e.Length > PyzCipher.BlockSize).ToList();
        string names = string.Join(", ", archive.Entries.Select(e => e.Name));
        if (key is null)
        {
            string problem = $"encrypted (built with --key) and {why}";
            warnings.Add($"{pyz.Entry.Name}: {problem}: cannot read {names}");
            return pyz with { CipherProblem = problem };
        }
        // The mode is the one under which the members decrypt to zlib streams (a few members, in case one is damaged).
        var votes = new Dictionary<PyzCipherMode, int>();
        foreach (var member in members.Take(5))
        {
            try
            {
                if (PyzCipher.DetectMode(key, archive.ReadStored(member)) is { } mode) votes[mode] = votes.GetValueOrDefault(mode) + 1;
            }
            catch (PyInstallerFormatException) { /* a damaged member: it fails on its own when read */ }
        }
        if (votes.Count == 0)
        {
            string problem = members.Count == 0
                ? "encrypted, but no member is long enough to hold anything"
                : $"encrypted, and the key '{PyzCipher.NormalizeKey(key)}' ({source}) does not decrypt it (a wrong key?)";
            warnings.Add($"{pyz.Entry.Name}: {problem}: cannot read {names}");
            return pyz with { CipherProblem = problem };
        }
        var best = votes.MaxBy(v => v.Value).Key;
        PyzCipher cipher;
        try
        {
            cipher = new PyzCipher(key, best);
        }
        catch (PyInstallerFormatException e)
        {
            warnings.Add($"{pyz.Entry.Name}: {e.Message}: cannot read {names}");
            return pyz with { CipherProblem = e.Message };
        }
        return pyz with { Cipher = cipher, KeySource = source };
    }

    /// <summary>The key from the archive's <c>pyimod00_crypto_key</c> module, or why there is none.</summary>
    private (string? Key, string? Why) FindKey()
    {
        var entry = CArchive.Entries.FirstOrDefault(e => e.Name == CryptoKeyModule.Name && e.Type.IsCode);
        if (entry is null) return (null, $"the archive has no {CryptoKeyModule.Name} module to take the key from (give it with --key)");
        try
        {
            var data = CArchive.ReadEntry(entry);
            var file = PycReader.LooksLikePyc(data) ? PycReader.Read(data)
                : Version is { IsSupported: true } v ? PycReader.ReadMarshal(data, v)
                : throw new PyInstallerFormatException($"Python {Version?.ToString() ?? "(unknown)"} bytecode, which PyRecon does not read");
            return CryptoKeyModule.FindKey(file.Code) is { } key
                ? (key, null)
                : (null, $"its {CryptoKeyModule.Name} module assigns no key string");
        }
        catch (Exception e) when (e is PyInstallerFormatException or PycFormatException)
        {
            return (null, $"its {CryptoKeyModule.Name} module cannot be read ({e.Message})");
        }
    }

    private IEnumerable<PyInstallerItem> BuildItems()
    {
        foreach (var entry in CArchive.Entries)
        {
            var kind = entry.Type.Kind;
            if (kind == EntryKind.Pyz)
            {
                var pyz = Pyz.First(p => p.Entry == entry);
                yield return new PyInstallerItem
                {
                    Display = entry.Name, Path = SafePath(entry.PathName), Role = ItemRole.Listed, TypeName = "PYZ archive", Size = entry.Length,
                    Problem = pyz.Problem,
                    Note = pyz.Archive is { } a ? $"{a.Entries.Length} members" + (a.IsEncrypted ? pyz.Cipher is { } c ? $", decrypted ({c.Mode}, key '{c.Key}' from {pyz.KeySource})" : ", encrypted: " + pyz.CipherProblem : "") : null,
                };
                if (pyz.Archive is not null)
                    foreach (var member in pyz.Archive.Entries) yield return PyzItem(pyz, member);
                continue;
            }
            var e = entry;
            yield return kind switch
            {
                EntryKind.Script or EntryKind.Module or EntryKind.Package => CodeItem(e),
                EntryKind.Option => Listed(e, "runtime option", "an option for the bootloader or interpreter; nothing to unpack"),
                EntryKind.Dependency => Listed(e, "dependency", "kept in another executable of a multi-package build"),
                EntryKind.Symlink => SymlinkItem(e),
                _ => new PyInstallerItem
                {
                    Display = e.Name, Path = SafePath(e.PathName), Role = ItemRole.File, TypeName = e.Type.Name, Size = e.Length,
                    Problem = e.Problem, Loader = () => CArchive.ReadEntry(e),
                    Note = kind == EntryKind.Unknown ? $"type code '{EntryType.Printable(e.TypeCode)}' is not one PyInstaller writes; kept as data" : null,
                },
            };
        }
    }

    private PyInstallerItem CodeItem(CArchiveEntry e)
    {
        bool bootstrap = e.Type.Kind != EntryKind.Script || IsBootstrapScript(e.Name);
        string typeName = e.Type.Kind switch
        {
            EntryKind.Module => "bootstrap module",
            EntryKind.Package => "bootstrap package",
            _ when e.Name.StartsWith("pyi_rth_", StringComparison.Ordinal) => "runtime hook",
            _ when bootstrap => "bootstrap script",
            _ => "entry script",
        };
        // Scripts are named like files ("app"), modules by their dotted name.
        string path = e.Type.Kind == EntryKind.Script ? SafePath(e.PathName) : ModulePath(e.Name, e.Type.Kind == EntryKind.Package);
        return new PyInstallerItem
        {
            Display = e.Name, Path = (bootstrap ? BootstrapFolder + "/" : "") + path + ".pyc", Role = ItemRole.Code, TypeName = typeName,
            Size = e.Length, Version = Version, VersionSource = VersionSource, PyMagic = Pyz.Select(p => p.Archive?.PyMagic).FirstOrDefault(m => m is not null),
            Problem = e.Problem, Loader = () => CArchive.ReadEntry(e),
        };
    }

    private PyInstallerItem PyzItem(EmbeddedPyz pyz, PyzEntry member)
    {
        var archive = pyz.Archive!;
        string display = $"{pyz.Entry.Name}!{member.Name}";
        string? problem = member.Problem ?? (archive.IsEncrypted && member.Length > 0 && pyz.Cipher is null ? pyz.CipherProblem : null);
        var version = archive.Version is { } v && VersionSource != "stated" ? v : Version;
        string? versionSource = archive.Version is not null && VersionSource != "stated" ? $"PYZ magic {archive.MagicNumber}" : VersionSource;
        byte[] Load()
        {
            try
            {
                return archive.ReadMember(member, pyz.Cipher);
            }
            catch (PyInstallerFormatException e) when (pyz.Cipher is { } c)
            {
                throw new PyInstallerFormatException($"{e.Message}: the key '{c.Key}' ({pyz.KeySource}) does not decrypt it, or it is damaged");
            }
        }
        return member.Kind switch
        {
            PyzEntryKind.Module or PyzEntryKind.Package => new PyInstallerItem
            {
                Display = display, Path = ModulePath(member.Name, member.Kind == PyzEntryKind.Package) + ".pyc", Role = ItemRole.Code,
                TypeName = "PYZ " + member.TypeName, Version = version, VersionSource = versionSource, PyMagic = archive.PyMagic,
                Problem = problem ?? (member.Length == 0 ? "the member is empty (no code object)" : null), Loader = Load,
            },
            PyzEntryKind.NamespacePackage => new PyInstallerItem
            {
                Display = display, Path = ModulePath(member.Name, false), Role = ItemRole.Folder, TypeName = "PYZ namespace package",
                Note = "a namespace package: a folder without __init__.py",
            },
            PyzEntryKind.Data => new PyInstallerItem
            {
                Display = display, Path = SafePath(member.Name.Replace('\\', '/')), Role = ItemRole.File, TypeName = "PYZ data", Problem = problem, Loader = Load,
            },
            _ => new PyInstallerItem
            {
                Display = display, Path = SafePath(member.Name.Replace('\\', '/')), Role = ItemRole.File, TypeName = "PYZ " + member.TypeName,
                Problem = problem, Loader = Load, Note = "a member type PyInstaller does not write; kept as data",
            },
        };
    }

    private PyInstallerItem SymlinkItem(CArchiveEntry e)
    {
        string? target = null, problem = e.Problem;
        if (problem is null)
        {
            try
            {
                target = System.Text.Encoding.UTF8.GetString(CArchive.ReadEntry(e)).TrimEnd('\0').Replace('\\', '/');
            }
            catch (PyInstallerFormatException x)
            {
                problem = x.Message;
            }
        }
        return new PyInstallerItem
        {
            Display = e.Name, Path = SafePath(e.PathName), Role = ItemRole.Symlink, TypeName = e.Type.Name, LinkTarget = target, Problem = problem,
            Note = target is null ? null : $"-> {target}",
        };
    }

    private static PyInstallerItem Listed(CArchiveEntry e, string typeName, string note) => new()
    {
        Display = e.Name, Path = SafePath(e.PathName), Role = ItemRole.Listed, TypeName = typeName, Note = note,
    };

    /// <summary>Scripts PyInstaller adds itself: its bootstrap (pyiboot01_bootstrap...) and runtime hooks (pyi_rth_*).</summary>
    public static bool IsBootstrapScript(string name) =>
        name.StartsWith("pyiboot", StringComparison.Ordinal) || name.StartsWith("pyi_rth_", StringComparison.Ordinal);

    /// <summary><c>a.b</c> as <c>a/b</c>, or <c>a/b/__init__</c> for a package.</summary>
    public static string ModulePath(string dotted, bool package) =>
        SafePath(dotted.Replace('.', '/')) + (package ? "/__init__" : "");

    /// <summary>A name made safe to write below a folder: '/'-separated, no root, no '.' or '..' segments.</summary>
    public static string SafePath(string path)
    {
        var safe = string.Join('/', path.Replace('\\', '/').Split('/').Where(s => s is not ("" or "." or "..")));
        return safe.Length == 0 ? "_" : safe;
    }

    public void Dispose()
    {
        foreach (var p in Pyz) p.Cipher?.Dispose();
        if (_ownsSource) CArchive.Source.Dispose();
    }
}
