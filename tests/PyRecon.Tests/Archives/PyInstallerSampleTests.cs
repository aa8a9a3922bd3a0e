using PyRecon.Archives.PyInstaller;
using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Tests.Archives;

/// <summary>The library's readers on the real samples (tests/fixtures/pyinstaller), checked against their MANIFEST.md.</summary>
public class PyInstallerSampleTests
{
    public static IEnumerable<object[]> Samples() => PyInstallerManifest.Samples();

    private static PyInstallerArchive Open(PyInstallerManifest m) =>
        PyInstallerArchive.TryOpen(m.Path, null, out string? problem) ?? throw new Xunit.Sdk.XunitException($"not opened: {problem}");

    [Fact]
    public void The_manifest_describes_all_eight_samples()
    {
        Assert.Equal(8, PyInstallerManifest.All.Count);
        Assert.All(PyInstallerManifest.All, m => Assert.True(m.Entries.Count >= 10 && m.Members.Count == 3, m.File));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_cookie_is_found_as_the_manifest_says(string file)
    {
        var m = PyInstallerManifest.Of(file);
        using var archive = Open(m);
        var cookie = archive.CArchive.Cookie;
        Assert.Equal(m.CookieOffset, cookie.Offset);
        Assert.Equal(88, cookie.Layout.Size);
        Assert.Equal(m.PackageLength, cookie.PackageLength);
        Assert.Equal(m.TocOffset, cookie.TocOffset);
        Assert.Equal(m.TocLength, cookie.TocLength);
        Assert.Equal(m.PyVers, cookie.RawPythonVersion);
        Assert.Equal(m.LibraryName, cookie.LibraryName);
        Assert.Equal(m.ArchiveStart, cookie.ArchiveStart);
        Assert.Equal(m.PythonVersion, cookie.PythonVersion.ToString());
        Assert.Equal(m.PythonVersion, archive.Version.ToString());
        Assert.Null(archive.CArchive.TocProblem);
        Assert.Empty(archive.Warnings);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_entry_is_listed_as_the_manifest_says(string file)
    {
        var m = PyInstallerManifest.Of(file);
        using var archive = Open(m);
        var found = archive.CArchive.Entries.Select(e => new ManifestEntry(e.Index, e.Name, e.TypeCode, e.IsCompressed, e.StoredLength, e.Length, e.Offset, null, false));
        Assert.Equal(m.Entries.Select(e => e with { CodeFileName = null, HasPycHeader = false }), found);
        Assert.All(archive.CArchive.Entries, e => Assert.Null(e.Problem));
        // Every entry decompresses to the size the TOC records (the reader checks it; this reads them all).
        foreach (var e in archive.CArchive.Entries) Assert.Equal((int)e.Length, archive.CArchive.ReadEntry(e).Length);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_pyz_member_is_listed_as_the_manifest_says(string file)
    {
        var m = PyInstallerManifest.Of(file);
        using var archive = Open(m);
        var pyz = Assert.Single(archive.Pyz);
        Assert.Null(pyz.Problem);
        Assert.Equal(m.Key is not null, pyz.Archive!.IsEncrypted);
        Assert.Equal(m.PythonVersion, pyz.Archive.Version.ToString());
        var found = pyz.Archive.Entries.Select(e => new ManifestMember(e.Name, e.TypeCode, e.Offset, e.Length, ""));
        Assert.Equal(m.Members.Select(x => x with { CodeFileName = "" }), found);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_module_reads_as_a_code_object_of_its_file(string file)
    {
        var m = PyInstallerManifest.Of(file);
        using var archive = Open(m);
        var version = PythonVersion.Parse(m.PythonVersion);
        var expected = m.Entries.Where(e => e.CodeFileName is not null).Select(e => (e.Name, e.CodeFileName!))
            .Concat(m.Members.Select(x => ($"PYZ-00.pyz!{x.Name}", x.CodeFileName))).ToList();
        var code = archive.Items.Where(i => i.Role == ItemRole.Code).ToList();
        Assert.Equal(expected.Select(x => x.Item1), code.Select(i => i.Display));
        foreach (var (item, (_, fileName)) in code.Zip(expected))
        {
            var data = item.Load();
            bool header = m.Entries.Any(e => e.Name == item.Display && e.HasPycHeader);
            Assert.Equal(header, PycReader.LooksLikePyc(data));
            var pyc = header ? PycReader.Read(data) : PycReader.ReadMarshal(data, item.Version!.Value);
            Assert.Equal(version, pyc.Version);
            Assert.Equal(fileName, pyc.Code.FileName);
        }
    }

    [Theory]
    [InlineData("pyi-4.10-py3.9-encrypted.elf")]
    [InlineData("pyi-5.13.2-py3.11-encrypted.elf")]
    public void Encrypted_samples_are_decrypted_with_the_key_from_their_own_key_module(string file)
    {
        var m = PyInstallerManifest.Of(file);
        using var archive = Open(m);
        var pyz = archive.Pyz.Single();
        Assert.NotNull(pyz.Cipher);
        Assert.Equal(m.Key, pyz.Cipher!.Key);
        Assert.Equal(PyzCipherMode.Ctr, pyz.Cipher.Mode);
        Assert.Equal(CryptoKeyModule.Name, pyz.KeySource);
        Assert.Contains(archive.Clues, c => c.Text.Contains("encrypted", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("pyi-3.6-py3.8.elf", "PyInstaller >= 2.1, < 5.3")]
    [InlineData("pyi-4.10-py3.9.elf", "PyInstaller >= 2.1, < 5.3")]
    [InlineData("pyi-5.13.2-py3.11.elf", "PyInstaller >= 5.3")]
    [InlineData("pyi-5.13.2-py3.11-encrypted.elf", "PyInstaller >= 5.3, < 6.0")]
    [InlineData("pyi-6.11.0-py3.12.elf", "PyInstaller >= 6.0")]
    public void The_release_is_narrowed_down_from_the_layout(string file, string release)
    {
        using var archive = Open(PyInstallerManifest.Of(file));
        Assert.Equal(release, archive.Release);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Items_are_placed_in_the_tree_a_user_expects(string file)
    {
        var m = PyInstallerManifest.Of(file);
        using var archive = Open(m);
        var paths = archive.Items.Where(i => i.Role is ItemRole.Code or ItemRole.File).Select(i => i.Path).ToHashSet();
        foreach (var e in m.Entries)
        {
            string expected = e.TypeCode switch
            {
                'm' => $"pyinstaller-bootstrap/{e.Name}.pyc",
                's' when e.Name.StartsWith("pyiboot", StringComparison.Ordinal) => $"pyinstaller-bootstrap/{e.Name}.pyc",
                's' => $"{e.Name}.pyc",
                'b' or 'x' => e.Name,
                _ => "",
            };
            if (expected != "") Assert.Contains(expected, paths);
        }
        Assert.Contains("helper.pyc", paths);
        Assert.Contains("pkg/__init__.pyc", paths);
        Assert.Contains("pkg/sub.pyc", paths);
        var greeting = archive.Items.Single(i => i.Path == "data/greeting.txt");
        Assert.Equal(File.ReadAllBytes(Path.Combine(PyInstallerManifest.Folder, "sources", "project", "data", "greeting.txt")), greeting.Load());
    }

    [Fact]
    public void A_stated_version_overrides_the_archive()
    {
        var m = PyInstallerManifest.Of("pyi-6.11.0-py3.12.elf");
        using var archive = PyInstallerArchive.TryOpen(m.Path, new PyInstallerOptions { Version = PythonVersion.V3_13 }, out _)!;
        Assert.Equal(PythonVersion.V3_13, archive.Version);
        Assert.Equal("stated", archive.VersionSource);
        Assert.All(archive.Items.Where(i => i.Role == ItemRole.Code), i => Assert.Equal(PythonVersion.V3_13, i.Version));
    }

    [Fact]
    public void Pyc_headers_carry_the_building_interpreters_magic()
    {
        using var archive = Open(PyInstallerManifest.Of("pyi-6.11.0-py3.13.elf"));
        foreach (var item in archive.Items.Where(i => i.Role == ItemRole.Code))
        {
            var pyc = item.ToPyc(item.Load());
            Assert.Equal(new byte[] { 0xf3, 0x0d, 0x0d, 0x0a }, pyc[..4]);
            Assert.Equal(PythonVersion.V3_13, PycReader.Read(pyc).Version);
        }
    }
}
