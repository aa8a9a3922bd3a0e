using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using PyRecon.Model;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Bytecode;

/// <summary>Builds <see cref="CodeObject"/>s from the JSON that Bytecode/dump_code.py prints.</summary>
internal static class CodeJson
{
    public static string Script => Path.Combine(Python.RepoRoot, "tests", "PyRecon.Tests", "Bytecode", "dump_code.py");
    public static string Fixture(string name) => Path.Combine(Python.RepoRoot, "tests", "PyRecon.Tests", "Bytecode", "Fixtures", name);

    /// <summary>Runs dump_code.py under a version and parses its output.</summary>
    public static JsonElement Run(PythonVersion version, params string[] args)
    {
        Python.Require(version);
        var outFile = Path.Combine(Path.GetTempPath(), $"pyrecon-dump-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, _, stderr) = Python.RunScript(version, Script, [.. args, "--out", outFile]);
            Assert.True(exit == 0, $"dump_code.py {string.Join(' ', args)} failed under {version}: {stderr}");
            return JsonDocument.Parse(File.ReadAllText(outFile)).RootElement.Clone();
        }
        finally
        {
            File.Delete(outFile);
        }
    }

    public static CodeObject ToCode(PythonVersion version, JsonElement e, string codeField = "code")
    {
        ImmutableArray<string> Strings(string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetString()!).ToImmutableArray();
        var varNames = Strings("varnames");
        var cellVars = Strings("cellvars");
        var freeVars = Strings("freevars");
        ImmutableArray<LocalVariable> localsPlus;
        if (version >= PythonVersion.V3_11)
            localsPlus = e.GetProperty("localsplus").EnumerateArray().Select(x => new LocalVariable(x[0].GetString()!, (LocalKind)x[1].GetInt32())).ToImmutableArray();
        else
            localsPlus = varNames.Select(n => new LocalVariable(n, LocalKind.Local))
                .Concat(cellVars.Select(n => new LocalVariable(n, LocalKind.Cell)))
                .Concat(freeVars.Select(n => new LocalVariable(n, LocalKind.Free))).ToImmutableArray();
        return new CodeObject(version,
            e.GetProperty("argcount").GetInt32(), e.GetProperty("posonlyargcount").GetInt32(), e.GetProperty("kwonlyargcount").GetInt32(),
            e.GetProperty("stacksize").GetInt32(), (CodeFlags)e.GetProperty("flags").GetInt32(),
            Hex(e.GetProperty(codeField).GetString()!),
            e.GetProperty("consts").EnumerateArray().Select(c => Const(version, c)).ToImmutableArray(),
            Strings("names"), localsPlus, varNames, cellVars, freeVars,
            e.GetProperty("filename").GetString()!, e.GetProperty("name").GetString()!,
            e.GetProperty("qualname").ValueKind == JsonValueKind.Null ? null : e.GetProperty("qualname").GetString(),
            e.GetProperty("firstlineno").GetInt32(),
            Hex(e.GetProperty("linetable").GetString()!), Hex(e.GetProperty("exceptiontable").GetString()!));
    }

    public static ImmutableArray<byte> Hex(string hex) => Convert.FromHexString(hex).ToImmutableArray();

    private static PyObject Const(PythonVersion version, JsonElement c)
    {
        var v = c.TryGetProperty("v", out var value) ? value : default;
        return c.GetProperty("t").GetString() switch
        {
            "none" => PyNone.Instance,
            "ellipsis" => PyEllipsis.Instance,
            "bool" => v.GetBoolean() ? PyBool.True : PyBool.False,
            "int" => new PyInt(BigInteger.Parse(v.GetString()!, CultureInfo.InvariantCulture)),
            "float" => new PyFloat(double.Parse(v.GetString()!, CultureInfo.InvariantCulture)),
            "complex" => new PyComplex(v[0].GetDouble(), v[1].GetDouble()),
            "str" => new PyStr(v.GetString()!),
            "bytes" => new PyBytes(Hex(v.GetString()!)),
            "tuple" => new PyTuple(v.EnumerateArray().Select(x => Const(version, x)).ToImmutableArray()),
            "frozenset" => new PyFrozenSet(v.EnumerateArray().Select(x => Const(version, x)).ToImmutableArray()),
            "code" => new PyCode(ToCode(version, v)),
            var t => throw new InvalidDataException($"unknown constant type {t}"),
        };
    }
}
