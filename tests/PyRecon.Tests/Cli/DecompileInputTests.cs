using System.IO.Compression;
using System.Text;
using PyRecon.Cli.Inputs;

namespace PyRecon.Tests.Cli;

/// <summary><c>pyrecon decompile</c> on every input shape: files, folders, archives, marshal data, non-bytecode.</summary>
public class DecompileInputTests
{
    private static readonly byte[] s_simple = File.ReadAllBytes(Cli.Simple);

    [Fact]
    public void A_pyc_prints_its_source()
    {
        var (exit, stdout, stderr) = Cli.Run("decompile", Cli.Simple);
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Contains("def add(a, b):\n    return a + b\n", stdout);
        Assert.Contains("print(add(1, 2), os.sep)", stdout);
    }

    [Fact]
    public void Output_file_for_one_input()
    {
        using var dir = new TempDir();
        var (exit, stdout, _) = Cli.Run("decompile", Cli.Simple, "-o", dir["out.py"]);
        Assert.Equal(0, exit);
        Assert.Equal("", stdout);
        Assert.Contains("class Point:", File.ReadAllText(dir["out.py"]));
    }

    [Fact]
    public void A_pycache_tree_comes_out_as_modules_and_collisions_keep_both()
    {
        using var dir = new TempDir();
        dir.Put("in/pkg/__pycache__/mod.cpython-312.pyc", Cli.Simple);
        dir.Put("in/pkg/__pycache__/mod.cpython-312.opt-1.pyc", Cli.Simple);
        dir.Put("in/pkg/__pycache__/__init__.cpython-312.pyc", Cli.Simple);
        dir.Put("in/pkg/sub/__pycache__/deep.cpython-312.opt-2.pyc", Cli.Simple);
        dir.Put("in/plain.pyc", Cli.Simple);
        dir.Put("in/pkg/mod.pyc", Cli.Simple); // a second claim on pkg/mod.py
        File.WriteAllText(dir["in/notes.txt"], "not bytecode, not looked at");
        var (exit, _, stderr) = Cli.Run("decompile", dir["in"], "-o", dir["out"], "--report", dir["report.json"], "--progress", "none");
        Assert.Equal(0, exit);
        var written = Directory.EnumerateFiles(dir["out"], "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir["out"], f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[]
        {
            "pkg/__init__.py", "pkg/mod.cpython-312.opt-1.py", "pkg/mod.py", "pkg/mod~2.py", "pkg/sub/deep.py", "plain.py",
        }, written);
        // The non-optimized cache file keeps the plain name; the others are reported.
        Assert.Contains("in/pkg/__pycache__/mod.cpython-312.opt-1.pyc: pkg/mod.py is also the name of", stderr.Replace('\\', '/'));
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir["report.json"]));
        var files = report.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(6, files.Count);
        Assert.Equal(2, files.Count(f => f.TryGetProperty("collision", out _)));
        Assert.Equal(2, report.RootElement.GetProperty("summary").GetProperty("collisions").GetInt32());
    }

    [Theory]
    [InlineData("mod.pyc", "mod.py")]
    [InlineData("pkg/__pycache__/mod.cpython-312.pyc", "pkg/mod.py")]
    [InlineData("pkg/__pycache__/mod.cpython-312.opt-1.pyc", "pkg/mod.py")]
    [InlineData("__pycache__/mod.pypy39.pyc", "mod.py")]
    [InlineData("a/b/mod.cpython-38.pyc", "a/b/mod.py")]
    [InlineData("a/setup.v2.pyc", "a/setup.v2.py")]
    [InlineData("x.pyo", "x.py")]
    public void Natural_output_names(string input, string expected) => Assert.Equal(expected, OutputNames.Natural(input));

    [Theory]
    [InlineData("app.zip")]
    [InlineData("app-1.0-py3-none-any.whl")]
    [InlineData("app-1.0-py3.12.egg")]
    public void Archives_are_read_in_place(string name)
    {
        using var dir = new TempDir();
        string archive = dir[name];
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(Cli.Simple, "pkg/__pycache__/mod.cpython-312.pyc");
            zip.CreateEntryFromFile(Cli.Simple, "top.pyc");
            zip.CreateEntry("pkg/mod.py"); // sources are not inputs
            zip.CreateEntryFromFile(Cli.Simple, "../../escape.pyc"); // never written outside -o
        }
        var (exit, _, stderr) = Cli.Run("decompile", archive, "-o", dir["out"], "--quiet");
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.True(File.Exists(dir["out/pkg/mod.py"]));
        Assert.True(File.Exists(dir["out/top.py"]));
        Assert.True(File.Exists(dir["out/escape.py"]));
        Assert.Contains("class Point:", File.ReadAllText(dir["out/top.py"]));

        var (exit2, stdout2, _) = Cli.Run("decompile", archive, "--quiet");
        Assert.Equal(0, exit2);
        Assert.Contains($"# ---- {archive}!pkg/__pycache__/mod.cpython-312.pyc", stdout2);
    }

    [Fact]
    public void An_archive_inside_a_folder_goes_under_its_name()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in/lib"]);
        using (var zip = ZipFile.Open(dir["in/lib/base_library.zip"], ZipArchiveMode.Create))
            zip.CreateEntryFromFile(Cli.Simple, "os.pyc");
        dir.Put("in/main.pyc", Cli.Simple);
        var (exit, _, _) = Cli.Run("decompile", dir["in"], "-o", dir["out"], "--quiet");
        Assert.Equal(0, exit);
        Assert.True(File.Exists(dir["out/lib/base_library/os.py"]));
        Assert.True(File.Exists(dir["out/main.py"]));
    }

    [Fact]
    public void Headerless_marshal_needs_the_version()
    {
        using var dir = new TempDir();
        string marshal = dir.Write("code.bin", s_simple[16..]);
        var (exit, stdout, stderr) = Cli.Run("decompile", marshal);
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains("headerless marshal data", stderr);
        Assert.Contains("--python-version", stderr);

        (exit, stdout, stderr) = Cli.Run("decompile", "--python-version", "3.12", marshal);
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Contains("def norm(self):", stdout);
    }

    [Fact]
    public void The_stated_version_overrides_a_wrong_magic()
    {
        using var dir = new TempDir();
        var bytes = (byte[])s_simple.Clone();
        bytes[0] = 0x99;
        bytes[1] = 0x99;
        string wrong = dir.Write("wrong.pyc", bytes);
        var (exit, stdout, stderr) = Cli.Run("decompile", wrong);
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains("unknown magic number 39321", stderr);
        Assert.Contains("nearest known: Python 3.14 (3600-3649)", stderr);
        Assert.Single(Cli.Lines(stderr));

        (exit, stdout, _) = Cli.Run("decompile", "--python-version", "3.12", wrong);
        Assert.Equal(0, exit);
        Assert.Contains("def add(a, b):", stdout);

        // A magic of another readable version: the stated one wins, with a note.
        bytes[0] = 3495 & 0xff;
        bytes[1] = 3495 >> 8;
        string other = dir.Write("other.pyc", bytes);
        (exit, stdout, stderr) = Cli.Run("decompile", "--python-version", "3.12", other);
        Assert.Equal(0, exit);
        Assert.Contains("def add(a, b):", stdout);
        Assert.Contains("its magic says Python 3.11; read as 3.12", stderr);
    }

    [Theory]
    [InlineData(3394, "magic number 3394 is Python 3.7 (3390-3399); pyrecon reads Python 3.8-3.14 only")]
    [InlineData(62211, "Python 2.7")]
    [InlineData(3135, "nearest known: Python 3.0 (3000-3131) and Python 3.1 (3141-3151)")]
    [InlineData(3700, "nearest known: Python 3.14 (3600-3649)")]
    public void Unknown_magics_name_the_nearest_versions(int magic, string expected)
    {
        using var dir = new TempDir();
        var bytes = (byte[])s_simple.Clone();
        bytes[0] = (byte)magic;
        bytes[1] = (byte)(magic >> 8);
        var (exit, _, stderr) = Cli.Run("decompile", dir.Write("m.pyc", bytes));
        Assert.Equal(1, exit);
        Assert.Contains(expected, stderr);
    }

    public static TheoryData<string, byte[], string> NotBytecode()
    {
        static byte[] With(byte[] head, string marker = "", int size = 512)
        {
            var bytes = new byte[size];
            head.CopyTo(bytes, 0);
            Encoding.ASCII.GetBytes(marker).CopyTo(bytes, 100);
            return bytes;
        }
        var random = new byte[4096];
        new Random(7).NextBytes(random);
        random[2] = 0; // not \r\n
        return new()
        {
            { "ls", With([0x7f, (byte)'E', (byte)'L', (byte)'F']), "an ELF executable" },
            { "app.exe", With("MZ"u8.ToArray()), "a Windows (PE) executable" },
            { "app.macho", With([0xcf, 0xfa, 0xed, 0xfe]), "a Mach-O (macOS) executable" },
            { "app.bin", With([0x7f, (byte)'E', (byte)'L', (byte)'F'], "Nuitka-Onefile"), "a Nuitka build" },
            { "app2.exe", With("MZ"u8.ToArray(), "MEI\u000c\u000b\u000a\u000b\u000e"), "a PyInstaller program whose archive cannot be read" },
            { "ext.so", With([0x7f, (byte)'E', (byte)'L', (byte)'F'], "PyInit_ext"), "a compiled Python extension module" },
            { "mod.pyc", random, "looks encrypted or compressed" },
            { "src.pyc", "import os\nprint(os.name)\n"u8.ToArray(), "Python source text, not bytecode" },
            { "empty.pyc", [], "empty file" },
            { "z.pyc", With([0x78, 0x9c]), "zlib-compressed data" },
            { "out00-PYZ.pyz", With("PYZ\0"u8.ToArray()), "a PyInstaller PYZ archive" },
        };
    }

    [Theory]
    [MemberData(nameof(NotBytecode))]
    public void Files_that_are_not_bytecode_get_one_line_saying_what_they_seem(string name, byte[] bytes, string expected)
    {
        using var dir = new TempDir();
        string path = dir.Write(name, bytes);
        var (exit, stdout, stderr) = Cli.Run("decompile", path);
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"pyrecon: {path}: ", stderr[..(path.Length + 11)]);
        Assert.Contains(expected, stderr);
        Assert.Single(Cli.Lines(stderr));
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void A_folder_without_bytecode_is_reported()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["readme.txt"], "nothing");
        var (exit, _, stderr) = Cli.Run("decompile", dir.Path);
        Assert.Equal(1, exit);
        Assert.Contains("no .pyc files in this folder", stderr);
    }

    [Fact]
    public void Dump_prints_the_basic_blocks()
    {
        var (exit, stdout, _) = Cli.Run("decompile", "--dump", "cfg", Cli.Simple);
        Assert.Equal(0, exit);
        Assert.Contains("BINARY_OP", stdout);
        Assert.DoesNotContain("def add", stdout);
    }
}
