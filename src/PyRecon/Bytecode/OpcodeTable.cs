using System.Collections.Immutable;
using PyRecon.Model;

namespace PyRecon.Bytecode;

/// <summary>
/// The opcodes of one CPython version, generated from spec/opcodes/3.X.spec (one subclass per spec in
/// PyRecon.Bytecode.Generated). Get one with <see cref="For"/>.
/// </summary>
public abstract partial class OpcodeTable
{
    // Looked up for every code object by several passes and jobs at once: lock-free reads.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<PythonVersion, OpcodeTable?> s_tables = new();
    private readonly OpcodeInfo?[] _byByte = new OpcodeInfo?[256];
    private readonly Dictionary<string, OpcodeInfo> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<int, OpcodeInfo> _byNumber = new();

    private protected OpcodeTable(PythonVersion version, string specFile, int jumpUnit, int compareShift, int compareBoolMask,
        int generatorEntryDepth, ImmutableArray<OpcodeInfo> opcodes, ImmutableDictionary<string, ImmutableArray<string>> tables)
    {
        Version = version;
        SpecFile = specFile;
        JumpUnit = jumpUnit;
        CompareShift = compareShift;
        CompareBoolMask = compareBoolMask;
        GeneratorEntryDepth = generatorEntryDepth;
        Opcodes = opcodes;
        Tables = tables;
        foreach (var op in opcodes)
        {
            _byName[op.Name] = op;
            _byNumber[op.Number] = op;
            if (op.Number < 256) _byByte[op.Number] = op;
        }
        foreach (var op in opcodes)
        {
            var b = op;
            for (int guard = 0; b.BaseName is not null && guard < 8; guard++) b = _byName[b.BaseName];
            op.Base = b;
        }
    }

    public PythonVersion Version { get; }
    /// <summary>The spec the table was generated from, e.g. spec/opcodes/3.12.spec.</summary>
    public string SpecFile { get; }
    /// <summary>Bytes per unit of a jump argument: 1 before 3.10 (byte offsets), 2 from 3.10 (code units).</summary>
    public int JumpUnit { get; }
    /// <summary>COMPARE_OP: the operator is cmp_op[arg &gt;&gt; CompareShift] (0 before 3.12, 4 in 3.12, 5 from 3.13).</summary>
    public int CompareShift { get; }
    /// <summary>COMPARE_OP: the bit asking for a bool result (16 from 3.13, else 0).</summary>
    public int CompareBoolMask { get; }
    /// <summary>Stack depth at the entry of generator/coroutine code as the compiler counts it (1 in 3.10-3.12).</summary>
    public int GeneratorEntryDepth { get; }
    /// <summary>Every opcode of the spec, in spec order (base, specialized, instrumented, pseudo).</summary>
    public ImmutableArray<OpcodeInfo> Opcodes { get; }
    /// <summary>The spec's argument tables: cmp_op, nb_op, intrinsic1, intrinsic2, conversion, function_flags, common_const, special_method.</summary>
    public ImmutableDictionary<string, ImmutableArray<string>> Tables { get; }

    public ImmutableArray<string> Table(string name) => Tables.TryGetValue(name, out var t) ? t : ImmutableArray<string>.Empty;

    /// <summary>The opcode with this byte value, or null when the version has none.</summary>
    public OpcodeInfo? this[byte opcode] => _byByte[opcode];

    public OpcodeInfo? ByNumber(int number) => _byNumber.TryGetValue(number, out var op) ? op : null;

    public OpcodeInfo? ByName(string name) => _byName.TryGetValue(name, out var op) ? op : null;

    public OpcodeInfo this[string name] => ByName(name) ?? throw new KeyNotFoundException($"{name} is not a CPython {Version} opcode");

    /// <summary>
    /// <c>dis.stack_effect(opcode, oparg, jump=...)</c> from the spec's formula: jump true = the branch is
    /// taken, false = falls through, null = the larger of the two (as dis does). Specialized opcodes use their
    /// base's formula. Null when the spec gives none.
    /// </summary>
    public int? StackEffect(OpcodeInfo opcode, int oparg, bool? jump = null)
    {
        if (jump is bool j) return ComputeStackEffect(opcode.Number, oparg, j);
        var taken = ComputeStackEffect(opcode.Number, oparg, true);
        var fall = ComputeStackEffect(opcode.Number, oparg, false);
        return taken is null || fall is null ? taken ?? fall : Math.Max(taken.Value, fall.Value);
    }

    private protected abstract int? ComputeStackEffect(int opcode, int oparg, bool jump);

    /// <summary>How many stack entries <paramref name="opcode"/> (a base opcode) consumes with <paramref name="oparg"/>,
    /// where the spec gives it (<c>.pops</c>); null otherwise. An opcode that leaves an input in place (LIST_APPEND's
    /// list) consumes only the others.</summary>
    public int? Pops(OpcodeInfo opcode, int oparg) => ComputePops(opcode.Number, oparg);

    private protected virtual int? ComputePops(int opcode, int oparg) => null;

    /// <summary>The table of a version, or null when no spec exists for it.</summary>
    public static OpcodeTable? TryFor(PythonVersion version) =>
        s_tables.GetOrAdd(version, static v => CreateGenerated(v.ToString()));

    /// <summary>The table of a version; throws <see cref="NotSupportedException"/> when there is no spec for it.</summary>
    public static OpcodeTable For(PythonVersion version) =>
        TryFor(version) ?? throw new NotSupportedException($"no opcode spec for CPython {version} (have {string.Join(", ", GeneratedVersions)})");

    public override string ToString() => $"OpcodeTable {Version} ({Opcodes.Length} opcodes, {SpecFile})";
}
