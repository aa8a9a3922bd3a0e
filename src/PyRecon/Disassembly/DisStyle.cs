using PyRecon.Model;

namespace PyRecon.Disassembly;

/// <summary>How a NULL pushed by LOAD_GLOBAL / LOAD_ATTR / LOAD_SUPER_ATTR is shown next to the name.</summary>
public enum NullMarkStyle
{
    /// <summary>"NULL + name", "NULL|self + name" (3.11-3.12).</summary>
    Prefix,
    /// <summary>"name + NULL", "name + NULL|self" (3.13+).</summary>
    Suffix,
}

/// <summary>
/// The version-dependent facts of <c>dis.dis</c> output, as data: everything that differs between CPython's
/// Lib/dis.py releases apart from the line layout (which is the <see cref="DisFormatter"/> strategy).
/// </summary>
public sealed record DisStyle
{
    public required PythonVersion Version { get; init; }
    /// <summary>3.13+: jump targets and exception ranges are labels (L1:, "to L2"); before: ">>" markers and "to 40".</summary>
    public required bool UsesLabels { get; init; }
    public required NullMarkStyle NullMark { get; init; }
    /// <summary>3.8-3.9: _get_instructions_bytes gives hasjabs jumps no argrepr (only hasjrel get "to N").</summary>
    public required bool ShowsAbsoluteJumpTargets { get; init; }
    /// <summary>3.11: _get_const_value resolves only LOAD_CONST, so KW_NAMES (also hasconst) gets no argrepr.</summary>
    public required bool OnlyLoadConstHasConstRepr { get; init; }
    /// <summary>3.14: IS_OP / CONTAINS_OP show "is"/"is not"/"in"/"not in".</summary>
    public required bool NamesInvertedTests { get; init; }
    /// <summary>3.14: END_ASYNC_FOR has a jump target, shown "from L3" rather than "to L3".</summary>
    public string? FromJumpOpcode { get; init; }

    public static DisStyle For(PythonVersion version) => new()
    {
        Version = version,
        UsesLabels = version >= PythonVersion.V3_13,
        ShowsAbsoluteJumpTargets = version >= PythonVersion.V3_10,
        NullMark = version >= PythonVersion.V3_13 ? NullMarkStyle.Suffix : NullMarkStyle.Prefix,
        OnlyLoadConstHasConstRepr = version == PythonVersion.V3_11,
        NamesInvertedTests = version >= PythonVersion.V3_14,
        FromJumpOpcode = version >= PythonVersion.V3_14 ? "END_ASYNC_FOR" : null,
    };
}
