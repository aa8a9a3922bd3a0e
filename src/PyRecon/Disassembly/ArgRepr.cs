using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Disassembly;

/// <summary>
/// The argrepr column of dis (the text in parentheses), per argument kind, following
/// _get_instructions_bytes (3.8-3.12) and ArgResolver.get_argval_argrepr (3.13+).
/// </summary>
public static class ArgRepr
{
    /// <param name="constRepr">repr() of constants (set order depends on the interpreter's hashes).</param>
    /// <param name="jumpText">How a jump target offset is named ("to 40" / "L3"): the formatter's business.</param>
    public static string For(Instruction instruction, DisStyle style, ConstRepr constRepr, Func<int, string> jumpText)
    {
        var op = instruction.Opcode;
        switch (instruction.Argument)
        {
            case ConstArgument c:
                return style.OnlyLoadConstHasConstRepr && op.Name != "LOAD_CONST" ? "" : constRepr.Repr(c.Value);
            case NameArgument n:
                return NameWithNull(n, op.ArgKind, style);
            case LocalArgument l:
                return l.Name;
            case LocalPairArgument p:
                return p.First.Name + ", " + p.Second.Name;
            case FreeArgument f:
                return f.Name;
            case JumpArgument { Direction: JumpDirection.Absolute } when !style.ShowsAbsoluteJumpTargets:
                return "";
            case JumpArgument j:
                return (op.Name == style.FromJumpOpcode ? "from " : "to ") + jumpText(j.Target);
            case CompareArgument c:
                return c.CoerceToBool ? $"bool({c.Operator})" : c.Operator;
            // (the spec's common_const table already holds dis's text, e.g. "<built-in function all>")
            case TableArgument t:
                return t.Value;
            case InvertArgument i when style.NamesInvertedTests:
                return op.Name == "IS_OP" ? (i.Inverted ? "is not" : "is") : (i.Inverted ? "not in" : "in");
            case FormatArgument when op.ArgKind == ArgKind.Interpolation:
                return ""; // 3.14's dis has no argrepr for BUILD_INTERPOLATION
            case FormatArgument f:
                // FORMAT_VALUE_CONVERTERS[arg & 3] then ", with format" (no comma when there is no conversion).
                return f.HasSpec ? (f.ConversionName.Length > 0 ? f.ConversionName + ", with format" : "with format") : f.ConversionName;
            case FunctionFlagsArgument flags:
                return string.Join(", ", flags.Names);
            default:
                // Counts, RESUME, UNPACK_EX, EXTENDED_ARG, LOAD_SMALL_INT (not in hasconst: its
                // _get_const_info branch is never reached), IS_OP/CONTAINS_OP before 3.14: the number alone.
                return "";
        }
    }

    private static string NameWithNull(NameArgument n, ArgKind kind, DisStyle style)
    {
        // Bit 0 means "push NULL" for LOAD_GLOBAL and "method load" for LOAD_ATTR / LOAD_SUPER_ATTR (3.12+);
        // dis only decorates the name for those, so a plain LOAD_ATTR (3.11) stays bare.
        string? mark = kind switch
        {
            ArgKind.GlobalName when n.PushNull => "NULL",
            ArgKind.AttrName or ArgKind.SuperAttrName when n.IsMethod => "NULL|self",
            _ => null,
        };
        if (mark is null || n.Name.Length == 0) return n.Name; // dis: "if (arg & 1) and argrepr"
        return style.NullMark == NullMarkStyle.Prefix ? $"{mark} + {n.Name}" : $"{n.Name} + {mark}";
    }
}
