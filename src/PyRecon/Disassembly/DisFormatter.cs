using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Disassembly;

/// <summary>
/// One code object's listing, laid out the way a dis.py generation does it. Two strategies:
/// <see cref="MarkerFormatter"/> (3.8-3.12: offsets, "&gt;&gt;" jump-target markers, "to 40") and
/// <see cref="LabelFormatter"/> (3.13+: the Formatter class, labels "L1:", "to L1", no offsets).
/// </summary>
internal abstract class DisFormatter
{
    // dis._OPNAME_WIDTH / dis._OPARG_WIDTH
    protected const int OpnameWidth = 20;
    protected const int OpargWidth = 5;

    protected DisFormatter(DisStyle style, ConstRepr constRepr)
    {
        Style = style;
        Consts = constRepr;
    }

    public DisStyle Style { get; }
    public ConstRepr Consts { get; }

    public static DisFormatter For(DisStyle style, ConstRepr constRepr) =>
        style.UsesLabels ? new LabelFormatter(style, constRepr) : new MarkerFormatter(style, constRepr);

    /// <summary>Appends the listing of <paramref name="code"/> alone (no nested code objects).</summary>
    public abstract void Write(CodeObject code, ImmutableArray<Instruction> instructions, StringBuilder output);

    /// <summary>dict(dis.findlinestarts(code)): later entries for one offset win, as dict() keeps the last.</summary>
    protected static Dictionary<int, int?> LineStartMap(CodeObject code)
    {
        var map = new Dictionary<int, int?>();
        foreach (var start in code.LineStarts) map[start.Offset] = start.Line;
        return map;
    }

    /// <summary>findlabels(co_code): every jump target, in the version's offset arithmetic (the decoder's).</summary>
    protected static HashSet<int> JumpTargets(ImmutableArray<Instruction> instructions)
    {
        var targets = new HashSet<int>();
        foreach (var ins in instructions)
            if (ins.Argument is JumpArgument j) targets.Add(j.Target);
        return targets;
    }

    /// <summary>The opname, argument and argrepr columns shared by both layouts.</summary>
    protected void AppendOperation(StringBuilder line, Instruction ins, int opargWidth, Func<int, string> jumpText)
    {
        // dis prints _all_opname[op]: the name of the byte actually present.
        string name = ins.RawOpcode.Name;
        line.Append(name);
        if (name.Length < OpnameWidth) line.Append(' ', OpnameWidth - name.Length);
        if (!ins.Opcode.HasArg) return;
        line.Append(' ');
        string arg = ins.Arg.ToString(CultureInfo.InvariantCulture);
        if (arg.Length < opargWidth) line.Append(' ', opargWidth - arg.Length);
        line.Append(arg);
        string argrepr = ArgRepr.For(ins, Style, Consts, jumpText);
        if (argrepr.Length > 0) line.Append(" (").Append(argrepr).Append(')');
    }

    /// <summary>Ends a line the way print(' '.join(fields).rstrip()) does.</summary>
    protected static void EndLine(StringBuilder output, StringBuilder line)
    {
        int end = line.Length;
        while (end > 0 && char.IsWhiteSpace(line[end - 1])) end--;
        output.Append(line, 0, end).Append('\n');
        line.Clear();
    }

    protected static string PadLeft(string text, int width) => text.Length >= width ? text : new string(' ', width - text.Length) + text;

    protected static int DigitCount(int value) => value.ToString(CultureInfo.InvariantCulture).Length;
}

/// <summary>Instruction._disassemble and _disassemble_bytes of 3.8-3.12.</summary>
internal sealed class MarkerFormatter(DisStyle style, ConstRepr constRepr) : DisFormatter(style, constRepr)
{
    public override void Write(CodeObject code, ImmutableArray<Instruction> instructions, StringBuilder output)
    {
        var lineStarts = LineStartMap(code);
        // show_lineno = bool(linestarts); 3.8-3.9 test "is not None", but their findlinestarts never yields nothing.
        int linenoWidth = 0;
        if (lineStarts.Count > 0)
        {
            int maxLine = lineStarts.Values.Max(v => v ?? int.MinValue);
            linenoWidth = maxLine >= 1000 ? DigitCount(maxLine) : 3;
        }
        int maxOffset = code.Code.Length - 2;
        int offsetWidth = maxOffset >= 10000 ? DigitCount(maxOffset) : 4;

        var marked = JumpTargets(instructions);
        // 3.11-3.12 also mark handler targets (only of non-empty ranges: the loop runs over range(start, end)).
        foreach (var entry in code.ExceptionTable)
            if (entry.Start < entry.End) marked.Add(entry.Target);

        Func<int, string> jumpText = target => target.ToString(CultureInfo.InvariantCulture);
        var line = new StringBuilder(96);
        foreach (var ins in instructions)
        {
            bool startsLine = lineStarts.TryGetValue(ins.Offset, out int? lineNo) && lineNo is not null;
            if (linenoWidth > 0 && startsLine && ins.Offset > 0) output.Append('\n');
            if (linenoWidth > 0)
            {
                if (startsLine) line.Append(PadLeft(lineNo!.Value.ToString(CultureInfo.InvariantCulture), linenoWidth));
                else line.Append(' ', linenoWidth);
                line.Append(' ');
            }
            line.Append("   ").Append(' ');
            line.Append(marked.Contains(ins.Offset) ? ">>" : "  ").Append(' ');
            line.Append(PadLeft(ins.Offset.ToString(CultureInfo.InvariantCulture), offsetWidth)).Append(' ');
            AppendOperation(line, ins, OpargWidth, jumpText);
            EndLine(output, line);
        }

        var table = code.ExceptionTable;
        if (table.Length > 0)
        {
            output.Append("ExceptionTable:\n");
            foreach (var e in table)
                output.Append(CultureInfo.InvariantCulture, $"  {e.Start} to {e.End - 2} -> {e.Target} [{e.Depth}]{(e.Lasti ? " lasti" : "")}\n");
        }
    }
}

/// <summary>The Formatter / ArgResolver / _make_labels_map of 3.13+ (show_offsets and show_caches off, as dis.dis defaults).</summary>
internal sealed class LabelFormatter(DisStyle style, ConstRepr constRepr) : DisFormatter(style, constRepr)
{
    private const string NoLineNo = "  --"; // dis._NO_LINENO

    public override void Write(CodeObject code, ImmutableArray<Instruction> instructions, StringBuilder output)
    {
        var lineStarts = LineStartMap(code);
        int linenoWidth = LinenoWidth(lineStarts);

        var table = code.ExceptionTable;
        var labelled = JumpTargets(instructions);
        foreach (var e in table)
        {
            labelled.Add(e.Start);
            labelled.Add(e.End);
            labelled.Add(e.Target);
        }
        var sorted = labelled.ToList();
        sorted.Sort();
        var labels = new Dictionary<int, int>(sorted.Count);
        for (int i = 0; i < sorted.Count; i++) labels[sorted[i]] = i + 1;
        int labelWidth = 4 + DigitCount(labels.Count);

        Func<int, string> jumpText = target => labels.TryGetValue(target, out int l) ? "L" + l.ToString(CultureInfo.InvariantCulture) : "L?";
        var line = new StringBuilder(96);
        foreach (var ins in instructions)
        {
            bool startsLine = lineStarts.TryGetValue(ins.Offset, out int? lineNo);
            if (linenoWidth > 0 && startsLine && ins.Offset > 0) output.Append('\n');
            if (linenoWidth > 0)
            {
                if (startsLine) line.Append(PadLeft(lineNo is int n ? n.ToString(CultureInfo.InvariantCulture) : NoLineNo, linenoWidth));
                else line.Append(' ', linenoWidth);
                line.Append(' ');
            }
            if (labels.TryGetValue(ins.Offset, out int label)) line.Append(PadLeft($"L{label}:", labelWidth));
            else line.Append(' ', labelWidth);
            line.Append(' ').Append("   ").Append(' ');
            // Names longer than the column eat into the argument's width (opname_excess).
            int excess = Math.Max(0, ins.RawOpcode.Name.Length - OpnameWidth);
            AppendOperation(line, ins, OpargWidth - excess, jumpText);
            EndLine(output, line);
        }

        if (table.Length > 0)
        {
            output.Append("ExceptionTable:\n");
            foreach (var e in table)
                output.Append(CultureInfo.InvariantCulture, $"  L{labels[e.Start]} to L{labels[e.End]} -> L{labels[e.Target]} [{e.Depth}]{(e.Lasti ? " lasti" : "")}\n");
        }
    }

    /// <summary>_get_lineno_width: widest non-zero line (at least 3), 4 when some line start has no line ("  --").</summary>
    private static int LinenoWidth(Dictionary<int, int?> lineStarts)
    {
        int? max = null;
        bool hasNone = false;
        foreach (var v in lineStarts.Values)
        {
            if (v is null) hasNone = true;
            else if (v.Value != 0 && (max is null || v.Value > max)) max = v.Value; // filter(None, ...) also drops line 0
        }
        if (max is null or -1) return 0; // max(..., default=-1) == -1
        int width = Math.Max(3, DigitCount(max.Value));
        if (width < NoLineNo.Length && hasNone) width = NoLineNo.Length;
        return width;
    }
}
