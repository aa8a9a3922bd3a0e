using System.Text.Json;
using PyRecon.Model;
using PyRecon.Tests.Archives;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Cli;

/// <summary>
/// <c>pyrecon decompile|info|verify</c> on PyInstaller executables: the real samples as their MANIFEST.md describes
/// them, damaged copies of them (changed in memory, written to a temporary folder), and frozen programs of other kinds.
/// </summary>
public class PyInstallerCliTests
{
    public static IEnumerable<object[]> Samples() => PyInstallerManifest.Samples();

    /// <summary>The tree <c>decompile -o</c> writes for a sample, derived from its manifest.</summary>
    private static string[] ExpectedTree(PyInstallerManifest m)
    {
        var files = new List<string> { "helper.py", "pkg/__init__.py", "pkg/sub.py" };
        foreach (var e in m.Entries)
        {
            switch (e.TypeCode)
            {
                case 'm': files.Add($"pyinstaller-bootstrap/{e.Name}.py"); break;
                case 's' when e.Name.StartsWith("pyiboot", StringComparison.Ordinal): files.Add($"pyinstaller-bootstrap/{e.Name}.py"); break;
                case 's': files.Add($"{e.Name}.py"); break;
                case 'b' or 'x': files.Add(e.Name); break;
            }
        }
        return [.. files.Order(StringComparer.Ordinal)];
    }

    private static string[] Tree(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Decompile_writes_the_expected_tree_and_reports_every_entry(string file)
    {
        var m = PyInstallerManifest.Of(file);
        using var dir = new TempDir();
        var (exit, stdout, stderr) = Cli.Run("decompile", m.Path, "-o", dir["out"], "--report", dir["report.json"], "--progress", "none");
        Assert.True(exit is 0 or 3, stderr); // 3: the decompiler marked a construct it does not handle yet
        Assert.Equal("", stdout);
        Assert.Equal(ExpectedTree(m), Tree(dir["out"]));
        Assert.Equal(File.ReadAllBytes(Path.Combine(PyInstallerManifest.Folder, "sources/project/data/greeting.txt")), File.ReadAllBytes(dir["out/data/greeting.txt"]));
        Assert.Contains("def describe(value):", File.ReadAllText(dir["out/helper.py"]));

        using var report = JsonDocument.Parse(File.ReadAllText(dir["report.json"]));
        var entries = report.RootElement.GetProperty("files").EnumerateArray().ToList();
        // Every CArchive entry and every PYZ member has its line, none failed.
        Assert.Equal(m.Entries.Count + m.Members.Count, entries.Count);
        Assert.All(entries, e => Assert.NotEqual("failed", e.GetProperty("status").GetString()));
        Assert.All(m.Entries, e => Assert.Contains(entries, r => r.GetProperty("input").GetString() == $"{m.Path}!{e.Name}"));
        var sub = entries.Single(r => r.GetProperty("input").GetString()!.EndsWith("!PYZ-00.pyz!pkg.sub", StringComparison.Ordinal));
        Assert.Equal("PYZ module", sub.GetProperty("entry_type").GetString());
        // Where the decompiler handles every construct of pkg.sub its source is complete; elsewhere it is marked.
        string subSource = File.ReadAllText(dir["out/pkg/sub.py"]);
        Assert.Contains(sub.GetProperty("status").GetString() == "ok" ? "class Counter:" : "# PYRECON:", subSource);
        Assert.Equal(m.PythonVersion, sub.GetProperty("python").GetString());
        Assert.StartsWith("PyInstaller archive (PYZ magic", sub.GetProperty("version_from").GetString());
        if (m.Key is not null) Assert.Contains(entries, r => r.TryGetProperty("note", out var note) && note.GetString()!.Contains(m.Key, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Info_lists_every_entry_and_member(string file)
    {
        var m = PyInstallerManifest.Of(file);
        var (exit, stdout, stderr) = Cli.Run("info", m.Path);
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.StartsWith($"{m.Path}: PyInstaller archive, PyInstaller ", stdout);
        Assert.Contains($"python: {m.PythonVersion} (PYZ magic", stdout);
        Assert.Contains($"entries: {m.Entries.Count}\n", stdout);
        foreach (var e in m.Entries)
            Assert.Matches($@"\n +{e.Index}  {e.TypeCode} .* {(e.Compressed ? "yes" : "no ")} +{e.Offset} +{e.Stored} +{e.Size}  {System.Text.RegularExpressions.Regex.Escape(e.Name)}\n", stdout);
        foreach (var x in m.Members)
            Assert.Matches($@"\n +{(x.Type == 1 ? "package" : "module")} +{x.Offset} +{x.Stored}  {System.Text.RegularExpressions.Regex.Escape(x.Name)}\n", stdout);
        if (m.Key is not null) Assert.Contains($"encrypted, AES Ctr with key '{m.Key}' (pyimod00_crypto_key)", stdout);

        var (jsonExit, json, _) = Cli.Run("info", "--json", m.Path);
        Assert.Equal(0, jsonExit);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(m.Entries.Select(e => e.Name), doc.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.Equal(m.Members.Select(x => x.Name), doc.RootElement.GetProperty("pyz")[0].GetProperty("members").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.Equal(m.PyVers, doc.RootElement.GetProperty("cookie").GetProperty("python_raw").GetUInt32());
    }

    [Fact]
    public void Extract_only_writes_pyc_files_with_the_building_interpreters_header()
    {
        var m = PyInstallerManifest.Of("pyi-5.13.2-py3.11-encrypted.elf");
        using var dir = new TempDir();
        var (exit, _, stderr) = Cli.Run("decompile", "--extract-only", m.Path, "-o", dir["out"], "--progress", "none");
        Assert.Equal(0, exit);
        var tree = Tree(dir["out"]);
        Assert.Equal(ExpectedTree(m).Select(p => p.EndsWith(".py", StringComparison.Ordinal) ? p + "c" : p), tree);
        foreach (var pyc in tree.Where(p => p.EndsWith(".pyc", StringComparison.Ordinal)))
        {
            var file = PyRecon.Pyc.PycReader.ReadFile(dir["out/" + pyc]);
            Assert.Equal(PythonVersion.V3_11, file.Version);
            Assert.Equal(3495, file.Magic);
        }
        // The decrypted modules read back through the ordinary .pyc path.
        var (again, source, _) = Cli.Run("decompile", dir["out/helper.pyc"]);
        Assert.Equal(0, again);
        Assert.Contains("def read_resource(name):", source);
        Assert.Equal(PyRecon.Cli.ExitCodes.Usage, Cli.Run("decompile", "--extract-only", m.Path).Exit);
    }

    [Theory]
    [InlineData("pyi-6.11.0-py3.8.elf", "3.8")]
    [InlineData("pyi-4.10-py3.9-encrypted.elf", "3.9")]
    [InlineData("pyi-5.13.2-py3.11.elf", "3.11")]
    [InlineData("pyi-6.11.0-py3.12.elf", "3.12")]
    [InlineData("pyi-6.11.0-py3.13.elf", "3.13")]
    public void Every_module_the_decompiler_handles_recompiles_to_the_same_bytecode(string file, string version)
    {
        Python.Require(PythonVersion.Parse(version));
        var m = PyInstallerManifest.Of(file);
        var (_, stdout, _) = Cli.Run("verify", "--json", m.Path, "--progress", "none");
        using var doc = JsonDocument.Parse(stdout);
        var verdicts = doc.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(m.Entries.Count(e => e.CodeFileName is not null) + m.Members.Count, verdicts.Count);
        foreach (var v in verdicts)
        {
            // A module with a construct the decompiler marks as failed cannot match; every other one must.
            bool marked = v.TryGetProperty("decompile_failures", out var failures) && failures.GetArrayLength() > 0;
            if (!marked) Assert.True(v.GetProperty("verdict").GetString() == "equal", v.ToString());
        }
        Assert.True(verdicts.Count(v => v.GetProperty("verdict").GetString() == "equal") >= verdicts.Count - 2);
    }

    [Fact]
    public void Folders_links_and_kept_data_are_written_and_reported()
    {
        using var sample = PyRecon.Archives.PyInstaller.PyInstallerArchive.TryOpen(PyInstallerManifest.Of("pyi-6.11.0-py3.12.elf").Path, null, out _)!;
        var helper = sample.Items.Single(i => i.Display == "PYZ-00.pyz!helper").Load();
        var pyz = PyInstallerBuilder.Pyz([0xcb, 0x0d, 0x0d, 0x0a], [("ns", 3, []), ("ns.helper", 0, PyInstallerBuilder.Zlib(helper))]);
        var file = new PyInstallerBuilder()
            .Add("lib/libfoo.so.1.2", 'b', [1, 2, 3]).Add("lib/libfoo.so.1", 'n', "libfoo.so.1.2"u8.ToArray(), compress: false)
            .Add("lib/escape", 'n', "../../etc/passwd"u8.ToArray(), compress: false).Add("PYZ-00.pyz", 'z', pyz, compress: false).Build();
        using var dir = new TempDir();
        string path = dir.Write("app", file);
        var (exit, _, stderr) = Cli.Run("decompile", path, "-o", dir["out"], "--report", dir["report.json"], "-q");
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.True(Directory.Exists(dir["out/ns"]));
        Assert.Contains("def describe(value):", File.ReadAllText(dir["out/ns/helper.py"]));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(dir["out/lib/libfoo.so.1"])); // through the link
        Assert.Equal("libfoo.so.1.2", new FileInfo(dir["out/lib/libfoo.so.1"]).LinkTarget);
        Assert.False(File.Exists(dir["out/lib/escape"]));
        using var report = JsonDocument.Parse(File.ReadAllText(dir["report.json"]));
        var escape = report.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("input").GetString()!.EndsWith("!lib/escape", StringComparison.Ordinal));
        Assert.Equal("symbolic link", escape.GetProperty("entry_type").GetString());
        Assert.Contains("not created: it points out of the unpacked tree", escape.GetProperty("written_as").GetString());
    }

    // ---- damaged samples: one-line errors, and every readable entry still decompiled

    private static (int Exit, string Out, string Err, TempDir Dir) RunDamaged(string sample, Func<byte[], byte[]> damage, params string[] extra)
    {
        var dir = new TempDir();
        string path = dir.Write("damaged.exe", damage(File.ReadAllBytes(PyInstallerManifest.Of(sample).Path)));
        var (exit, stdout, stderr) = Cli.Run(["decompile", path, "-o", dir["out"], "--progress", "none", .. extra]);
        return (exit, stdout, stderr, dir);
    }

    private static void OneLineEach(string stderr) =>
        Assert.All(Cli.Lines(stderr), line => Assert.StartsWith("pyrecon: ", line));

    [Theory]
    [InlineData(40, "runs past the end of the file")]
    [InlineData(120, "holds a PYZ archive but no CArchive cookie")]
    [InlineData(1500, "holds a PYZ archive but no CArchive cookie")]
    [InlineData(4000, "an ELF executable or shared library, not Python bytecode")]
    public void A_truncated_file_is_one_line(int cut, string expected)
    {
        var (exit, _, stderr, dir) = RunDamaged("pyi-6.11.0-py3.12.elf", b => b[..^cut]);
        using (dir)
        {
            Assert.Equal(1, exit);
            var line = Assert.Single(Cli.Lines(stderr));
            Assert.Contains(expected, line);
        }
    }

    [Fact]
    public void A_file_cut_at_the_front_names_the_package_length()
    {
        var (exit, _, stderr, dir) = RunDamaged("pyi-6.11.0-py3.12.elf", b => b[5000..]);
        using (dir)
        {
            Assert.Equal(1, exit);
            Assert.Contains("a PyInstaller program whose archive cannot be read (truncated or damaged): the cookie at byte", Assert.Single(Cli.Lines(stderr)));
        }
    }

    [Fact]
    public void A_damaged_pyz_member_costs_only_that_member()
    {
        var m = PyInstallerManifest.Of("pyi-6.11.0-py3.12.elf");
        long helper = m.ArchiveStart + m.Entries.Single(e => e.Name == "PYZ-00.pyz").Offset + m.Members.Single(x => x.Name == "helper").Offset;
        var (exit, _, stderr, dir) = RunDamaged(m.File, b => { for (int i = 40; i < 60; i++) b[helper + i] ^= 0x55; return b; });
        using (dir)
        {
            Assert.Equal(1, exit);
            OneLineEach(stderr);
            Assert.Contains(Cli.Lines(stderr), l => l.Contains("!PYZ-00.pyz!helper: ", StringComparison.Ordinal));
            Assert.False(File.Exists(dir["out/helper.py"]));
            Assert.True(File.Exists(dir["out/pkg/sub.py"]));
            Assert.True(File.Exists(dir["out/app.py"]));
        }
    }

    [Fact]
    public void A_damaged_table_of_contents_keeps_the_entries_before_it()
    {
        var m = PyInstallerManifest.Of("pyi-6.11.0-py3.12.elf");
        // The fourth entry's length field (entries 0-2 take 32 + 48 + 48 bytes).
        long fourth = m.ArchiveStart + m.TocOffset + 32 + 48 + 48;
        var (exit, _, stderr, dir) = RunDamaged(m.File, b => { b[fourth] = 0x7f; return b; });
        using (dir)
        {
            Assert.Equal(1, exit);
            Assert.Contains(Cli.Lines(stderr), l => l.Contains("!(table of contents): entry 3 of the table of contents has an impossible length", StringComparison.Ordinal));
            Assert.Equal(["pyinstaller-bootstrap/pyimod01_archive.py", "pyinstaller-bootstrap/pyimod02_importers.py", "pyinstaller-bootstrap/struct.py"], Tree(dir["out"]));
        }
    }

    [Fact]
    public void A_damaged_pyz_header_leaves_the_other_entries()
    {
        var m = PyInstallerManifest.Of("pyi-5.13.2-py3.11.elf");
        long pyz = m.ArchiveStart + m.Entries.Single(e => e.Name == "PYZ-00.pyz").Offset;
        var (exit, _, stderr, dir) = RunDamaged(m.File, b => { b[pyz + 8] = 0x70; return b; });
        using (dir)
        {
            Assert.Equal(1, exit);
            OneLineEach(stderr);
            Assert.Contains(Cli.Lines(stderr), l => l.Contains("PYZ-00.pyz: the PYZ header puts its table of contents at byte", StringComparison.Ordinal));
            Assert.True(File.Exists(dir["out/app.py"]));
            Assert.False(Directory.Exists(dir["out/pkg"]));
        }
    }

    [Fact]
    public void A_wrong_key_names_every_member_it_cannot_read()
    {
        var (exit, _, stderr, dir) = RunDamaged("pyi-4.10-py3.9-encrypted.elf", b => b, "--key", "not-the-key");
        using (dir)
        {
            Assert.Equal(1, exit);
            OneLineEach(stderr);
            Assert.Contains("PYZ-00.pyz: encrypted, and the key '00000not-the-key' (given) does not decrypt it (a wrong key?): cannot read helper, pkg, pkg.sub", stderr);
            foreach (var member in new[] { "helper", "pkg", "pkg.sub" })
                Assert.Contains(Cli.Lines(stderr), l => l.EndsWith($"!PYZ-00.pyz!{member}: encrypted, and the key '00000not-the-key' (given) does not decrypt it (a wrong key?)", StringComparison.Ordinal));
            Assert.True(File.Exists(dir["out/app.py"]));
        }
    }

    [Fact]
    public void A_missing_key_module_is_said_once_with_the_members()
    {
        // Rename the key module's entry (same length), as if the archive had been stripped of it.
        var (exit, _, stderr, dir) = RunDamaged("pyi-5.13.2-py3.11-encrypted.elf", b =>
        {
            int at = b.AsSpan().LastIndexOf("pyimod00_crypto_key"u8);
            b[at + 18] = (byte)'z';
            return b;
        });
        using (dir)
        {
            Assert.Equal(1, exit);
            Assert.Contains("encrypted (built with --key) and the archive has no pyimod00_crypto_key module to take the key from (give it with --key): cannot read helper, pkg, pkg.sub", stderr);
            Assert.Equal(3, Cli.Lines(stderr).Count(l => l.Contains("!PYZ-00.pyz!", StringComparison.Ordinal)));
        }
    }

    // ---- not PyInstaller

    private static string Elf(params string[] texts) =>
        "\u007fELF" + new string('\0', 200) + string.Concat(texts.Select(t => t + new string('\0', 50)));

    [Theory]
    [InlineData("Nuitka", "a Nuitka build")]
    [InlineData("py2exe", "a py2exe program")]
    [InlineData("_MEIPASS", "a PyInstaller bootloader")]
    public void Other_frozen_programs_are_explained_in_one_line(string marker, string expected)
    {
        using var dir = new TempDir();
        string path = dir.Write("prog.exe", System.Text.Encoding.Latin1.GetBytes(Elf(marker)));
        var (exit, _, stderr) = Cli.Run("decompile", path);
        Assert.Equal(1, exit);
        Assert.Contains(expected, Assert.Single(Cli.Lines(stderr)));
        var (infoExit, _, infoErr) = Cli.Run("info", path);
        Assert.Equal(1, infoExit);
        Assert.Contains(expected, Assert.Single(Cli.Lines(infoErr)));
    }

    [Fact]
    public void A_cx_freeze_program_points_at_its_library_zip()
    {
        using var dir = new TempDir();
        string path = dir.Write("app/prog", System.Text.Encoding.Latin1.GetBytes(Elf("cx_Freeze")));
        dir.Put("app/lib/library.zip", Cli.Fixture("app.zip"));
        var (exit, _, stderr) = Cli.Run("decompile", path);
        Assert.Equal(1, exit);
        Assert.Contains($"a cx_Freeze program (an ELF executable or shared library): its modules are ordinary .pyc files in {Path.Combine(dir["app"], "lib/library.zip")}: decompile that",
                        Assert.Single(Cli.Lines(stderr)));
    }

    [Fact]
    public void An_encrypted_blob_with_a_custom_cookie_is_explained()
    {
        // A protector's build: bootloader strings, a PYZ inside, the standard cookie replaced by its own.
        using var dir = new TempDir();
        var blob = System.Text.Encoding.Latin1.GetBytes(Elf("_MEIPASS", "PYZ\0\u00cb\r\r\n")).Concat(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4000)).ToArray();
        string path = dir.Write("protected.exe", blob);
        var (exit, _, stderr) = Cli.Run("decompile", path);
        Assert.Equal(1, exit);
        Assert.Contains("without a standard cookie: its archive was altered", Assert.Single(Cli.Lines(stderr)));
    }
}
