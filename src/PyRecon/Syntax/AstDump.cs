using System.Text;
using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>
/// The text CPython's <c>ast.dump(tree)</c> prints (default arguments) for the same tree, per version:
/// 3.13+ leaves out None-valued optional fields and empty lists (show_empty=False); 3.9-3.12 leave out
/// None-valued optional fields only; 3.8 prints every field and wraps subscripts in Index/ExtSlice.
/// Fields newer than the version (type_params before 3.12, default_value before 3.13) are not printed.
/// Frozenset constants print in their stored order (CPython prints them in hash order).
/// </summary>
public static class AstDump
{
    public static string Dump(SyntaxNode node, PythonVersion version)
    {
        var sb = new StringBuilder();
        Node(sb, node, version);
        return sb.ToString();
    }

    /// <summary>Dump as the newest supported version (3.14) prints it.</summary>
    public static string Dump(SyntaxNode node) => Dump(node, PythonVersion.V3_14);

    private static bool Exists(SyntaxNode node, string field, PythonVersion v) => field switch
    {
        "type_params" => v >= PythonVersion.V3_12,
        "default_value" => v >= PythonVersion.V3_13,
        _ => true,
    };

    private static void Node(StringBuilder sb, SyntaxNode node, PythonVersion v)
    {
        if (v < PythonVersion.V3_9 && node is Subscript sub)
        {
            // 3.8: Subscript(value, slice=Index(value=e) | Slice(...) | ExtSlice(dims=[...]), ctx)
            sb.Append("Subscript(value=");
            Node(sb, sub.Value, v);
            sb.Append(", slice=");
            Slice38(sb, sub.Slice, v);
            sb.Append(", ctx=").Append(sub.Ctx).Append("())");
            return;
        }
        sb.Append(node.PythonName).Append('(');
        bool first = true;
        bool keepNone = node is Constant or MatchSingleton;
        foreach (var f in node.Fields)
        {
            if (!Exists(node, f.Name, v)) continue;
            if (v >= PythonVersion.V3_9 && f.IsOptional && f.Value is null) continue;
            if (v >= PythonVersion.V3_13 && !keepNone && f.Value is IReadOnlyList<object?> { Count: 0 }) continue;
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(f.Name).Append('=');
            Value(sb, f.Value, f.Kind, v);
        }
        sb.Append(')');
    }

    private static void Slice38(StringBuilder sb, ExprNode slice, PythonVersion v)
    {
        if (slice is Slice) { Node(sb, slice, v); return; }
        if (slice is Tuple t && t.Elts.Any(e => e is Slice))
        {
            sb.Append("ExtSlice(dims=[");
            for (int i = 0; i < t.Elts.Length; i++)
            {
                if (i > 0) sb.Append(", ");
                Slice38(sb, t.Elts[i], v);
            }
            sb.Append("])");
            return;
        }
        sb.Append("Index(value=");
        Node(sb, slice, v);
        sb.Append(')');
    }

    private static void Value(StringBuilder sb, object? value, SyntaxFieldKind kind, PythonVersion v)
    {
        switch (value)
        {
            case null: sb.Append("None"); break;
            case SyntaxNode n: Node(sb, n, v); break;
            case string s: sb.Append(PythonLiterals.StrRepr(s)); break;
            case int i: sb.Append(i); break;
            case PyObject o: sb.Append(Repr(o)); break;
            case Enum e: sb.Append(e).Append("()"); break;
            case IReadOnlyList<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Value(sb, list[i], kind, v);
                }
                sb.Append(']');
                break;
            default: throw new InvalidOperationException($"unexpected {kind} field value {value.GetType().Name}");
        }
    }

    /// <summary>Python's repr() of a constant value.</summary>
    public static string Repr(PyObject value) => value switch
    {
        PyNone => "None",
        PyBool b => b.Value ? "True" : "False",
        PyEllipsis => "Ellipsis",
        PyInt i => PythonLiterals.IntRepr(i.Value),
        PyFloat f => PythonLiterals.FloatRepr(f.Value),
        PyComplex c => PythonLiterals.ComplexRepr(c.Real, c.Imag),
        PyStr s => PythonLiterals.StrRepr(s.Value),
        PyBytes b => PythonLiterals.BytesRepr(b.Value.AsSpan()),
        PyTuple t => t.Items.Length == 1 ? "(" + Repr(t.Items[0]) + ",)" : "(" + string.Join(", ", t.Items.Select(Repr)) + ")",
        PyFrozenSet s => s.Items.Length == 0 ? "frozenset()" : "frozenset({" + string.Join(", ", s.Items.Select(Repr)) + "})",
        _ => throw new ArgumentException($"no repr for a {value.TypeName} constant"),
    };
}
