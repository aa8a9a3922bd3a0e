using System.Buffers.Binary;
using PyRecon.Cli;
using PyRecon.Model;
using PyRecon.Pyc;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Pyc;

/// <summary>Bad input yields PycFormatException (one line) from the library and one stderr line + exit 1 from the CLI.</summary>
public class BadInputTests
{
    private static byte[] Header(PythonVersion version)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)MagicNumbers.FinalMagic(version));
        header[2] = (byte)'\r';
        header[3] = (byte)'\n';
        return header;
    }

    private static byte[] Pyc(PythonVersion version, params byte[] body) => [.. Header(version), .. body];

    private static PycFormatException Refused(byte[] data, PythonVersion? stated = null)
    {
        var e = Assert.Throws<PycFormatException>(() => PycReader.ReadAny(data, stated));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void Empty_input() => Assert.Contains("empty", Refused([]).Message);

    [Fact]
    public void Unknown_magic()
    {
        var data = Pyc(PythonVersion.V3_12, (byte)'N');
        BinaryPrimitives.WriteUInt16LittleEndian(data, 3394); // 3.7
        Assert.Contains("3.0-3.7", Refused(data).Message);
        BinaryPrimitives.WriteUInt16LittleEndian(data, 4000);
        Assert.Contains("unknown magic", Refused(data).Message);
    }

    [Fact]
    public void Stated_version_must_agree_with_the_magic()
    {
        var data = File.ReadAllBytes(Path.Combine(Fixtures.PycFolder(PythonVersion.V3_12), "basics.pyc"));
        Assert.Contains("not the stated 3.11", Refused(data, PythonVersion.V3_11).Message);
    }

    [Fact]
    public void Every_truncation_of_every_fixture_is_refused()
    {
        foreach (var path in Fixtures.AllPycFiles())
        {
            var data = File.ReadAllBytes(path);
            for (int length = 0; length < data.Length; length++)
                Assert.Throws<PycFormatException>(() => PycReader.Read(data.AsMemory(0, length)));
        }
    }

    [Fact]
    public void Invalid_back_reference()
    {
        Assert.Contains("invalid reference", Refused(Pyc(PythonVersion.V3_12, (byte)'r', 5, 0, 0, 0)).Message);
        // A reference to a tuple that is still being read.
        Assert.Contains("unfinished", Refused(Pyc(PythonVersion.V3_12, (byte)(')' | 0x80), 1, (byte)'r', 0, 0, 0, 0)).Message);
    }

    [Theory]
    [InlineData((byte)'(')] [InlineData((byte)'[')] [InlineData((byte)'s')] [InlineData((byte)'u')] [InlineData((byte)'<')] [InlineData((byte)'a')]
    public void Absurd_lengths_are_refused_before_allocating(byte type)
    {
        var e = Refused(Pyc(PythonVersion.V3_12, type, 0xff, 0xff, 0xff, 0x7f));
        Assert.Contains("larger than", e.Message);
        Assert.Contains("negative", Refused(Pyc(PythonVersion.V3_12, type, 0xff, 0xff, 0xff, 0xff)).Message);
    }

    [Fact]
    public void Absurd_long_is_refused() =>
        Assert.Contains("long", Refused(Pyc(PythonVersion.V3_12, (byte)'l', 0xff, 0xff, 0xff, 0x7f)).Message);

    [Fact]
    public void Unknown_type_code() => Assert.Contains("unknown type code", Refused(Pyc(PythonVersion.V3_12, (byte)'?')).Message);

    [Fact]
    public void Slice_code_is_only_valid_from_3_14()
    {
        Assert.Contains("unknown type code", Refused(Pyc(PythonVersion.V3_13, (byte)':', (byte)'N', (byte)'N', (byte)'N')).Message);
        Assert.Contains("expected a code object, found slice", Refused(Pyc(PythonVersion.V3_14, (byte)':', (byte)'N', (byte)'N', (byte)'N')).Message);
    }

    [Fact]
    public void Nesting_deeper_than_cpython_allows_is_refused()
    {
        static byte[] Nested(int depth) => Pyc(PythonVersion.V3_12, [.. Enumerable.Repeat(new byte[] { (byte)')', 1 }, depth - 1).SelectMany(b => b), (byte)'N']);
        // Within the limit the nesting is read; it only fails for not being a code object.
        Assert.Contains("expected a code object", Refused(Nested(MarshalReader.MaxDepth)).Message);
        Assert.Contains("nesting deeper", Refused(Nested(MarshalReader.MaxDepth + 1)).Message);
    }

    [Fact]
    public void Random_bytes_are_refused()
    {
        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            var data = new byte[random.Next(0, 200)];
            random.NextBytes(data);
            Assert.Throws<PycFormatException>(() => PycReader.Read(data));
        }
    }

    [Fact]
    public void Cli_reports_one_line_per_bad_file_and_exits_non_zero()
    {
        var dir = Directory.CreateTempSubdirectory("pyrecon-bad");
        try
        {
            var truncated = Path.Combine(dir.FullName, "truncated.pyc");
            File.WriteAllBytes(truncated, File.ReadAllBytes(Path.Combine(Fixtures.PycFolder(PythonVersion.V3_12), "control.pyc"))[..100]);
            var empty = Path.Combine(dir.FullName, "empty.pyc");
            File.WriteAllBytes(empty, []);
            var missing = Path.Combine(dir.FullName, "missing.pyc");
            var good = Path.Combine(Fixtures.PycFolder(PythonVersion.V3_12), "basics.pyc");

            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int exit = CommandLine.Run(["info", truncated, empty, missing, good], stdout, stderr);

            Assert.Equal(1, exit);
            var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            Assert.StartsWith($"pyrecon: {truncated}: ", lines[0]);
            Assert.StartsWith($"pyrecon: {empty}: empty file", lines[1]);
            Assert.StartsWith($"pyrecon: {missing}: ", lines[2]);
            Assert.DoesNotContain("   at ", stderr.ToString());
            // The good file after the bad ones is still shown.
            Assert.Contains("Python version:  3.12", stdout.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Cli_refuses_a_bad_version_option()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, CommandLine.Run(["info", "--version", "2.7", "x.pyc"], new StringWriter(), stderr));
        Assert.Contains("not a supported version", stderr.ToString());
    }
}
