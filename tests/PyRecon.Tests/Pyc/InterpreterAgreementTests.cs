using System.Text.Json.Nodes;
using PyRecon.Model;
using PyRecon.Pyc;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Pyc;

/// <summary>The reader's view of every committed fixture equals what the interpreter that wrote it reported.</summary>
public class InterpreterAgreementTests
{
    [Theory]
    [MemberData(nameof(Fixtures.VersionData), MemberType = typeof(Fixtures))]
    public void Info_json_agrees_with_the_interpreter_on_every_fixture(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var views = Fixtures.Views(version);
        var files = Fixtures.PycFiles(version).ToList();
        Assert.NotEmpty(files);
        Assert.Equal(views.Keys.Order(), files.Select(Path.GetFileName).Order()!);
        foreach (var path in files)
        {
            var file = PycReader.ReadFile(path);
            Assert.Equal(version, file.Version);
            var actual = JsonCompare.Normalize(JsonNode.Parse(PycInfoJson.Write(file)));
            var expected = JsonCompare.Normalize(views[Path.GetFileName(path)]);
            var difference = JsonCompare.FirstDifference(expected, actual);
            Assert.True(difference is null, $"{path}: {difference}");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures.VersionData), MemberType = typeof(Fixtures))]
    public void Headerless_marshal_reads_the_same_code_when_the_version_is_stated(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        foreach (var path in Fixtures.PycFiles(version))
        {
            var bytes = File.ReadAllBytes(path);
            var withHeader = PycReader.Read(bytes);
            var headerless = PycReader.ReadAny(bytes.AsMemory(PycHeader.Size), version);
            Assert.Null(headerless.Header);
            Assert.Equal(PycInfoJson.Write(withHeader with { Header = null }), PycInfoJson.Write(headerless));
        }
    }

    [Fact]
    public void Hash_based_pyc_header_is_read()
    {
        foreach (var version in PythonVersion.Supported)
        {
            var file = PycReader.ReadFile(Path.Combine(Fixtures.PycFolder(version), "basics.hash.pyc"));
            Assert.True(file.Header!.IsHashBased);
            Assert.True(file.Header.CheckSource);
            Assert.NotEqual(0UL, file.Header.SourceHash);
        }
    }

    [Fact]
    public void Code_object_shape_is_the_same_for_every_version()
    {
        // 3.8-3.10 varnames/cellvars/freevars and 3.11+ localsplus map onto the same slots.
        foreach (var version in PythonVersion.Supported)
        {
            var module = PycReader.ReadFile(Path.Combine(Fixtures.PycFolder(version), "control.pyc")).Code;
            var closures = module.NestedCode.Single(c => c.Name == "closures");
            Assert.Contains(closures.LocalsPlus, v => v.Name == "counter" && v.Kind.HasFlag(LocalKind.Cell));
            var inc = closures.NestedCode.Single(c => c.Name == "inc");
            Assert.Equal(["counter"], inc.FreeVars.ToArray());
            Assert.Contains(inc.LocalsPlus, v => v.Name == "counter" && v.Kind == LocalKind.Free);
            Assert.Equal(["step"], inc.VarNames.ToArray());
            Assert.Equal(version >= PythonVersion.V3_11 ? "closures.<locals>.inc" : null, inc.QualName);
        }
    }
}
