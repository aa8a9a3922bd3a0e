using System.Collections.Immutable;

namespace PyRecon.Model;

/// <summary>
/// One code object, in one shape for every version 3.8-3.14. The 3.8-3.10 varnames/cellvars/freevars
/// and the 3.11+ localsplus names/kinds are both kept: <see cref="LocalsPlus"/> is the unified slot
/// array (synthesised for 3.8-3.10 the way 3.11 lays it out), while <see cref="VarNames"/>,
/// <see cref="CellVars"/> and <see cref="FreeVars"/> are exactly what the interpreter reports as
/// co_varnames, co_cellvars and co_freevars.
/// </summary>
public sealed class CodeObject
{
    private ImmutableArray<LineStart>? _lineStarts;
    private ImmutableArray<CodeRange>? _lineRanges;
    private ImmutableArray<ExceptionTableEntry>? _exceptionTable;
    private ImmutableArray<string>? _cellAndFreeVars;

    public CodeObject(
        PythonVersion version,
        int argCount, int posOnlyArgCount, int kwOnlyArgCount, int stackSize, CodeFlags flags,
        ImmutableArray<byte> code, ImmutableArray<PyObject> consts, ImmutableArray<string> names,
        ImmutableArray<LocalVariable> localsPlus,
        ImmutableArray<string> varNames, ImmutableArray<string> cellVars, ImmutableArray<string> freeVars,
        string fileName, string name, string? qualName, int firstLineNo,
        ImmutableArray<byte> lineTable, ImmutableArray<byte> exceptionTableBytes)
    {
        Version = version;
        ArgCount = argCount;
        PosOnlyArgCount = posOnlyArgCount;
        KwOnlyArgCount = kwOnlyArgCount;
        StackSize = stackSize;
        Flags = flags;
        Code = code;
        Consts = consts;
        Names = names;
        LocalsPlus = localsPlus;
        VarNames = varNames;
        CellVars = cellVars;
        FreeVars = freeVars;
        FileName = fileName;
        Name = name;
        QualName = qualName;
        FirstLineNo = firstLineNo;
        LineTable = lineTable;
        ExceptionTableBytes = exceptionTableBytes;
    }

    public PythonVersion Version { get; }
    public int ArgCount { get; }
    public int PosOnlyArgCount { get; }
    public int KwOnlyArgCount { get; }
    /// <summary>How many of the first local variables are parameters (positional, keyword-only, *args, **kwargs).</summary>
    public int ParameterCount => ArgCount + KwOnlyArgCount + ((Flags & CodeFlags.VarArgs) != 0 ? 1 : 0) + ((Flags & CodeFlags.VarKeywords) != 0 ? 1 : 0);
    public int StackSize { get; }
    public CodeFlags Flags { get; }
    /// <summary>co_code: the raw bytecode, two bytes per code unit.</summary>
    public ImmutableArray<byte> Code { get; }
    public ImmutableArray<PyObject> Consts { get; }
    public ImmutableArray<string> Names { get; }
    public ImmutableArray<LocalVariable> LocalsPlus { get; }
    public ImmutableArray<string> VarNames { get; }
    public ImmutableArray<string> CellVars { get; }
    public ImmutableArray<string> FreeVars { get; }
    public string FileName { get; }
    public string Name { get; }
    /// <summary>co_qualname; null before 3.11, which did not store it.</summary>
    public string? QualName { get; }
    public int FirstLineNo { get; }
    /// <summary>co_lnotab (3.8-3.9), co_linetable (3.10) or the location table (3.11+), undecoded.</summary>
    public ImmutableArray<byte> LineTable { get; }
    /// <summary>co_exceptiontable (3.11+), undecoded; empty before 3.11.</summary>
    public ImmutableArray<byte> ExceptionTableBytes { get; }

    public int NLocals => VarNames.Length;

    /// <summary>What <c>dis.findlinestarts(code)</c> yields in this version (3.13+ may yield a null line).</summary>
    public ImmutableArray<LineStart> LineStarts => _lineStarts ??= LineTableDecoder.FindLineStarts(this);

    /// <summary>What <c>code.co_lines()</c> yields (byte offset ranges with their line; null = no line).</summary>
    public ImmutableArray<CodeRange> LineRanges => _lineRanges ??= LineTableDecoder.CoLines(this);

    /// <summary>Source positions per code unit (3.11+ columns included), as <c>co_positions()</c> yields.</summary>
    public ImmutableArray<SourcePosition> Positions() => LineTableDecoder.CoPositions(this);

    /// <summary>The decoded 3.11+ exception table; empty before 3.11.</summary>
    public ImmutableArray<ExceptionTableEntry> ExceptionTable => _exceptionTable ??= ExceptionTableDecoder.Decode(ExceptionTableBytes);

    /// <summary>Nested code objects among the constants, in constant order.</summary>
    public IEnumerable<CodeObject> NestedCode => Consts.OfType<PyCode>().Select(c => c.Code);

    /// <summary>co_cellvars + co_freevars: the index space of 3.8-3.10's LOAD_DEREF and friends (computed once; the decoder reads it per instruction).</summary>
    public ImmutableArray<string> CellAndFreeVars => _cellAndFreeVars ??= CellVars.AddRange(FreeVars);

    public override string ToString() => $"<code object {Name}, file \"{FileName}\", line {FirstLineNo}>";
}

/// <summary>A (byte offset, line) pair; <see cref="Line"/> null where the code has no source line.</summary>
public readonly record struct LineStart(int Offset, int? Line);

/// <summary>A half-open byte range [Start, End) of bytecode and its line (null = none).</summary>
public readonly record struct CodeRange(int Start, int End, int? Line);

/// <summary>One code unit's source position; any part may be absent (null).</summary>
public readonly record struct SourcePosition(int? Line, int? EndLine, int? Column, int? EndColumn);

/// <summary>A 3.11+ exception table entry in byte offsets, End exclusive.</summary>
public readonly record struct ExceptionTableEntry(int Start, int End, int Target, int Depth, bool Lasti);
