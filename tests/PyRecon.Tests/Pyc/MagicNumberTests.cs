using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Tests.Pyc;

public class MagicNumberTests
{
    [Theory]
    [InlineData(3413, "3.8")] [InlineData(3400, "3.8")] [InlineData(3425, "3.9")] [InlineData(3439, "3.10")]
    [InlineData(3495, "3.11")] [InlineData(3450, "3.11")] [InlineData(3531, "3.12")] [InlineData(3571, "3.13")]
    [InlineData(3550, "3.13")] [InlineData(3627, "3.14")] [InlineData(3600, "3.14")]
    public void Final_and_prerelease_magics_map_to_their_version(int magic, string version)
    {
        Assert.True(MagicNumbers.TryGetVersion(magic, out var v));
        Assert.Equal(PythonVersion.Parse(version), v);
    }

    [Theory]
    [InlineData(3394)] [InlineData(62211)] [InlineData(3650)] [InlineData(0)] [InlineData(65535)]
    public void Other_magics_are_refused(int magic) => Assert.False(MagicNumbers.TryGetVersion(magic, out _));

    [Fact]
    public void Final_magic_is_what_each_fixture_carries()
    {
        foreach (var version in PythonVersion.Supported)
        {
            var file = PycReader.ReadFile(Path.Combine(Support.Fixtures.PycFolder(version), "basics.pyc"));
            Assert.Equal(MagicNumbers.FinalMagic(version), file.Header!.Magic);
        }
    }
}
