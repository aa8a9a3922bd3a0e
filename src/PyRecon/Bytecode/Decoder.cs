using System.Buffers;
using System.Runtime.InteropServices;
using System.Collections.Immutable;
using PyRecon.Model;

namespace PyRecon.Bytecode;

/// <summary>Options for <see cref="Decoder.Decode(CodeObject, DecodeOptions?)"/>.</summary>
public sealed record DecodeOptions
{
    public static readonly DecodeOptions Default = new();

    /// <summary>
    /// Also emit every EXTENDED_ARG prefix as an instruction of its own, with the partially folded argument
    /// dis shows for it (the instruction it prefixes still carries the fully folded one and lists it in
    /// <see cref="Instruction.Prefixes"/>). Jump targets then resolve to the first prefix, as dis labels them.
    /// </summary>
    public bool KeepExtendedArgs { get; init; }
}

/// <summary>Thrown for bytecode the version's spec cannot decode (an opcode byte it does not define).</summary>
public sealed class BytecodeFormatException(string message, int offset) : FormatException(message)
{
    public int Offset { get; } = offset;
}

/// <summary>
/// Turns co_code into instructions using the generated opcode table of the code object's version:
/// EXTENDED_ARG folded, inline CACHE entries skipped, specialized/instrumented opcodes mapped to their
/// family base, arguments resolved against the code object.
/// </summary>
public static class Decoder
{
    /// <remarks>Not kept on the code object: a module's code objects live until its file is written, and every
    /// decoded instruction of the file would live (and be copied by each collection) with them.</remarks>
    public static ImmutableArray<Instruction> Decode(CodeObject code, DecodeOptions? options = null) => Decode(code, code.Code, options);

    /// <summary>
    /// Decodes <paramref name="bytecode"/> (e.g. the adaptive <c>_co_code_adaptive</c> of a warmed-up function)
    /// with <paramref name="code"/>'s version, constants, names, variables and line table.
    /// </summary>
    public static ImmutableArray<Instruction> Decode(CodeObject code, ImmutableArray<byte> bytecode, DecodeOptions? options = null)
    {
        options ??= DecodeOptions.Default;
        var table = OpcodeTable.For(code.Version);
        // The drafts live only during this call: their buffer is pooled.
        var drafts = Scan(table, bytecode, options.KeepExtendedArgs, out int count);
        try
        {
            // Jump targets resolve to the instruction that starts at the target (its first prefix when kept).
            using var indexAt = OffsetIndex.Of(count, i => (drafts[i].Offset, drafts[i].StartOffset));
            var lines = new LineLookup(code);
            var result = ImmutableArray.CreateBuilder<Instruction>(count);
            for (int i = 0; i < count; i++)
            {
                var d = drafts[i];
                // Most instructions have no EXTENDED_ARG prefix: don't allocate for them.
                var prefixes = ImmutableArray<Instruction>.Empty;
                if (d.Prefixes.Length > 0)
                {
                    var made = new Instruction[d.Prefixes.Length];
                    for (int k = 0; k < made.Length; k++)
                        made[k] = MakeInstruction(d.Prefixes[k], -1, code, table, indexAt, lines, ImmutableArray<Instruction>.Empty);
                    prefixes = ImmutableCollectionsMarshal.AsImmutableArray(made);
                }
                result.Add(MakeInstruction(d, i, code, table, indexAt, lines, prefixes));
            }
            return result.MoveToImmutable();
        }
        finally
        {
            ArrayPool<Draft>.Shared.Return(drafts, clearArray: true);
        }
    }

    private readonly record struct Draft(int Offset, int StartOffset, OpcodeInfo Raw, int Arg, int CacheCount, Draft[] Prefixes);

    /// <summary>How many instructions <see cref="Decode(CodeObject, DecodeOptions?)"/> would make, counted without
    /// decoding (inline caches and EXTENDED_ARG prefixes skipped; an unknown byte counts as one): for sizing.</summary>
    internal static int CountInstructions(CodeObject code)
    {
        int count = 0;
        for (var walk = new RawWalk(code); walk.MoveNext();)
            if (walk.Opcode is not { Handler: OpcodeHandler.ExtendedArg }) count++;
        return count;
    }

    /// <summary>The co_names entries that the instructions of <paramref name="code"/> matching <paramref name="opcodes"/>
    /// (base opcodes whose argument is a co_names index) name, found without decoding; empty when the bytecode is not
    /// this version's.</summary>
    internal static List<string> NamesUsedBy(CodeObject code, Func<OpcodeInfo, bool> opcodes)
    {
        var names = new List<string>();
        for (var walk = new RawWalk(code); walk.MoveNext();)
        {
            if (walk.Opcode is not { } info) return [];
            if (info.Handler != OpcodeHandler.ExtendedArg && opcodes(info) && (uint)walk.Arg < (uint)code.Names.Length) names.Add(code.Names[walk.Arg]);
        }
        return names;
    }

    /// <summary>
    /// The code's instructions read straight off the bytes, for the scans that need no decoding: each base opcode (null
    /// for a byte that is not one of this version's, which is then taken as one code unit) and its argument with the
    /// EXTENDED_ARG prefixes before it folded in; inline caches skipped.
    /// </summary>
    private struct RawWalk(CodeObject code)
    {
        private readonly OpcodeTable _table = OpcodeTable.For(code.Version);
        private readonly ImmutableArray<byte> _bytes = code.Code;
        private int _next, _extended;

        public OpcodeInfo? Opcode { get; private set; }
        public int Arg { get; private set; }

        public bool MoveNext()
        {
            int i = _next;
            if (i + 1 >= _bytes.Length) return false;
            Opcode = _table[_bytes[i]]?.Base;
            Arg = unchecked(_bytes[i + 1] | _extended);
            _extended = Opcode is { Handler: OpcodeHandler.ExtendedArg } ? unchecked(Arg << 8) : 0;
            _next = i + 2 + 2 * (Opcode is null ? 0 : CachesAt(Opcode, _bytes.Length, i));
            return true;
        }
    }

    /// <summary>The inline cache units after the instruction at <paramref name="offset"/> (fewer where the code ends first).</summary>
    private static int CachesAt(OpcodeInfo info, int codeLength, int offset) => Math.Max(0, Math.Min(info.CacheEntries, (codeLength - offset - 2) / 2));

    private static Draft[] Scan(OpcodeTable table, ImmutableArray<byte> code, bool keepExtendedArgs, out int count)
    {
        // Every draft takes at least two bytes of code.
        var drafts = ArrayPool<Draft>.Shared.Rent(code.Length / 2 + 1);
        count = 0;
        List<Draft>? pending = null;
        int ext = 0;
        int i = 0;
        try
        {
            while (i + 1 < code.Length)
            {
                byte op = code[i];
                var raw = table[op] ?? throw new BytecodeFormatException($"byte {op} at offset {i} is not a CPython {table.Version} opcode", i);
                var info = raw.Base;
                int arg = unchecked(code[i + 1] | ext);
                int caches = CachesAt(info, code.Length, i);
                if (info.Handler == OpcodeHandler.ExtendedArg)
                {
                    var prefix = new Draft(i, i, raw, arg, caches, []);
                    (pending ??= []).Add(prefix);
                    if (keepExtendedArgs) drafts[count++] = prefix;
                    ext = unchecked(arg << 8);
                }
                else
                {
                    bool prefixed = pending is { Count: > 0 };
                    int start = prefixed ? pending![0].Offset : i;
                    drafts[count++] = new Draft(i, start, raw, arg, caches, prefixed ? [.. pending!] : []);
                    pending?.Clear();
                    ext = 0;
                }
                i += 2 + 2 * caches;
            }
        }
        catch
        {
            ArrayPool<Draft>.Shared.Return(drafts, clearArray: true);
            throw;
        }
        // Trailing EXTENDED_ARGs with nothing to prefix are kept as instructions of their own.
        if (!keepExtendedArgs && pending is not null)
            foreach (var p in pending) drafts[count++] = p;
        return drafts;
    }

    private static Instruction MakeInstruction(Draft d, int index, CodeObject code, OpcodeTable table,
        OffsetIndex indexAt, LineLookup lines, ImmutableArray<Instruction> prefixes)
    {
        var info = d.Raw.Base;
        int end = d.Offset + 2 + 2 * d.CacheCount;
        return new Instruction
        {
            Index = index,
            Offset = d.Offset,
            StartOffset = d.StartOffset,
            Opcode = info,
            RawOpcode = d.Raw,
            Arg = d.Arg,
            Argument = Resolve(info, d.Arg, end, code, table, indexAt),
            CacheCount = d.CacheCount,
            Line = lines.LineAt(d.Offset),
            IsLineStart = lines.StartsIn(d.StartOffset, d.Offset),
            Prefixes = prefixes,
        };
    }

    /// <summary>Resolves an argument of <paramref name="info"/>'s kind; <paramref name="end"/> is the offset after the caches.</summary>
    internal static InstructionArgument Resolve(OpcodeInfo info, int arg, int end, CodeObject code, OpcodeTable table, OffsetIndex? indexAt = null)
    {
        switch (info.ArgKind)
        {
            case ArgKind.None: return NoArgument.Instance;
            case ArgKind.Int: return new IntArgument(arg);
            case ArgKind.SmallInt: return new IntArgument(arg);
            case ArgKind.Const:
                return InRange(arg, code.Consts.Length) ? new ConstArgument(arg, code.Consts[arg]) : Invalid(arg, "constant", code.Consts.Length);
            case ArgKind.Name: return Name(arg, arg, code);
            case ArgKind.GlobalName: return Name(arg, arg >> 1, code, pushNull: (arg & 1) != 0);
            case ArgKind.AttrName: return Name(arg, arg >> 1, code, isMethod: (arg & 1) != 0);
            case ArgKind.SuperAttrName: return Name(arg, arg >> 2, code, isMethod: (arg & 1) != 0, twoArg: (arg & 2) != 0);
            case ArgKind.Local: return (InstructionArgument?)Local(arg, code) ?? Invalid(arg, "local", LocalCount(code));
            case ArgKind.LocalPair:
            {
                var first = Local(arg >> 4, code);
                var second = Local(arg & 15, code);
                return first is null || second is null ? Invalid(arg, "local pair", LocalCount(code)) : new LocalPairArgument(first, second);
            }
            case ArgKind.Free:
                return InRange(arg, code.CellAndFreeVars.Length) ? new FreeArgument(arg, code.CellAndFreeVars[arg], false) : Invalid(arg, "cell/free variable", code.CellAndFreeVars.Length);
            case ArgKind.FreeLocalsPlus:
                return InRange(arg, code.LocalsPlus.Length) ? new FreeArgument(arg, code.LocalsPlus[arg].Name, true) : Invalid(arg, "cell/free variable", code.LocalsPlus.Length);
            case ArgKind.JumpForward: return Jump(end + arg * table.JumpUnit, JumpDirection.Forward, indexAt);
            case ArgKind.JumpBackward: return Jump(end - arg * table.JumpUnit, JumpDirection.Backward, indexAt);
            case ArgKind.JumpAbsolute: return Jump(arg * table.JumpUnit, JumpDirection.Absolute, indexAt);
            case ArgKind.Compare:
            {
                var ops = table.Table("cmp_op");
                int op = arg >> table.CompareShift;
                return InRange(op, ops.Length)
                    ? new CompareArgument(op, ops[op], table.CompareBoolMask != 0 && (arg & table.CompareBoolMask) != 0)
                    : Invalid(arg, "comparison", ops.Length);
            }
            case ArgKind.BinaryOp: return TableEntry("nb_op", arg, table);
            case ArgKind.Intrinsic1: return TableEntry("intrinsic1", arg, table);
            case ArgKind.Intrinsic2: return TableEntry("intrinsic2", arg, table);
            case ArgKind.Conversion: return TableEntry("conversion", arg, table);
            case ArgKind.CommonConstant: return TableEntry("common_const", arg, table);
            case ArgKind.SpecialMethod: return TableEntry("special_method", arg, table);
            case ArgKind.Invert: return new InvertArgument(arg != 0);
            case ArgKind.FormatValue:
            {
                var conversions = table.Table("conversion");
                int conversion = arg & 3;
                return new FormatArgument(conversion, conversion < conversions.Length ? conversions[conversion] : "", (arg & 4) != 0);
            }
            case ArgKind.Interpolation:
            {
                var conversions = table.Table("conversion");
                int conversion = arg >> 2;
                return conversion < conversions.Length
                    ? new FormatArgument(conversion, conversions[conversion], (arg & 1) != 0)
                    : Invalid(arg, "conversion", conversions.Length);
            }
            case ArgKind.MakeFunction:
            case ArgKind.FunctionAttribute:
            {
                var flags = table.Table("function_flags");
                var names = ImmutableArray.CreateBuilder<string>();
                for (int bit = 0; bit < 31; bit++)
                {
                    if ((arg & (1 << bit)) == 0) continue;
                    if (bit >= flags.Length) return Invalid(arg, "function flag", flags.Length);
                    names.Add(flags[bit]);
                }
                return new FunctionFlagsArgument(arg, names.ToImmutable());
            }
            case ArgKind.Resume: return new ResumeArgument((ResumeWhere)(arg & 3), arg & ~3);
            case ArgKind.UnpackEx: return new UnpackExArgument(arg & 0xFF, arg >> 8);
            default: throw new InvalidOperationException($"argument kind {info.ArgKind} of {info.Name} has no resolver");
        }
    }

    private static bool InRange(int index, int count) => index >= 0 && index < count;

    private static InvalidArgument Invalid(int arg, string what, int count) => new(arg, $"{what} index out of range (have {count})");

    private static InstructionArgument Name(int arg, int index, CodeObject code, bool pushNull = false, bool isMethod = false, bool twoArg = false) =>
        InRange(index, code.Names.Length) ? new NameArgument(index, code.Names[index], pushNull, isMethod, twoArg) : Invalid(arg, "name", code.Names.Length);

    private static int LocalCount(CodeObject code) => code.Version >= PythonVersion.V3_11 ? code.LocalsPlus.Length : code.VarNames.Length;

    private static LocalArgument? Local(int index, CodeObject code)
    {
        if (code.Version >= PythonVersion.V3_11)
            return InRange(index, code.LocalsPlus.Length) ? new LocalArgument(index, code.LocalsPlus[index].Name) : null;
        return InRange(index, code.VarNames.Length) ? new LocalArgument(index, code.VarNames[index]) : null;
    }

    private static InstructionArgument TableEntry(string name, int arg, OpcodeTable table)
    {
        var items = table.Table(name);
        return InRange(arg, items.Length) ? new TableArgument(name, arg, items[arg]) : Invalid(arg, name, items.Length);
    }

    private static JumpArgument Jump(int target, JumpDirection direction, OffsetIndex? indexAt) =>
        new(target, indexAt is not null && indexAt.TryGet(target, out int index) ? index : -1, direction);

    /// <summary>Line of an offset from co_lines, and whether a findlinestarts entry falls in an offset range.</summary>
    private sealed class LineLookup
    {
        private readonly ImmutableArray<CodeRange> _ranges;
        /// <summary>Line starts in offset order (as the line table gives them): searched, not hashed.</summary>
        private readonly ImmutableArray<LineStart> _starts;
        /// <summary>The range <see cref="LineAt"/> found last.</summary>
        private int _last;
        /// <summary>Where <see cref="StartsIn"/> found the first line start at or after the offset it was asked for.</summary>
        private int _firstStart;

        public LineLookup(CodeObject code)
        {
            ImmutableArray<CodeRange> ranges;
            ImmutableArray<LineStart> starts;
            try
            {
                ranges = code.LineRanges;
                starts = code.LineStarts;
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException)
            {
                ranges = ImmutableArray<CodeRange>.Empty; // a damaged line table costs the line numbers, not the decode
                starts = ImmutableArray<LineStart>.Empty;
            }
            _ranges = ranges;
            _starts = starts;
        }

        public int? LineAt(int offset)
        {
            // Decoding asks in offset order: the range found last, or the one after it, usually holds the offset.
            for (int k = _last; k < _ranges.Length && k <= _last + 1; k++)
                if (offset >= _ranges[k].Start && offset < _ranges[k].End) return _ranges[_last = k].Line;
            int lo = 0, hi = _ranges.Length - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >> 1;
                var r = _ranges[mid];
                if (offset < r.Start) hi = mid - 1;
                else if (offset >= r.End) lo = mid + 1;
                else return _ranges[_last = mid].Line;
            }
            return null;
        }

        public bool StartsIn(int start, int end)
        {
            // The first line start at or after start (offsets never decrease), if any, must not pass end. Decoding
            // asks in offset order, so the search goes on from where the last one stopped.
            if (_firstStart > 0 && _starts[_firstStart - 1].Offset >= start) _firstStart = 0;
            while (_firstStart < _starts.Length && _starts[_firstStart].Offset < start) _firstStart++;
            return _firstStart < _starts.Length && _starts[_firstStart].Offset <= end;
        }
    }
}
