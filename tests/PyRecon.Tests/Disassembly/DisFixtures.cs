using System.Text.RegularExpressions;
using PyRecon.Disassembly;
using PyRecon.Model;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Disassembly;

/// <summary>
/// tests/fixtures/dis/3.X: CPython's dis.dis text (tools/fixtures/make_fixtures) for the .pyc files of
/// tests/fixtures/pyc/3.X and tests/fixtures/dis/pyc/3.X, and hash.txt, the interpreter's hash function.
/// </summary>
internal static partial class DisFixtures
{
    public static string Folder(PythonVersion version) => Path.Combine(Fixtures.Root, "dis", version.ToString());

    /// <summary>(expected .dis file, the .pyc it was made from).</summary>
    public static IEnumerable<(string Expected, string Pyc)> Pairs(PythonVersion version)
    {
        foreach (var expected in Directory.EnumerateFiles(Folder(version), "*.dis").OrderBy(f => f, StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(expected) + ".pyc";
            string pyc = Path.Combine(Fixtures.PycFolder(version), name);
            if (!File.Exists(pyc)) pyc = Path.Combine(Fixtures.Root, "dis", "pyc", version.ToString(), name);
            yield return (expected, pyc);
        }
    }

    /// <summary>The hash profile of the interpreter that printed the fixtures ("siphash13:64", "fnv:32").</summary>
    public static HashProfile Hash(PythonVersion version)
    {
        var parts = File.ReadAllText(Path.Combine(Folder(version), "hash.txt")).Trim().Split(':');
        var algorithm = parts[0] switch
        {
            "siphash24" => StringHashAlgorithm.SipHash24,
            "siphash13" => StringHashAlgorithm.SipHash13,
            "fnv" => StringHashAlgorithm.Fnv,
            _ => throw new InvalidDataException($"hash.txt of {version}: {parts[0]}"),
        };
        return new HashProfile(algorithm, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), 0);
    }

    /// <summary>What tools/dis/compare_dis.py compares: addresses masked, trailing blanks and blank lines dropped.</summary>
    public static string[] Normalize(string text)
    {
        var lines = text.Split('\n').Select(l => Address().Replace(l, "0x?").TrimEnd()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return [.. lines];
    }

    /// <summary>Null when equal, else the first differing line of both.</summary>
    public static string? FirstDifference(string expected, string actual)
    {
        var e = Normalize(expected);
        var a = Normalize(actual);
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string el = i < e.Length ? e[i] : "<end>";
            string al = i < a.Length ? a[i] : "<end>";
            if (el != al) return $"line {i + 1}\n  cpython: {el}\n  pyrecon: {al}";
        }
        return null;
    }

    [GeneratedRegex("0x[0-9a-fA-F]+")]
    private static partial Regex Address();
}
