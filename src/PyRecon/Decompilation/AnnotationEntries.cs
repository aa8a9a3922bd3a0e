using PyRecon.Model;
using PyRecon.Syntax;

namespace PyRecon.Decompilation;

/// <summary>One annotation a 3.14 __annotate__ function returns: name, value, source line, and for module-level
/// annotations the index its assignment records in __conditional_annotations__.</summary>
internal sealed record AnnotationEntry(string Name, ExprNode Value, int Line, int? ConditionalIndex);

/// <summary>
/// Reads the decompiled body of a 3.14 `__annotate__(format)` function (PEP 649): after the
/// `if format > 2: raise NotImplementedError` guard, either `return {'name': value, ...}` (functions) or
/// `{}['name'] = value` stores into the returned dict, each under `if i in __conditional_annotations__:` at
/// module level.
/// </summary>
internal static class AnnotationEntries
{
    public static List<AnnotationEntry> Parse(List<StmtNode> body, IReadOnlyDictionary<StmtNode, int>? lines = null)
    {
        var result = new List<AnnotationEntry>();
        foreach (var stmt in body)
            Read(stmt, null, result, lines);
        return result;
    }

    /// <summary>3.14's `if format > 2: raise NotImplementedError` that opens __annotate__ and lazily evaluated values.</summary>
    public static bool IsFormatGuard(StmtNode stmt) => stmt is If { Test: Compare { Left: Name { Id: "format" } } };

    private static void Read(StmtNode stmt, int? conditional, List<AnnotationEntry> result, IReadOnlyDictionary<StmtNode, int>? lines)
    {
        int line = lines is not null && lines.TryGetValue(stmt, out int l) ? l : 0;
        switch (stmt)
        {
            case var guard when IsFormatGuard(guard):
                return;
            case If { Test: Compare { Left: Constant { Value: PyInt index }, Ops: [Cmpop.In], Comparators: [Name { Id: "__conditional_annotations__" }] } } i:
                foreach (var inner in i.Body) Read(inner, (int)index.Value, result, lines);
                return;
            case Return { Value: Dict d }:
                for (int k = 0; k < d.Keys.Length; k++)
                    if (d.Keys[k] is Constant { Value: PyStr name }) result.Add(new AnnotationEntry(name.Value, d.Values[k], line, conditional));
                    else throw new DecompileFailure("annotations", "an __annotate__ entry without a constant name");
                return;
            case Assign { Targets: [Subscript { Value: Dict, Slice: Constant { Value: PyStr name } }], Value: var value }:
                result.Add(new AnnotationEntry(name.Value, value, line, conditional));
                return;
            case Return:
                return;
            default:
                throw new DecompileFailure("annotations", $"unexpected {stmt.PythonName} in an __annotate__ function");
        }
    }
}
