using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;
using PyRecon.Model;
using PyRecon.Syntax;
using PyRecon.Tests.Support;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>
/// Every node class of CPython 3.14's ast module has a C# counterpart with the same fields, in the same
/// order, of the corresponding types (read from the 3.14 interpreter, not from our spec).
/// </summary>
public sealed class SpecCoverageTests
{
    private static readonly Assembly Core = typeof(SyntaxNode).Assembly;

    private sealed record PyClass(string Base, string[] Fields, Dictionary<string, string> Types, bool Abstract);

    private static Dictionary<string, PyClass> ReadAstClasses()
    {
        Python.Require(PythonVersion.V3_14);
        var (exit, stdout, stderr) = Python.RunScript(PythonVersion.V3_14, Python.ToolPath("syntax", "ast_classes.py"), []);
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout.Trim().Split('\n').Last());
        return json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => new PyClass(
            p.Value.GetProperty("base").GetString()!,
            p.Value.GetProperty("fields").EnumerateArray().Select(f => f.GetString()!).ToArray(),
            p.Value.GetProperty("types").EnumerateObject().ToDictionary(t => t.Name, t => t.Value.GetString()!),
            p.Value.GetProperty("abstract").GetBoolean()));
    }

    private static string Pascal(string snake) => string.Concat(snake.Split('_').Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    /// <summary>The naming rule: abstract sums → PascalNode, all-field-less sums → enum Pascal, products → Pascal.</summary>
    private static Type? CSharpType(string pyName, Dictionary<string, PyClass> classes)
    {
        var c = classes[pyName];
        bool isSum = c.Abstract || classes.Values.Any(x => x.Base == pyName);
        bool isEnum = isSum && classes.Where(x => x.Value.Base == pyName).All(x => x.Value.Fields.Length == 0);
        string name = !isSum ? (c.Base == "AST" ? Pascal(pyName) : pyName) : isEnum ? Pascal(pyName) : Pascal(pyName) + "Node";
        return Core.GetType("PyRecon.Syntax." + name);
    }

    [Fact]
    public void EveryAstNodeClassOf314HasANodeTypeWithTheSameFields()
    {
        var classes = ReadAstClasses();
        Assert.True(classes.Count > 100, $"only {classes.Count} ast classes read");
        var problems = new List<string>();
        var nullability = new NullabilityInfoContext();
        foreach (var (name, c) in classes)
        {
            var type = CSharpType(name, classes);
            if (c.Base != "AST" && CSharpType(c.Base, classes) is { IsEnum: true } enumType)
            {
                if (!Enum.GetNames(enumType).Contains(name)) problems.Add($"{name}: no member of enum {enumType.Name}");
                continue;
            }
            if (type is null) { problems.Add($"{name}: no C# type"); continue; }
            if (type.IsEnum || type.IsAbstract) continue;
            var factory = typeof(SyntaxFactory).GetMethod(type.Name, BindingFlags.Public | BindingFlags.Static);
            if (factory is null) { problems.Add($"{name}: no SyntaxFactory.{type.Name}"); continue; }
            var parameters = factory.GetParameters();
            var expectedNames = c.Fields.Select(f => { var p = Pascal(f); return char.ToLowerInvariant(p[0]) + p[1..]; }).ToArray();
            if (!parameters.Select(p => p.Name).SequenceEqual(expectedNames))
            {
                problems.Add($"{name}: fields ({string.Join(", ", c.Fields)}) but factory takes ({string.Join(", ", parameters.Select(p => p.Name))})");
                continue;
            }
            for (int i = 0; i < parameters.Length; i++)
            {
                var want = c.Types[c.Fields[i]];
                var got = Describe(parameters[i], nullability, classes);
                if (!Matches(want, got)) problems.Add($"{name}.{c.Fields[i]}: Python {want}, C# {got}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>A parameter's type in Python's _field_types notation (list[ast.expr], ast.expr | None, str...).</summary>
    private static string Describe(ParameterInfo p, NullabilityInfoContext ctx, Dictionary<string, PyClass> classes)
    {
        var info = ctx.Create(p);
        string One(Type t) => t == typeof(string) ? "str" : t == typeof(int) ? "int" : t == typeof(PyObject) ? "object"
            : "ast." + classes.Keys.First(k => CSharpType(k, classes) == t);
        var type = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
            return "list[" + One(type.GetGenericArguments()[0]) + "]";
        var text = One(type);
        return info.WriteState == NullabilityState.Nullable || Nullable.GetUnderlyingType(p.ParameterType) is not null ? text + " | None" : text;
    }

    private static bool Matches(string python, string csharp)
    {
        // 3.14 prints required node fields as the bare class name ("expr"), builtins as "str"/"int"/"object".
        var normalized = python.Contains('[') || python.Contains('|') || python is "str" or "int" or "object" ? python : "ast." + python;
        // Interpolation.str is "object" in 3.14 (a str in practice); ours is a constant too.
        return normalized == csharp;
    }
}
