using System.Text;
using PyRecon.Model;

namespace PyRecon.Pyc;

/// <summary>The human-readable <c>pyrecon info</c>: header facts, then the code-object tree.</summary>
public static class PycInfoText
{
    public static string Write(PycFile file, string path)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"File:            {path}");
        sb.AppendLine($"Python version:  {file.Version}");
        if (file.Header is { } h)
        {
            sb.AppendLine($"Magic:           {h.Magic}");
            sb.AppendLine($"Flags:           0x{h.Flags:x} ({(h.IsHashBased ? (h.CheckSource ? "hash-based, checked" : "hash-based, unchecked") : "timestamp-based")})");
            if (h.IsHashBased) sb.AppendLine($"Source hash:     {h.SourceHash:x16}");
            else
            {
                string when = h.Timestamp == 0 ? "0 (zeroed)" : $"{h.Timestamp} ({DateTimeOffset.FromUnixTimeSeconds(h.Timestamp).UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)";
                sb.AppendLine($"Source mtime:    {when}");
                sb.AppendLine($"Source size:     {h.SourceSize}");
            }
        }
        else sb.AppendLine("Header:          none (headerless marshal data)");
        sb.AppendLine();
        AppendCode(sb, file.Code, "");
        return sb.ToString();
    }

    private static void AppendCode(StringBuilder sb, CodeObject code, string indent)
    {
        sb.AppendLine($"{indent}code {code.QualName ?? code.Name} (line {code.FirstLineNo}, {code.Code.Length / 2} code units)");
        string i2 = indent + "  ";
        sb.AppendLine($"{i2}flags: {DescribeFlags(code.Flags)}");
        sb.AppendLine($"{i2}args: {code.ArgCount} (posonly {code.PosOnlyArgCount}, kwonly {code.KwOnlyArgCount}); stack size {code.StackSize}");
        if (code.Names.Length > 0) sb.AppendLine($"{i2}names: {string.Join(", ", code.Names)}");
        if (code.VarNames.Length > 0) sb.AppendLine($"{i2}varnames: {string.Join(", ", code.VarNames)}");
        if (code.CellVars.Length > 0) sb.AppendLine($"{i2}cellvars: {string.Join(", ", code.CellVars)}");
        if (code.FreeVars.Length > 0) sb.AppendLine($"{i2}freevars: {string.Join(", ", code.FreeVars)}");
        var consts = code.Consts.Where(c => c is not PyCode).Select(PyRepr.Repr).ToList();
        if (consts.Count > 0) sb.AppendLine($"{i2}consts: {string.Join(", ", consts)}");
        if (code.ExceptionTable.Length > 0)
            sb.AppendLine($"{i2}exception table: {string.Join(", ", code.ExceptionTable.Select(e => $"{e.Start}-{e.End} -> {e.Target} [{e.Depth}]{(e.Lasti ? " lasti" : "")}"))}");
        foreach (var nested in code.NestedCode) AppendCode(sb, nested, i2);
    }

    private static string DescribeFlags(CodeFlags flags)
    {
        if (flags == CodeFlags.None) return "0";
        var names = Enum.GetValues<CodeFlags>().Where(f => f != CodeFlags.None && flags.HasFlag(f)).Select(f => f.ToString().ToUpperInvariant());
        int known = Enum.GetValues<CodeFlags>().Aggregate(0, (a, f) => a | (int)f);
        int unknown = (int)flags & ~known;
        var all = names.ToList();
        if (unknown != 0) all.Add($"0x{unknown:x}");
        return $"0x{(int)flags:x} ({string.Join(" | ", all)})";
    }
}
