using System.IO.Compression;
using System.Text.RegularExpressions;
using PyRecon.Archives.PyInstaller;
using PyRecon.Model;

namespace PyRecon.Cli.Inputs;

/// <summary>
/// One unit of work: a .pyc (or marshal) file on disk, an entry of a zip/wheel/egg archive, or an argument that
/// could not be opened at all (<see cref="Error"/> set: the input is still listed in output and report).
/// </summary>
internal sealed class InputItem
{
    /// <summary>How messages and the report name it: the path as found, or <c>ARCHIVE!ENTRY</c>.</summary>
    public required string Display { get; init; }
    /// <summary>Path below its argument ('/'-separated, no '..'): where its output goes under <c>-o FOLDER</c>.</summary>
    public required string Relative { get; init; }
    /// <summary>Reads the bytes (null when <see cref="Error"/> is set).</summary>
    public Func<byte[]>? Load { get; init; }
    public string? Error { get; init; }
    public string? ErrorKind { get; init; }
    /// <summary>Came from a folder or an archive rather than being named on the command line.</summary>
    public bool Contained { get; init; }
    /// <summary>The output path below -o FOLDER, after collisions are settled.</summary>
    public string? OutputRelative { get; set; }
    /// <summary>When another input claimed the same output name first: what happened, one line.</summary>
    public string? Collision { get; set; }
    /// <summary>The item of a PyInstaller program this input is (null for .pyc files and zip entries).</summary>
    public PyInstallerItem? Packed { get; init; }

    /// <summary>What to do with it: decompile (every input that is not from a PyInstaller program), or write a file...</summary>
    public ItemRole Role => Packed?.Role ?? ItemRole.Code;
}

/// <summary>
/// Expands command-line arguments into inputs: files as they are, folders recursively (their .pyc files, and
/// the .pyc entries of zip/wheel/egg archives inside them), archives read in place. Keeps archives open
/// until disposed. The order is deterministic: arguments in order, each one's files in ordinal path order.
/// </summary>
internal sealed class InputSet : IDisposable
{
    private static readonly string[] s_archiveExtensions = [".zip", ".whl", ".egg"];
    private readonly List<IDisposable> _archives = [];
    private PyInstallerOptions _pyinstaller = new();

    public List<InputItem> Items { get; } = [];
    /// <summary>True when some argument was a folder or an archive (so output goes to a mirrored tree).</summary>
    public bool HasContainers { get; private set; }
    /// <summary>Archive-wide findings, one line each, to show once before the inputs' own lines.</summary>
    public List<string> Notes { get; } = [];

    /// <param name="version">--python-version: also the version of a PyInstaller program's bytecode.</param>
    /// <param name="key">--key: the key of an encrypted PyInstaller program, instead of the one found in it.</param>
    public static InputSet Expand(IEnumerable<string> arguments, PythonVersion? version = null, string? key = null)
    {
        var set = new InputSet { _pyinstaller = new PyInstallerOptions { Version = version, Key = key } };
        foreach (var arg in arguments) set.AddArgument(arg);
        return set;
    }

    private void AddArgument(string arg)
    {
        if (Directory.Exists(arg))
        {
            HasContainers = true;
            AddFolder(arg);
        }
        else if (File.Exists(arg))
        {
            if (IsZip(arg))
            {
                HasContainers = true;
                AddArchive(arg, arg, "", contained: false);
            }
            else if (!AddPyInstaller(arg))
                Items.Add(new InputItem { Display = arg, Relative = Path.GetFileName(arg), Load = () => File.ReadAllBytes(arg) });
        }
        else Items.Add(new InputItem { Display = arg, Relative = Path.GetFileName(arg), Error = "no such file or folder", ErrorKind = Sniffer.Missing });
    }

    private void AddFolder(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
        var found = new List<(string Path, string Relative)>();
        foreach (var path in Directory.EnumerateFiles(folder, "*", options))
        {
            string rel = Path.GetRelativePath(folder, path).Replace('\\', '/');
            if (IsBytecodeName(rel) || IsArchiveName(rel)) found.Add((path, rel));
        }
        found.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        int before = Items.Count;
        foreach (var (path, rel) in found)
        {
            if (IsBytecodeName(rel))
                Items.Add(new InputItem { Display = path, Relative = rel, Load = () => File.ReadAllBytes(path), Contained = true });
            else if (IsZip(path))
                // An archive inside a folder: its modules go under the archive's name without the extension.
                AddArchive(path, path, rel[..^Path.GetExtension(rel).Length] + "/", contained: true);
        }
        if (Items.Count == before)
            Items.Add(new InputItem { Display = folder, Relative = "", Error = "no .pyc files in this folder", ErrorKind = Sniffer.Empty });
    }

    private void AddArchive(string path, string display, string prefix, bool contained)
    {
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            Items.Add(new InputItem { Display = display, Relative = prefix, Error = $"not a readable zip archive: {e.Message}", ErrorKind = Sniffer.Corrupt, Contained = contained });
            return;
        }
        _archives.Add(archive);
        var entries = archive.Entries.Where(e => !e.FullName.EndsWith('/') && IsBytecodeName(e.FullName)).ToList();
        entries.Sort((a, b) => string.CompareOrdinal(a.FullName, b.FullName));
        if (entries.Count == 0)
        {
            Items.Add(new InputItem { Display = display, Relative = prefix, Error = "no .pyc files in this archive", ErrorKind = Sniffer.Empty, Contained = contained });
            return;
        }
        foreach (var entry in entries)
        {
            var e = entry;
            Items.Add(new InputItem
            {
                Display = $"{display}!{e.FullName}",
                Relative = prefix + SafeRelative(e.FullName),
                Load = () => ReadEntry(archive, e),
                Contained = true,
            });
        }
    }

    /// <summary>
    /// A PyInstaller program: each CArchive entry and PYZ member becomes an input placed where the unpacked tree
    /// puts it. False when the file holds no PyInstaller archive (it is then read as any other file).
    /// </summary>
    private bool AddPyInstaller(string path)
    {
        if (LooksLikePycFile(path)) return false;
        PyInstallerArchive? archive;
        string? problem;
        try
        {
            archive = PyInstallerArchive.TryOpen(path, _pyinstaller, out problem);
        }
        catch (PyInstallerFormatException e)
        {
            (archive, problem) = (null, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // reported when the file is read
        }
        if (archive is null)
        {
            if (problem is null) return false;
            Items.Add(new InputItem { Display = path, Relative = Path.GetFileName(path), Error = $"a PyInstaller program whose archive cannot be read (truncated or damaged): {problem}", ErrorKind = Sniffer.Corrupt });
            return true;
        }
        _archives.Add(archive);
        HasContainers = true;
        foreach (var warning in archive.Warnings) Notes.Add($"{path}: {warning}");
        if (archive.CArchive.TocProblem is { } damaged)
            Items.Add(new InputItem { Display = $"{path}!(table of contents)", Relative = "", Error = damaged, ErrorKind = Sniffer.Corrupt, Contained = true });
        foreach (var item in archive.Items)
        {
            var packed = item;
            Items.Add(new InputItem
            {
                Display = $"{path}!{packed.Display}",
                Relative = packed.Path,
                Packed = packed,
                Load = packed.Load,
                Error = packed.Problem,
                ErrorKind = packed.Problem is null ? null : packed.Problem.StartsWith("encrypted", StringComparison.Ordinal) ? Sniffer.Encrypted : Sniffer.Corrupt,
                Contained = true,
            });
        }
        return true;
    }

    private static bool LooksLikePycFile(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            Span<byte> head = stackalloc byte[4];
            return f.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && PyRecon.Pyc.PycReader.LooksLikePyc(head);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>ZipArchive is not thread-safe: entries are read one at a time, decompiled in parallel.</summary>
    private static byte[] ReadEntry(ZipArchive archive, ZipArchiveEntry entry)
    {
        lock (archive)
        {
            try
            {
                using var stream = entry.Open();
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                return buffer.ToArray();
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                throw new IOException($"cannot read this archive entry: {e.Message}", e);
            }
        }
    }

    /// <summary>An archive path made safe to write below a folder: no root, no '.' or '..' segments.</summary>
    internal static string SafeRelative(string path) =>
        string.Join('/', path.Replace('\\', '/').Split('/').Where(s => s is not ("" or "." or "..")));

    internal static bool IsBytecodeName(string path) =>
        path.EndsWith(".pyc", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pyo", StringComparison.OrdinalIgnoreCase);

    private static bool IsArchiveName(string path) =>
        s_archiveExtensions.Any(x => path.EndsWith(x, StringComparison.OrdinalIgnoreCase));

    private static bool IsZip(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            Span<byte> head = stackalloc byte[4];
            int n = f.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            return n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] is 3 or 5 && head[3] is 4 or 6;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // reported when the file is read
        }
    }

    public void Dispose()
    {
        foreach (var a in _archives) a.Dispose();
        _archives.Clear();
    }
}

/// <summary>
/// Output names: <c>pkg/__pycache__/mod.cpython-312.pyc</c> and <c>mod.cpython-312.opt-1.pyc</c> become
/// <c>pkg/mod.py</c>, a plain <c>mod.pyc</c> <c>mod.py</c>. When several inputs map to one name, the one with the
/// lowest optimization level (then the first in input order) keeps it; each other is written under its own file
/// name (<c>pkg/mod.cpython-311.py</c>, then <c>~2</c>, <c>~3</c>...) and its <see cref="InputItem.Collision"/> says so.
/// </summary>
internal static partial class OutputNames
{
    /// <summary>An interpreter's cache tag and optimization level after the module name: <c>.cpython-312.opt-1</c>.</summary>
    [GeneratedRegex(@"^(?<name>[^.]+)\.(?:cpython|pypy|graalpy)[\w-]*?(?:\.opt-(?<level>\d+))?$")]
    private static partial Regex CacheTag();

    [GeneratedRegex(@"\.opt-(?<level>\d+)$")]
    private static partial Regex OptSuffix();

    private static bool InPycache(string dir) =>
        dir == "__pycache__" || dir.EndsWith("/__pycache__", StringComparison.Ordinal);

    /// <summary>The natural output name of a .pyc path below its argument ('/'-separated).</summary>
    public static string Natural(string relative)
    {
        var (dir, stem) = Split(relative);
        if (InPycache(dir))
        {
            // PEP 3147: __pycache__/NAME.TAG[.opt-N].pyc belongs to NAME.py one folder up.
            int dot = stem.IndexOf('.');
            if (dot > 0) stem = stem[..dot];
            dir = dir[..^"__pycache__".Length].TrimEnd('/');
        }
        else if (CacheTag().Match(stem) is { Success: true } m) stem = m.Groups["name"].Value;
        return (dir.Length > 0 ? dir + "/" : "") + stem + ".py";
    }

    private static int OptLevel(string relative)
    {
        var m = OptSuffix().Match(Split(relative).Stem);
        return m.Success ? int.Parse(m.Groups["level"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    private static (string Dir, string Stem) Split(string relative)
    {
        int slash = relative.LastIndexOf('/');
        string dir = slash >= 0 ? relative[..slash] : "";
        string file = slash >= 0 ? relative[(slash + 1)..] : relative;
        string stem = InputSet.IsBytecodeName(file) ? file[..^4] : Path.GetFileNameWithoutExtension(file);
        return (dir, stem);
    }

    /// <summary>The output name of an input: code as <c>.py</c> (or <c>.pyc</c> with <paramref name="pyc"/>), anything else under its own name.</summary>
    public static string Natural(InputItem item, bool pyc = false)
    {
        if (item.Role != PyRecon.Archives.PyInstaller.ItemRole.Code) return item.Relative;
        string name = Natural(item.Relative);
        return pyc ? name + "c" : name;
    }

    /// <summary>Sets <see cref="InputItem.OutputRelative"/> and <see cref="InputItem.Collision"/> of every readable input.</summary>
    /// <param name="pyc">Code is written as .pyc files (--extract-only), not as source.</param>
    public static void Assign(IReadOnlyList<InputItem> items, bool pyc = false)
    {
        // Names are compared ignoring case: the tree must also be writable on case-insensitive file systems.
        var taken = new Dictionary<string, InputItem>(StringComparer.OrdinalIgnoreCase);
        var order = items.Select((item, index) => (item, index)).Where(x => x.item.Error is null && x.item.Role != PyRecon.Archives.PyInstaller.ItemRole.Listed)
            .OrderBy(x => OptLevel(x.item.Relative)).ThenBy(x => x.index).Select(x => x.item).ToList();
        var losers = new List<(InputItem Item, InputItem Winner)>();
        foreach (var item in order)
        {
            string name = Natural(item, pyc);
            if (taken.TryGetValue(name, out var winner)) losers.Add((item, winner));
            else
            {
                taken[name] = item;
                item.OutputRelative = name;
            }
        }
        foreach (var (item, winner) in losers)
        {
            if (item.Packed is not null)
            {
                // An unpacked program's names are final: the second claim gets a numbered name.
                string natural = Natural(item, pyc);
                string ext = Path.GetExtension(natural);
                string stemOf = natural[..^ext.Length];
                string numbered = natural;
                for (int k = 2; taken.ContainsKey(numbered); k++) numbered = $"{stemOf}~{k}{ext}";
                taken[numbered] = item;
                item.OutputRelative = numbered;
                item.Collision = $"{natural} is also the name of {winner.Display}: written as {numbered}";
                continue;
            }
            var (dir, stem) = Split(item.Relative);
            if (InPycache(dir)) dir = dir[..^"__pycache__".Length].TrimEnd('/');
            string prefix = (dir.Length > 0 ? dir + "/" : "") + stem;
            string extension = pyc ? ".pyc" : ".py";
            string name = prefix + extension;
            for (int k = 2; taken.ContainsKey(name); k++) name = $"{prefix}~{k}{extension}";
            taken[name] = item;
            item.OutputRelative = name;
            item.Collision = $"{Natural(item, pyc)} is also the name of {winner.Display}: written as {name}";
        }
    }
}
