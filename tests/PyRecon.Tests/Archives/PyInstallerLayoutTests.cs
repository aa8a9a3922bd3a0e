using System.IO.Compression;
using System.Security.Cryptography;
using PyRecon.Archives;
using PyRecon.Archives.PyInstaller;
using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Tests.Archives;

/// <summary>
/// Layouts the real samples do not have, written by <see cref="PyInstallerBuilder"/> around real code taken from the
/// 3.11 and 3.12 samples: the 2.0 cookie, a cookie followed by ELF section headers, dict TOCs, PyInstaller 3.x's
/// CFB encryption, namespace packages, links, packages, unknown type codes.
/// </summary>
public class PyInstallerLayoutTests
{
    private static readonly byte[] s_magic312 = [0xcb, 0x0d, 0x0d, 0x0a];

    /// <summary>Marshal data of the 3.12 sample's modules, by PYZ name (and "app").</summary>
    private static Dictionary<string, byte[]> Code312()
    {
        using var archive = PyInstallerArchive.TryOpen(PyInstallerManifest.Of("pyi-6.11.0-py3.12.elf").Path, null, out _)!;
        return archive.Items.Where(i => i.Role == ItemRole.Code).ToDictionary(i => i.Display.Replace("PYZ-00.pyz!", ""), i => i.Load());
    }

    private static PyInstallerArchive Open(byte[] file, PyInstallerOptions? options = null) =>
        PyInstallerArchive.TryOpen(ArchiveSource.FromBytes(file), options, out string? problem) ?? throw new Xunit.Sdk.XunitException($"not opened: {problem}");

    [Fact]
    public void The_24_byte_cookie_of_pyinstaller_2_0_and_a_dict_toc()
    {
        var code = Code312();
        var pyz = PyInstallerBuilder.Pyz(s_magic312, [("helper", 0, PyInstallerBuilder.Zlib(code["helper"])), ("pkg", 1, PyInstallerBuilder.Zlib(code["pkg"]))], dictToc: true);
        var builder = new PyInstallerBuilder { Layout = CookieLayout.Original }.Add("app", 's', code["app"]).Add("PYZ-00.pyz", 'z', pyz, compress: false);
        using var archive = Open(builder.Build());
        Assert.Equal(24, archive.CArchive.Cookie.Layout.Size);
        Assert.Null(archive.CArchive.Cookie.LibraryName);
        Assert.Equal("PyInstaller >= 2.0, < 2.1", archive.Release);
        Assert.Equal(["app.pyc", "PYZ-00.pyz", "helper.pyc", "pkg/__init__.pyc"], archive.Items.Select(i => i.Path));
        Assert.Equal(code["pkg"], archive.Items.Single(i => i.Path == "pkg/__init__.pyc").Load());
    }

    [Fact]
    public void A_cookie_followed_by_section_headers_and_preceded_by_the_bootloaders_own_magic()
    {
        var code = Code312();
        // Linux builds keep the archive in an ELF section: section headers follow the cookie. The bootloader
        // before the archive may hold the magic too; neither may confuse the search.
        var builder = new PyInstallerBuilder
        {
            Prefix = [0x7f, (byte)'E', (byte)'L', (byte)'F', .. new byte[100], .. CookieLayout.Magic, .. new byte[200]],
            Trailer = [.. RandomNumberGenerator.GetBytes(3000)],
        }.Add("app", 's', code["app"]);
        var file = builder.Build();
        using var archive = Open(file);
        Assert.Equal(file.Length - 3000 - 88, archive.CArchive.Cookie.Offset);
        Assert.Equal(100 + 4 + 8 + 200, archive.CArchive.Cookie.ArchiveStart);
        Assert.Equal(code["app"], archive.Items.Single().Load());
    }

    [Fact]
    public void PyInstaller_3_encryption_is_aes_cfb8_with_the_key_module_as_a_whole_pyc()
    {
        var code = Code312();
        const string key = "secret-3.x";
        var keyModule = Convert.FromHexString(KeyModule312Hex); // compile("key = '000000secret-3.x'\n") by CPython 3.12
        using var aes = Aes.Create();
        aes.Key = "000000secret-3.x"u8.ToArray();
        byte[] Encrypt(byte[] data)
        {
            var iv = RandomNumberGenerator.GetBytes(16);
            return [.. iv, .. aes.EncryptCfb(PyInstallerBuilder.Zlib(data), iv, PaddingMode.None, feedbackSizeInBits: 8)];
        }
        var pyz = PyInstallerBuilder.Pyz(s_magic312, [("helper", 0, Encrypt(code["helper"])), ("pkg", 1, Encrypt(code["pkg"])), ("pkg.sub", 0, Encrypt(code["pkg.sub"]))], encrypted: true);
        var builder = new PyInstallerBuilder { PyVers = 38 }
            .Add(CryptoKeyModule.Name, 'm', [.. s_magic312, .. new byte[12], .. keyModule]).Add("app", 's', code["app"]).Add("PYZ-00.pyz", 'z', pyz, compress: false);
        using var archive = Open(builder.Build());
        var cipher = archive.Pyz.Single().Cipher!;
        Assert.Equal(PyzCipherMode.Cfb8, cipher.Mode);
        Assert.Equal("000000" + key, cipher.Key);
        foreach (var name in new[] { "helper", "pkg", "pkg.sub" })
            Assert.Equal(code[name], archive.Items.Single(i => i.Display == "PYZ-00.pyz!" + name).Load());
        Assert.Equal("PyInstaller >= 2.1, < 5.3", archive.Release);
        Assert.Contains(archive.Clues, c => c.Text.Contains("major*10+minor", StringComparison.Ordinal));
    }

    /// <summary><c>marshal.dumps(compile("key = '000000secret-3.x'\n", "pyimod00_crypto_key.py", "exec"))</c> under CPython 3.12.1.</summary>
    private const string KeyModule312Hex =
        "630000000000000000000000000100000000000000f308000000970064005a00790129027a103030303030307365637265742d332e784e"
        + "2901da036b6579a900f300000000fa167079696d6f6430305f63727970746f5f6b65792e7079fa083c6d6f64756c653e720500000001000000730a000000f003010101d8061881037203000000";

    [Fact]
    public void Namespace_packages_links_packages_zip_files_and_unknown_types()
    {
        var code = Code312();
        var pyz = PyInstallerBuilder.Pyz(s_magic312, [("ns", 3, []), ("ns.mod", 0, PyInstallerBuilder.Zlib(code["helper"])), ("res/info.txt", 2, PyInstallerBuilder.Zlib("info"u8.ToArray()))]);
        var zip = new MemoryStream();
        using (var z = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true)) z.CreateEntry("a.txt");
        var builder = new PyInstallerBuilder()
            .Add("bootpkg", 'M', code["pkg"]).Add("pyi_rth_inspect", 's', code["app"]).Add("app", 's', code["app"])
            .Add("libfoo.so.1", 'n', "libfoo.so.1.2"u8.ToArray(), compress: false).Add("eggs/x.egg", 'Z', zip.ToArray())
            .Add("pyi-contents-directory _internal", 'o', []).Add("other:lib.so", 'd', [], compress: false).Add("weird", 'q', [1, 2, 3])
            .Add("PYZ-00.pyz", 'z', pyz, compress: false);
        using var archive = Open(builder.Build());
        var byPath = archive.Items.ToDictionary(i => i.Path);
        Assert.Equal("bootstrap package", byPath["pyinstaller-bootstrap/bootpkg/__init__.pyc"].TypeName);
        Assert.Equal("runtime hook", byPath["pyinstaller-bootstrap/pyi_rth_inspect.pyc"].TypeName);
        Assert.Equal("entry script", byPath["app.pyc"].TypeName);
        Assert.Equal(ItemRole.Symlink, byPath["libfoo.so.1"].Role);
        Assert.Equal("libfoo.so.1.2", byPath["libfoo.so.1"].LinkTarget);
        Assert.Equal(zip.ToArray(), byPath["eggs/x.egg"].Load());
        Assert.Equal(ItemRole.Listed, byPath["pyi-contents-directory _internal"].Role);
        Assert.Equal(ItemRole.Listed, byPath["other:lib.so"].Role);
        Assert.Equal([1, 2, 3], byPath["weird"].Load());
        Assert.Contains("not one PyInstaller writes", byPath["weird"].Note);
        Assert.Equal(ItemRole.Folder, byPath["ns"].Role);
        Assert.Equal(code["helper"], byPath["ns/mod.pyc"].Load());
        Assert.Equal("info"u8.ToArray(), byPath["res/info.txt"].Load());
        Assert.Equal("PyInstaller >= 6.0", archive.Release);
    }

    [Fact]
    public void A_damaged_toc_keeps_the_entries_before_the_damage()
    {
        var code = Code312();
        var file = new PyInstallerBuilder().Add("one", 's', code["app"]).Add("two", 's', code["app"]).Add("three", 's', code["app"]).Build();
        using var intact = Open(file);
        var toc = intact.CArchive.Cookie.ArchiveStart + intact.CArchive.Cookie.TocOffset;
        long second = toc + 32; // "one" takes a 32-byte entry
        file[second] = 0x7f; // the second entry's length becomes huge
        using var damaged = Open(file);
        Assert.Equal(["one"], damaged.CArchive.Entries.Select(e => e.Name));
        Assert.Contains("entry 1 of the table of contents has an impossible length", damaged.CArchive.TocProblem);
        Assert.Equal(code["app"], damaged.Items.Single().Load());
    }

    [Fact]
    public void Data_past_the_archive_makes_only_that_entry_unreadable()
    {
        var code = Code312();
        var file = new PyInstallerBuilder().Add("one", 's', code["app"]).Add("two", 's', code["app"]).Build();
        using var intact = Open(file);
        long entry = intact.CArchive.Cookie.ArchiveStart + intact.CArchive.Cookie.TocOffset + 32;
        file[entry + 4] = 0x40; // the offset of "two" moves far past the data
        using var damaged = Open(file);
        Assert.Null(damaged.CArchive.Entries[0].Problem);
        Assert.Contains("runs past the data area", damaged.CArchive.Entries[1].Problem);
        var e = Assert.Throws<PyInstallerFormatException>(() => damaged.Items[1].Load());
        Assert.Contains("runs past the data area", e.Message);
    }

    [Fact]
    public void A_file_without_a_cookie_is_not_an_archive_and_a_broken_cookie_says_why()
    {
        Assert.Null(PyInstallerArchive.TryOpen(ArchiveSource.FromBytes(new byte[5000]), null, out string? none));
        Assert.Null(none);
        var file = new PyInstallerBuilder().Add("app", 's', Code312()["app"]).Build();
        Assert.Null(PyInstallerArchive.TryOpen(ArchiveSource.FromBytes(file[..^40]), null, out string? cut));
        Assert.Contains("runs past the end of the file", cut);
        Assert.Null(PyInstallerArchive.TryOpen(ArchiveSource.FromBytes(file[200..]), null, out string? front));
        Assert.Contains("precede its end", front);
    }

    [Fact]
    public void Version_encodings_of_the_cookie()
    {
        Assert.Equal((3, 8), CookiePythonVersion.Decode(38));
        Assert.Equal((2, 7), CookiePythonVersion.Decode(27));
        Assert.Equal((3, 12), CookiePythonVersion.Decode(312));
        Assert.Equal((3, 9), CookiePythonVersion.Decode(309));
        Assert.Null(CookiePythonVersion.Decode(0));
        Assert.Null(CookiePythonVersion.Decode(123456));
    }

    [Fact]
    public void An_unsupported_python_is_listed_and_its_pyc_headers_still_written()
    {
        // A Python 3.7 program (PYZ magic 3394): nothing to decompile, but the archive lists and extracts.
        byte[] magic37 = [0x42, 0x0d, 0x0d, 0x0a];
        var pyz = PyInstallerBuilder.Pyz(magic37, [("mod", 0, PyInstallerBuilder.Zlib([0xe3, 1, 2]))]);
        using var archive = Open(new PyInstallerBuilder { PyVers = 37 }.Add("PYZ-00.pyz", 'z', pyz, compress: false).Build());
        Assert.Equal(new PythonVersion(3, 7), archive.Version);
        var item = archive.Items.Single(i => i.Role == ItemRole.Code);
        Assert.Equal([.. magic37, .. new byte[12], 0xe3, 1, 2], item.ToPyc(item.Load()));
    }
}
