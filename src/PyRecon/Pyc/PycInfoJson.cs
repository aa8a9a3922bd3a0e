using System.Globalization;
using System.Text;
using PyRecon.Model;

namespace PyRecon.Pyc;

/// <summary>
/// The machine-readable view of a .pyc that <c>pyrecon info --json</c> prints, field for field what the
/// interpreter reports (tools/pyc_view.py writes the same shape from CPython itself):
/// {"python_version", "magic", "flags", "code": CODE}. Output is ASCII: other characters are \u-escaped,
/// lone surrogates included, as Python's json.dumps does.
/// </summary>
public static class PycInfoJson
{
    public static string Write(PycFile file)
    {
        var sb = new StringBuilder(4096);
        sb.Append("{\"python_version\": ");
        AppendString(sb, file.Version.ToString());
        sb.Append(", \"magic\": ").Append(file.Magic.ToString(CultureInfo.InvariantCulture));
        sb.Append(", \"flags\": ").Append(file.Flags.ToString(CultureInfo.InvariantCulture));
        sb.Append(", \"code\": ");
        AppendCode(sb, file.Code);
        return sb.Append('}').ToString();
    }

    private static void AppendCode(StringBuilder sb, CodeObject code)
    {
        sb.Append("{\"name\": "); AppendString(sb, code.Name);
        sb.Append(", \"qualname\": "); if (code.QualName is null) sb.Append("null"); else AppendString(sb, code.QualName);
        sb.Append(", \"filename\": "); AppendString(sb, code.FileName);
        AppendInt(sb, "firstlineno", code.FirstLineNo);
        AppendInt(sb, "argcount", code.ArgCount);
        AppendInt(sb, "posonlyargcount", code.PosOnlyArgCount);
        AppendInt(sb, "kwonlyargcount", code.KwOnlyArgCount);
        AppendInt(sb, "flags", (int)code.Flags);
        AppendInt(sb, "stacksize", code.StackSize);
        AppendStrings(sb, "names", code.Names);
        AppendStrings(sb, "varnames", code.VarNames);
        AppendStrings(sb, "freevars", code.FreeVars);
        AppendStrings(sb, "cellvars", code.CellVars);
        sb.Append(", \"consts\": [");
        for (int i = 0; i < code.Consts.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            AppendConst(sb, code.Consts[i]);
        }
        sb.Append("], \"line_starts\": [");
        bool first = true;
        foreach (var start in code.LineStarts)
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append('[').Append(start.Offset.ToString(CultureInfo.InvariantCulture)).Append(", ")
              .Append(start.Line is int line ? line.ToString(CultureInfo.InvariantCulture) : "null").Append(']');
        }
        sb.Append("], \"exception_table\": [");
        first = true;
        foreach (var e in code.ExceptionTable)
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append('[').Append(e.Start).Append(", ").Append(e.End).Append(", ").Append(e.Target).Append(", ")
              .Append(e.Depth).Append(", ").Append(e.Lasti ? "true" : "false").Append(']');
        }
        sb.Append("]}");
    }

    private static void AppendConst(StringBuilder sb, PyObject value)
    {
        switch (value)
        {
            case PyCode code:
                AppendCode(sb, code.Code);
                break;
            case PyTuple or PyFrozenSet:
                sb.Append("{\"type\": ");
                AppendString(sb, value.TypeName);
                sb.Append(", \"items\": [");
                var items = ((PySequence)value).Items;
                for (int i = 0; i < items.Length; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendConst(sb, items[i]);
                }
                sb.Append("]}");
                break;
            default:
                sb.Append("{\"type\": ");
                AppendString(sb, value.TypeName);
                sb.Append(", \"repr\": ");
                AppendString(sb, PyRepr.Repr(value));
                sb.Append('}');
                break;
        }
    }

    private static void AppendInt(StringBuilder sb, string key, int value) =>
        sb.Append(", \"").Append(key).Append("\": ").Append(value.ToString(CultureInfo.InvariantCulture));

    private static void AppendStrings(StringBuilder sb, string key, IReadOnlyList<string> values)
    {
        sb.Append(", \"").Append(key).Append("\": [");
        for (int i = 0; i < values.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            AppendString(sb, values[i]);
        }
        sb.Append(']');
    }

    /// <summary>A JSON string literal, ASCII only (like json.dumps with ensure_ascii).</summary>
    public static void AppendString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
