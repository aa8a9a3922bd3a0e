using System.Buffers.Binary;
using System.Text;

namespace PyRecon.Cli.Inputs;

/// <summary>
/// Says in one line what a file that is not a readable .pyc seems to be (an executable, a Nuitka or
/// PyInstaller build, compressed or encrypted data, source text, headerless marshal data...), so a user
/// gets an explanation instead of a parse error.
/// </summary>
internal static class Sniffer
{
    /// <summary>Kinds of unreadable input, as they appear in the report's <c>error_kind</c>.</summary>
    public const string NotBytecode = "not-bytecode", UnknownMagic = "unknown-magic", Corrupt = "corrupt",
        Missing = "missing", Empty = "empty", NeedsVersion = "needs-version", Encrypted = "encrypted", Unsupported = "unsupported-version";

    /// <summary>The explanation for <paramref name="data"/>, which did not start with a readable .pyc header.</summary>
    /// <param name="path">Where the file is, when known: a frozen program's modules may lie beside it.</param>
    public static (string Kind, string Message) Explain(ReadOnlySpan<byte> data, string? path = null)
    {
        if (data.Length == 0) return (Empty, "empty file");
        if (data.Length >= 4 && data[2] == '\r' && data[3] == '\n')
            return (UnknownMagic, MagicTable.Describe(BinaryPrimitives.ReadUInt16LittleEndian(data)));

        if (data.StartsWith(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }))
            return (NotBytecode, Executable(data, "an ELF executable or shared library", path));
        if (data.StartsWith("MZ"u8))
            return (NotBytecode, Executable(data, "a Windows (PE) executable or DLL", path));
        if (data.Length >= 8)
        {
            uint be = BinaryPrimitives.ReadUInt32BigEndian(data);
            if (be is 0xFEEDFACE or 0xFEEDFACF or 0xCEFAEDFE or 0xCFFAEDFE)
                return (NotBytecode, Executable(data, "a Mach-O (macOS) executable or library", path));
            if (be == 0xCAFEBABE)
            {
                // Universal Mach-O binaries and Java classes share the magic; a fat header counts a few architectures.
                uint next = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                return next < 20
                    ? (NotBytecode, Executable(data, "a universal Mach-O (macOS) executable", path))
                    : (NotBytecode, "a Java class file, not Python bytecode");
            }
        }
        if (data.StartsWith("PYZ\0"u8))
            return (NotBytecode, "a PyInstaller PYZ archive on its own: give pyrecon the executable it came from, which it unpacks whole (PYZ files alone are not read)");
        if (data.StartsWith("PK"u8))
            return (NotBytecode, "a damaged or unsupported zip archive");
        if (data.StartsWith(new byte[] { 0x1f, 0x8b }))
            return (NotBytecode, "gzip-compressed data, not Python bytecode: decompress it first");
        if (data.StartsWith("BZh"u8))
            return (NotBytecode, "bzip2-compressed data, not Python bytecode: decompress it first");
        if (data.StartsWith(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }))
            return (NotBytecode, "xz-compressed data, not Python bytecode: decompress it first");
        if (data.StartsWith(new byte[] { 0x28, 0xb5, 0x2f, 0xfd }))
            return (NotBytecode, "zstd-compressed data, not Python bytecode: decompress it first");
        if (data.StartsWith("7z"u8) && data.Length > 2 && data[2] == 0xbc)
            return (NotBytecode, "a 7-Zip archive: extract it first");
        if (data.Length >= 2 && data[0] == 0x78 && data[1] is 0x01 or 0x5e or 0x9c or 0xda)
            return (NotBytecode, "zlib-compressed data (as in PyInstaller archives), not a .pyc: decompress it first");
        if (data[0] is 0xe3 or 0x63)
            return (NeedsVersion, "headerless marshal data (it starts with a code object): say which Python wrote it with --python-version 3.X");
        if (LooksLikeText(data, out bool python))
            return (NotBytecode, python ? "Python source text, not bytecode: there is nothing to decompile" : "a text file, not Python bytecode");
        double entropy = Entropy(data);
        if (data.Length >= 256 && entropy >= 7.2)
            return (NotBytecode, $"looks encrypted or compressed ({entropy:0.0} bits of entropy per byte, no known header): decrypt or unpack it first (e.g. a PyArmor or PyInstaller-encrypted module)");
        var head = string.Join(' ', data[..Math.Min(4, data.Length)].ToArray().Select(b => b.ToString("x2")));
        return (NotBytecode, $"not Python bytecode: no .pyc header and no known file type (it starts with {head})");
    }

    /// <summary>
    /// What kind of program an executable is. A readable PyInstaller program never gets here (it is unpacked); what
    /// does is one whose archive cannot be found: a truncated file, or a cookie changed to keep extractors out.
    /// </summary>
    private static string Executable(ReadOnlySpan<byte> data, string what, string? path)
    {
        if (data.IndexOf(PyRecon.Archives.PyInstaller.CookieLayout.Magic) >= 0)
            return $"a PyInstaller program ({what}) whose archive cannot be found: the cookie is damaged or the file truncated";
        if (ContainsAny(data, "_MEIPASS", "pyi-runtime-tmpdir", "Cannot open PyInstaller archive", "PYINSTALLER_"))
            return data.IndexOf("PYZ\0"u8) >= 0
                ? $"a PyInstaller program ({what}) without a standard cookie: its archive was altered (a modified or protected build), so it cannot be unpacked"
                : $"a PyInstaller bootloader ({what}) without an archive: no standard cookie (a modified or protected build, or the archive is kept elsewhere)";
        if (HasPyz(data))
            return $"a PyInstaller program ({what}) without its cookie: it holds a PYZ archive but no CArchive cookie (the file is truncated, or the cookie was altered)";
        if (ContainsAny(data, "nuitka", "Nuitka", "NUITKA"))
            return $"a Nuitka build ({what}): Nuitka compiles Python to C, so there is no bytecode to decompile";
        if (ContainsAny(data, "cx_Freeze", "cx_freeze"))
        {
            string? zip = Beside(path, "lib/library.zip", "library.zip");
            return zip is not null
                ? $"a cx_Freeze program ({what}): its modules are ordinary .pyc files in {zip}: decompile that"
                : $"a cx_Freeze program ({what}): its modules are ordinary .pyc files in library.zip (lib/library.zip beside the executable): decompile that";
        }
        if (data.IndexOf("PyInit_"u8) >= 0)
            return $"a compiled Python extension module ({what}, e.g. Cython or C): machine code, not bytecode";
        if (ContainsAny(data, "py2exe", "PYTHONSCRIPT"))
        {
            string? zip = Beside(path, "library.zip");
            return zip is not null
                ? $"a py2exe program ({what}): its modules are ordinary .pyc files in {zip}: decompile that"
                : $"a py2exe program ({what}): its modules are .pyc files in a zip archive (library.zip beside it, or appended to the executable: open it with a zip tool and decompile those)";
        }
        return $"{what}, not Python bytecode";
    }

    /// <summary>A PYZ header: its magic, then a .pyc magic (two bytes, then \r\n).</summary>
    private static bool HasPyz(ReadOnlySpan<byte> data)
    {
        for (int at = data.IndexOf("PYZ\0"u8); at >= 0 && at + 8 <= data.Length; )
        {
            if (data[at + 6] == '\r' && data[at + 7] == '\n') return true;
            int next = data[(at + 1)..].IndexOf("PYZ\0"u8);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return false;
    }

    private static bool ContainsAny(ReadOnlySpan<byte> data, params string[] needles)
    {
        foreach (var needle in needles)
            if (data.IndexOf(System.Text.Encoding.ASCII.GetBytes(needle)) >= 0) return true;
        return false;
    }

    /// <summary>The first of <paramref name="names"/> that exists in the folder of <paramref name="path"/>.</summary>
    private static string? Beside(string? path, params string[] names)
    {
        if (path is null) return null;
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        foreach (var name in names)
        {
            string candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return Path.Combine(Path.GetDirectoryName(path) ?? "", name);
        }
        return null;
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> data, out bool python)
    {
        python = false;
        var sample = data[..Math.Min(data.Length, 4096)];
        int control = 0;
        foreach (byte b in sample)
            if (b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t' or 0x0c)) control++;
        if (control > 0) return false;
        string text;
        try { text = new UTF8Encoding(false, true).GetString(sample.Length == data.Length ? sample : TrimPartialUtf8(sample)); }
        catch (DecoderFallbackException) { return false; }
        python = text.StartsWith("#!", StringComparison.Ordinal) && text.Contains("python", StringComparison.Ordinal)
                 || text.Contains("import ", StringComparison.Ordinal) || text.Contains("def ", StringComparison.Ordinal)
                 || text.Contains("coding", StringComparison.Ordinal) && text.StartsWith('#');
        return true;
    }

    private static ReadOnlySpan<byte> TrimPartialUtf8(ReadOnlySpan<byte> s)
    {
        int end = s.Length;
        for (int i = 0; i < 3 && end > 0 && (s[end - 1] & 0xc0) == 0x80; i++) end--;
        if (end > 0 && s[end - 1] >= 0xc0) end--;
        return s[..end];
    }

    private static double Entropy(ReadOnlySpan<byte> data)
    {
        var sample = data[..Math.Min(data.Length, 1 << 16)];
        Span<int> counts = stackalloc int[256];
        foreach (byte b in sample) counts[b]++;
        double h = 0;
        foreach (int c in counts)
        {
            if (c == 0) continue;
            double p = (double)c / sample.Length;
            h -= p * Math.Log2(p);
        }
        return h;
    }
}
