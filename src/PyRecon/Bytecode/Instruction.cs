using System.Collections.Immutable;
using PyRecon.Model;

namespace PyRecon.Bytecode;

/// <summary>
/// One decoded instruction. <see cref="Opcode"/> is the base (deoptimized) opcode; <see cref="RawOpcode"/>
/// is what the bytes held (a specialized or instrumented opcode in adaptive code, else the same object).
/// </summary>
public sealed record Instruction
{
    /// <summary>Position in the decoded instruction array.</summary>
    public required int Index { get; init; }
    /// <summary>Byte offset of the opcode itself.</summary>
    public required int Offset { get; init; }
    /// <summary>Byte offset of the first EXTENDED_ARG prefix (== <see cref="Offset"/> when there is none).</summary>
    public required int StartOffset { get; init; }
    /// <summary>The base opcode (what the evaluator and disassembler use).</summary>
    public required OpcodeInfo Opcode { get; init; }
    /// <summary>The opcode as found in the bytes.</summary>
    public required OpcodeInfo RawOpcode { get; init; }
    /// <summary>The oparg with EXTENDED_ARG prefixes folded in (the raw byte for opcodes without an argument).</summary>
    public required int Arg { get; init; }
    /// <summary>The resolved argument.</summary>
    public required InstructionArgument Argument { get; init; }
    /// <summary>Inline CACHE code units after the opcode (skipped by the decoder).</summary>
    public required int CacheCount { get; init; }
    /// <summary>Source line of the opcode's offset (co_lines / co_positions), null where there is none.</summary>
    public required int? Line { get; init; }
    /// <summary>Whether a <c>dis.findlinestarts</c> entry begins at <see cref="StartOffset"/>..<see cref="Offset"/>.</summary>
    public required bool IsLineStart { get; init; }
    /// <summary>The EXTENDED_ARG prefixes folded into this instruction, first first (empty when none).</summary>
    public ImmutableArray<Instruction> Prefixes { get; init; } = ImmutableArray<Instruction>.Empty;

    public string Name => Opcode.Name;
    public bool HasArg => Opcode.HasArg;
    public bool IsSpecialized => !ReferenceEquals(RawOpcode, Opcode);
    /// <summary>Byte offset of the first inline cache entry (== <see cref="EndOffset"/> when there is none).</summary>
    public int CacheOffset => Offset + 2;
    /// <summary>Byte offset just past the instruction and its caches: where the next instruction starts.</summary>
    public int EndOffset => Offset + 2 + 2 * CacheCount;
    /// <summary>Total size in bytes, prefixes and caches included.</summary>
    public int Size => EndOffset - StartOffset;
    /// <summary>Jump target byte offset for jump opcodes, else null.</summary>
    public int? JumpTarget => Argument is JumpArgument j ? j.Target : null;

    public override string ToString() => HasArg ? $"{Offset} {Name} {Arg} ({Argument})" : $"{Offset} {Name}";
}

/// <summary>The resolved argument of an instruction; one record type per <see cref="ArgKind"/>.</summary>
public abstract record InstructionArgument;

/// <summary>The opcode takes no argument.</summary>
public sealed record NoArgument : InstructionArgument
{
    public static readonly NoArgument Instance = new();
    private NoArgument() { }
    public override string ToString() => "";
}

/// <summary>An index or flag the spec describes but that is out of range for this code object.</summary>
public sealed record InvalidArgument(int Raw, string Reason) : InstructionArgument
{
    public override string ToString() => $"<invalid {Raw}: {Reason}>";
}

/// <summary>A count or plain integer (also LOAD_SMALL_INT's value).</summary>
public sealed record IntArgument(int Value) : InstructionArgument
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record ConstArgument(int Index, PyObject Value) : InstructionArgument;

/// <summary>A co_names entry. <see cref="PushNull"/>: LOAD_GLOBAL 3.11+ bit 0; <see cref="IsMethod"/>: LOAD_ATTR 3.12+ / LOAD_SUPER_ATTR bit 0;
/// <see cref="IsTwoArgSuper"/>: LOAD_SUPER_ATTR bit 1.</summary>
public sealed record NameArgument(int Index, string Name, bool PushNull = false, bool IsMethod = false, bool IsTwoArgSuper = false) : InstructionArgument
{
    public override string ToString() => Name;
}

/// <summary>A fast local slot (co_varnames 3.8-3.10, localsplus 3.11+).</summary>
public sealed record LocalArgument(int Index, string Name) : InstructionArgument
{
    public override string ToString() => Name;
}

/// <summary>Two fast locals packed in one argument (LOAD_FAST_LOAD_FAST and friends, 3.13+).</summary>
public sealed record LocalPairArgument(LocalArgument First, LocalArgument Second) : InstructionArgument
{
    public override string ToString() => $"{First.Name}, {Second.Name}";
}

/// <summary>A cell or free variable. <see cref="Index"/> is in the version's index space:
/// co_cellvars+co_freevars (3.8-3.10) or localsplus (3.11+).</summary>
public sealed record FreeArgument(int Index, string Name, bool IsLocalsPlusIndex) : InstructionArgument
{
    public override string ToString() => Name;
}

public enum JumpDirection { Forward, Backward, Absolute }

/// <summary>A jump: target byte offset and the index of the instruction there (-1 when no instruction starts there).</summary>
public sealed record JumpArgument(int Target, int TargetIndex, JumpDirection Direction) : InstructionArgument
{
    public override string ToString() => $"to {Target}";
}

/// <summary>COMPARE_OP: the operator (cmp_op table), and 3.13+'s coerce-to-bool bit.</summary>
public sealed record CompareArgument(int Index, string Operator, bool CoerceToBool) : InstructionArgument
{
    public override string ToString() => CoerceToBool ? $"bool({Operator})" : Operator;
}

/// <summary>An entry of one of the spec's argument tables: nb_op (BINARY_OP), intrinsic1/2, conversion
/// (CONVERT_VALUE), common_const (LOAD_COMMON_CONSTANT), special_method (LOAD_SPECIAL).</summary>
public sealed record TableArgument(string Table, int Index, string Value) : InstructionArgument
{
    public override string ToString() => Value;
}

/// <summary>IS_OP / CONTAINS_OP: negated (is not / not in).</summary>
public sealed record InvertArgument(bool Inverted) : InstructionArgument
{
    public override string ToString() => Inverted ? "not" : "";
}

/// <summary>FORMAT_VALUE: conversion (0 none, 1 str, 2 repr, 3 ascii) and whether a format spec is on the stack.</summary>
public sealed record FormatArgument(int Conversion, string ConversionName, bool HasSpec) : InstructionArgument
{
    public override string ToString() => HasSpec ? $"{ConversionName}, with format" : ConversionName;
}

/// <summary>MAKE_FUNCTION / SET_FUNCTION_ATTRIBUTE flag bits and their names (function_flags table).</summary>
public sealed record FunctionFlagsArgument(int Flags, ImmutableArray<string> Names) : InstructionArgument
{
    public bool Has(string name) => Names.Contains(name);
    public override string ToString() => string.Join(", ", Names);
}

public enum ResumeWhere { Start = 0, AfterYield = 1, AfterYieldFrom = 2, AfterAwait = 3 }

/// <summary>RESUME: where the frame resumes (arg &amp; 3) and the remaining bits (3.13+ exception depth bit 4).</summary>
public sealed record ResumeArgument(ResumeWhere Where, int OtherBits) : InstructionArgument;

/// <summary>UNPACK_EX: targets before and after the starred one.</summary>
public sealed record UnpackExArgument(int Before, int After) : InstructionArgument;
