using System.Globalization;
using System.Text;
using System.Text.Json;
using PyRecon.Archives.PyInstaller;

namespace PyRecon.Cli.Inputs;

/// <summary>What <c>pyrecon info</c> prints for a PyInstaller executable: its layout, Python version, every CArchive entry and every PYZ member.</summary>
internal static class PyInstallerListing
{
    public static string Text(PyInstallerArchive archive, string path)
    {
        var c = archive.CArchive;
        var cookie = c.Cookie;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{path}: PyInstaller archive, {archive.Release}\n");
        foreach (var clue in archive.Clues) sb.Append(CultureInfo.InvariantCulture, $"  layout: {clue.Text}\n");
        sb.Append(CultureInfo.InvariantCulture, $"  cookie: at byte {cookie.Offset} ({cookie.Layout.Size} bytes); archive at byte {cookie.ArchiveStart}, {cookie.PackageLength} bytes; "
                                                + $"table of contents at {cookie.TocOffset}, {cookie.TocLength} bytes\n");
        sb.Append(CultureInfo.InvariantCulture, $"  python: {archive.Version?.ToString() ?? "unknown"}{(archive.VersionSource is { } s ? $" ({s})" : "")}"
                                                + $"{(cookie.LibraryName is { } lib ? $"; library {lib}" : "")}\n");
        foreach (var warning in archive.Warnings) sb.Append(CultureInfo.InvariantCulture, $"  warning: {warning}\n");

        sb.Append(CultureInfo.InvariantCulture, $"  entries: {c.Entries.Length}\n");
        var rows = new List<string[]> { new[] { "#", "type", "compressed", "offset", "stored", "size", "name" } };
        foreach (var e in c.Entries)
            rows.Add([e.Index.ToString(CultureInfo.InvariantCulture), $"{EntryType.Printable(e.TypeCode)} {e.Type.Name}", e.IsCompressed ? "yes" : "no",
                      Num(e.Offset), Num(e.StoredLength), Num(e.Length), e.Name + (e.Problem is null ? "" : $"  [unreadable: {e.Problem}]")]);
        Table(sb, rows, rightAligned: [0, 3, 4, 5]);

        foreach (var pyz in archive.Pyz)
        {
            if (pyz.Archive is not { } a)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {pyz.Entry.Name}: unreadable: {pyz.Problem}\n");
                continue;
            }
            string encryption = !a.IsEncrypted ? "not encrypted"
                : pyz.Cipher is { } cipher ? $"encrypted, AES {cipher.Mode} with key '{cipher.Key}' ({pyz.KeySource})"
                : $"encrypted: {pyz.CipherProblem}";
            sb.Append(CultureInfo.InvariantCulture, $"  {pyz.Entry.Name}: {a.Entries.Length} members, magic {a.MagicNumber}"
                                                    + $"{(a.Version is { } v ? $" (Python {v})" : "")}, {encryption}\n");
            var members = new List<string[]> { new[] { "type", "offset", "stored", "name" } };
            foreach (var m in a.Entries)
                members.Add([m.TypeName, Num(m.Offset), Num(m.Length), m.Name + (m.Problem is null ? "" : $"  [unreadable: {m.Problem}]")]);
            Table(sb, members, rightAligned: [1, 2]);
        }
        return sb.ToString();
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static void Table(StringBuilder sb, List<string[]> rows, int[] rightAligned)
    {
        int columns = rows[0].Length;
        var widths = Enumerable.Range(0, columns - 1).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            sb.Append("    ");
            for (int i = 0; i < columns - 1; i++)
                sb.Append(rightAligned.Contains(i) ? row[i].PadLeft(widths[i]) : row[i].PadRight(widths[i])).Append("  ");
            sb.Append(row[^1]).Append('\n');
        }
    }

    /// <summary>One JSON document (one line) with the same facts.</summary>
    public static string Json(PyInstallerArchive archive, string path)
    {
        var c = archive.CArchive;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("file", path);
            w.WriteString("format", "pyinstaller");
            w.WriteString("release", archive.Release);
            w.WriteStartArray("layout");
            foreach (var clue in archive.Clues) w.WriteStringValue(clue.Text);
            w.WriteEndArray();
            w.WriteStartObject("cookie");
            w.WriteNumber("offset", c.Cookie.Offset);
            w.WriteNumber("size", c.Cookie.Layout.Size);
            w.WriteNumber("archive_start", c.Cookie.ArchiveStart);
            w.WriteNumber("package_length", c.Cookie.PackageLength);
            w.WriteNumber("toc_offset", c.Cookie.TocOffset);
            w.WriteNumber("toc_length", c.Cookie.TocLength);
            w.WriteNumber("python_raw", c.Cookie.RawPythonVersion);
            if (c.Cookie.LibraryName is { } lib) w.WriteString("library", lib);
            w.WriteEndObject();
            if (archive.Version is { } v) w.WriteString("python", v.ToString());
            else w.WriteNull("python");
            if (archive.VersionSource is { } source) w.WriteString("python_from", source);
            if (c.TocProblem is { } toc) w.WriteString("toc_problem", toc);
            w.WriteStartArray("warnings");
            foreach (var warning in archive.Warnings) w.WriteStringValue(warning);
            w.WriteEndArray();
            w.WriteStartArray("entries");
            foreach (var e in c.Entries)
            {
                w.WriteStartObject();
                w.WriteNumber("index", e.Index);
                w.WriteString("name", e.Name);
                w.WriteString("type", EntryType.Printable(e.TypeCode));
                w.WriteString("type_name", e.Type.Name);
                w.WriteBoolean("compressed", e.IsCompressed);
                w.WriteNumber("offset", e.Offset);
                w.WriteNumber("stored", e.StoredLength);
                w.WriteNumber("size", e.Length);
                if (e.Problem is not null) w.WriteString("problem", e.Problem);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("pyz");
            foreach (var pyz in archive.Pyz)
            {
                w.WriteStartObject();
                w.WriteString("entry", pyz.Entry.Name);
                if (pyz.Problem is not null) w.WriteString("problem", pyz.Problem);
                if (pyz.Archive is { } a)
                {
                    w.WriteNumber("magic", a.MagicNumber);
                    if (a.Version is { } pv) w.WriteString("python", pv.ToString());
                    w.WriteBoolean("encrypted", a.IsEncrypted);
                    if (pyz.Cipher is { } cipher)
                    {
                        w.WriteString("cipher", cipher.Mode.ToString());
                        w.WriteString("key", cipher.Key);
                        w.WriteString("key_from", pyz.KeySource);
                    }
                    if (pyz.CipherProblem is not null) w.WriteString("cipher_problem", pyz.CipherProblem);
                    w.WriteStartArray("members");
                    foreach (var m in a.Entries)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", m.Name);
                        w.WriteNumber("type", m.TypeCode);
                        w.WriteString("type_name", m.TypeName);
                        w.WriteNumber("offset", m.Offset);
                        w.WriteNumber("stored", m.Length);
                        if (m.Problem is not null) w.WriteString("problem", m.Problem);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
