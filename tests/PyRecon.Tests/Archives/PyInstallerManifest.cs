using System.Globalization;
using System.Text.RegularExpressions;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Archives;

/// <summary>
/// What tests/fixtures/pyinstaller/MANIFEST.md (written with the samples, from PyInstaller's own readers) says each
/// sample holds: cookie fields, every CArchive entry and every PYZ member. Tests compare the readers with it.
/// </summary>
internal sealed partial record PyInstallerManifest(
    string File, long CookieOffset, uint PackageLength, uint TocOffset, uint TocLength, uint PyVers, string LibraryName,
    long ArchiveStart, string PythonVersion, string? Key, IReadOnlyList<ManifestEntry> Entries, IReadOnlyList<ManifestMember> Members)
{
    public static string Folder => System.IO.Path.Combine(Fixtures.Root, "pyinstaller");
    public string Path => System.IO.Path.Combine(Folder, File);

    public static IReadOnlyList<PyInstallerManifest> All { get; } = Parse(System.IO.File.ReadAllText(System.IO.Path.Combine(Folder, "MANIFEST.md")));

    public static PyInstallerManifest Of(string file) => All.Single(m => m.File == file);

    public static IEnumerable<object[]> Samples() => All.Select(m => new object[] { m.File });

    [GeneratedRegex(@"^## `(?<file>[^`]+\.elf)`", RegexOptions.Multiline)]
    private static partial Regex SectionHeading();

    private static IReadOnlyList<PyInstallerManifest> Parse(string text)
    {
        var headings = SectionHeading().Matches(text).ToList();
        var result = new List<PyInstallerManifest>();
        for (int i = 0; i < headings.Count; i++)
        {
            int end = i + 1 < headings.Count ? headings[i + 1].Index : text.IndexOf("\n## Files", headings[i].Index, StringComparison.Ordinal);
            string section = text[headings[i].Index..end];
            result.Add(ParseSection(headings[i].Groups["file"].Value, section));
        }
        return result;
    }

    private static PyInstallerManifest ParseSection(string file, string s)
    {
        uint U(string pattern) => uint.Parse(Regex.Match(s, pattern).Groups[1].Value, CultureInfo.InvariantCulture);
        var entries = new List<ManifestEntry>();
        var members = new List<ManifestMember>();
        foreach (var line in s.Split('\n'))
        {
            var cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (!line.StartsWith("| ", StringComparison.Ordinal) || cells.Length < 7) continue;
            if (int.TryParse(cells[0], out int index))
            {
                string content = cells[^1];
                var filename = Regex.Match(content, "co_filename `([^`]+)`");
                entries.Add(new ManifestEntry(index, Unquote(cells[1]), Unquote(cells[2].Split(' ')[0])[0], cells[3] == "yes",
                    uint.Parse(cells[4], CultureInfo.InvariantCulture), uint.Parse(cells[5], CultureInfo.InvariantCulture),
                    uint.Parse(cells[6], CultureInfo.InvariantCulture), filename.Success ? filename.Groups[1].Value : null,
                    content.Contains(".pyc header", StringComparison.Ordinal)));
            }
            else if (cells[0].StartsWith('`') && int.TryParse(cells[1].Split(' ')[0], out int type))
            {
                members.Add(new ManifestMember(Unquote(cells[0]), type, long.Parse(cells[2], CultureInfo.InvariantCulture),
                    long.Parse(cells[4], CultureInfo.InvariantCulture), Unquote(cells[6])));
            }
        }
        var key = Regex.Match(s, "effective AES-128 key = `([^`]+)`");
        return new PyInstallerManifest(file,
            U(@"Cookie at file offset \*\*(\d+)\*\*"), U(@"pkg_len = (\d+)"), U(@"toc_offset = (\d+)"), U(@"toc_length = (\d+)"),
            U(@"pyvers = (\d+)"), Regex.Match(s, @"pylibname = `([^`]+)`").Groups[1].Value,
            U(@"CArchive starts at file offset \*\*(\d+)\*\*"), Regex.Match(s, @"Python: \*\*(\d+\.\d+)").Groups[1].Value,
            key.Success ? key.Groups[1].Value : null, entries, members);
    }

    private static string Unquote(string cell) => cell.Trim('`');
}

internal sealed record ManifestEntry(int Index, string Name, char TypeCode, bool Compressed, uint Stored, uint Size, uint Offset, string? CodeFileName, bool HasPycHeader);

internal sealed record ManifestMember(string Name, int Type, long Offset, long Stored, string CodeFileName);
