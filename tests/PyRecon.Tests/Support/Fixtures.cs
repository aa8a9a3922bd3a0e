using System.Text.Json.Nodes;
using PyRecon.Model;

namespace PyRecon.Tests.Support;

/// <summary>The committed .pyc fixtures (tests/fixtures/pyc/3.X) and the interpreter's view of each.</summary>
public static class Fixtures
{
    public static string Root => Path.Combine(Python.RepoRoot, "tests", "fixtures");

    public static string PycFolder(PythonVersion version) => Path.Combine(Root, "pyc", version.ToString());

    public static IEnumerable<string> PycFiles(PythonVersion version) =>
        Directory.EnumerateFiles(PycFolder(version), "*.pyc").OrderBy(f => f, StringComparer.Ordinal);

    public static IEnumerable<string> AllPycFiles() => PythonVersion.Supported.SelectMany(PycFiles);

    /// <summary>views.jsonl: file name → the interpreter's view (tools/info/pyc_view.py).</summary>
    public static IReadOnlyDictionary<string, JsonNode> Views(PythonVersion version)
    {
        var result = new Dictionary<string, JsonNode>();
        foreach (var line in File.ReadLines(Path.Combine(PycFolder(version), "views.jsonl")))
        {
            var node = JsonNode.Parse(line)!;
            result[Path.GetFileName((string)node["file"]!)] = node["view"]!;
        }
        return result;
    }

    public static IEnumerable<object[]> VersionData() => PythonVersion.Supported.Select(v => new object[] { v.ToString() });
}

/// <summary>Structural JSON comparison; frozenset items compare as multisets (their order depends on hashing).</summary>
public static class JsonCompare
{
    public static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
            {
                var copy = new JsonObject();
                foreach (var (key, value) in obj) copy[key] = Normalize(value);
                if ((string?)obj["type"] == "frozenset" && copy["items"] is JsonArray items)
                {
                    var sorted = items.Select(i => i!.ToJsonString()).Order(StringComparer.Ordinal).Select(s => JsonNode.Parse(s)).ToArray();
                    copy["items"] = new JsonArray(sorted);
                }
                return copy;
            }
            case JsonArray array:
                return new JsonArray(array.Select(Normalize).ToArray());
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>Null when equal, else the path and values of the first difference.</summary>
    public static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        if (JsonNode.DeepEquals(expected, actual)) return null;
        if (expected is JsonObject eo && actual is JsonObject ao)
        {
            foreach (var key in eo.Select(p => p.Key).Union(ao.Select(p => p.Key)))
            {
                var d = FirstDifference(eo[key], ao[key], $"{path}.{key}");
                if (d is not null) return d;
            }
        }
        if (expected is JsonArray ea && actual is JsonArray aa)
        {
            if (ea.Count != aa.Count) return $"{path}: {ea.Count} items expected, {aa.Count} found";
            for (int i = 0; i < ea.Count; i++)
            {
                var d = FirstDifference(ea[i], aa[i], $"{path}[{i}]");
                if (d is not null) return d;
            }
        }
        return $"{path}: expected {expected?.ToJsonString() ?? "null"}, found {actual?.ToJsonString() ?? "null"}";
    }
}
