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
        Missing = "missing", Empty = "empty", NeedsVersion = "needs-version";

    /// <summary>The explanation for <paramref name="data"/>, which did not start with a readable .pyc header.</summary>
    public static (string Kind, string Message) Explain(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return (Empty, "empty file");
        if (data.Length >= 4 && data[2] == '\r' && data[3] == '\n')
            return (UnknownMagic, MagicTable.Describe(BinaryPrimitives.ReadUInt16LittleEndian(data)));

        if (data.StartsWith(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }))
            return (NotBytecode, Executable(data, "an ELF executable or shared library"));
        if (data.StartsWith("MZ"u8))
            return (NotBytecode, Executable(data, "a Windows (PE) executable or DLL"));
        if (data.Length >= 8)
        {
            uint be = BinaryPrimitives.ReadUInt32BigEndian(data);
            if (be is 0xFEEDFACE or 0xFEEDFACF or 0xCEFAEDFE or 0xCFFAEDFE)
                return (NotBytecode, Executable(data, "a Mach-O (macOS) executable or library"));
            if (be == 0xCAFEBABE)
            {
                // Universal Mach-O binaries and Java classes share the magic; a fat header counts a few architectures.
                uint next = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                return next < 20
                    ? (NotBytecode, Executable(data, "a universal Mach-O (macOS) executable"))
                    : (NotBytecode, "a Java class file, not Python bytecode");
            }
        }
        if (data.StartsWith("PYZ\0"u8))
            return (NotBytecode, "a PyInstaller PYZ archive, not a .pyc: extract its modules first (e.g. with pyinstxtractor)");
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

    private static string Executable(ReadOnlySpan<byte> data, string what)
    {
        if (data.IndexOf(new byte[] { (byte)'M', (byte)'E', (byte)'I', 0x0c, 0x0b, 0x0a, 0x0b, 0x0e }) >= 0)
            return $"a PyInstaller bundle ({what}): extract its .pyc files first (e.g. with pyinstxtractor), then decompile those";
        if (data.IndexOf("nuitka"u8) >= 0 || data.IndexOf("Nuitka"u8) >= 0 || data.IndexOf("NUITKA"u8) >= 0)
            return $"a Nuitka build ({what}): Nuitka compiles Python to C, so there is no bytecode to decompile";
        if (data.IndexOf("PyInit_"u8) >= 0)
            return $"a compiled Python extension module ({what}, e.g. Cython or C): machine code, not bytecode";
        if (data.IndexOf("py2exe"u8) >= 0)
            return $"a py2exe build ({what}): extract its bytecode first";
        return $"{what}, not Python bytecode";
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
