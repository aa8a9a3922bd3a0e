namespace PyRecon.Archives.PyInstaller;

/// <summary>
/// One generation of the CArchive cookie, the fixed-size trailer that locates the archive. Every generation starts
/// with the magic <c>MEI\014\013\012\013\016</c> and four big-endian 32-bit fields (package length, TOC offset,
/// TOC length, Python version); from PyInstaller 2.1 on the 64-byte NUL-padded name of the Python library follows.
/// </summary>
public sealed record CookieLayout(string Name, int Size, bool HasLibraryName)
{
    public static ReadOnlySpan<byte> Magic => "MEI\x0c\x0b\x0a\x0b\x0e"u8;

    /// <summary>The offset of the four 32-bit fields (after the magic).</summary>
    public const int FieldsOffset = 8;
    public const int LibraryNameSize = 64;

    public static readonly CookieLayout Current = new("88-byte cookie with the Python library name (PyInstaller 2.1 and later)", 88, HasLibraryName: true);
    public static readonly CookieLayout Original = new("24-byte cookie (PyInstaller 2.0)", 24, HasLibraryName: false);

    /// <summary>Tried in this order at a magic found in a file: the newer layout first.</summary>
    public static IReadOnlyList<CookieLayout> All { get; } = [Current, Original];
}

/// <summary>
/// How the cookie stores the Python version: <c>major*10+minor</c> in PyInstaller 2.x-3.x (3.8 is 38),
/// <c>major*100+minor</c> later (3.12 is 312), which the number itself tells apart.
/// </summary>
public static class CookiePythonVersion
{
    public static (int Major, int Minor)? Decode(uint raw) => raw switch
    {
        >= 200 and < 1000 => ((int)raw / 100, (int)raw % 100),
        >= 20 and < 100 => ((int)raw / 10, (int)raw % 10),
        _ => null,
    };

    public static string Encoding(uint raw) => raw >= 100 ? "major*100+minor" : "major*10+minor";
}
