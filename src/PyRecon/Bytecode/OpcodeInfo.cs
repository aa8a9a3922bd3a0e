namespace PyRecon.Bytecode;

/// <summary>How an opcode's argument is interpreted (the spec's <c>arg</c> column).</summary>
public enum ArgKind
{
    /// <summary>The opcode takes no argument.</summary>
    None,
    /// <summary>A count or raw integer.</summary>
    Int,
    /// <summary>co_consts[arg].</summary>
    Const,
    /// <summary>co_names[arg].</summary>
    Name,
    /// <summary>co_names[arg &gt;&gt; 1]; bit 0 pushes NULL first (LOAD_GLOBAL 3.11+).</summary>
    GlobalName,
    /// <summary>co_names[arg &gt;&gt; 1]; bit 0 = method load (LOAD_ATTR 3.12+).</summary>
    AttrName,
    /// <summary>co_names[arg &gt;&gt; 2]; bit 0 = method load, bit 1 = two-argument super() form (LOAD_SUPER_ATTR).</summary>
    SuperAttrName,
    /// <summary>A fast local: co_varnames (3.8-3.10) or localsplus (3.11+) index.</summary>
    Local,
    /// <summary>Two fast locals packed as (arg &gt;&gt; 4, arg &amp; 15) (3.13+).</summary>
    LocalPair,
    /// <summary>A cell or free variable indexed in co_cellvars + co_freevars (3.8-3.10).</summary>
    Free,
    /// <summary>A cell or free variable indexed in localsplus (3.11+).</summary>
    FreeLocalsPlus,
    /// <summary>Relative jump forward from the end of the instruction and its caches.</summary>
    JumpForward,
    /// <summary>Relative jump backward from the end of the instruction and its caches.</summary>
    JumpBackward,
    /// <summary>Absolute jump target.</summary>
    JumpAbsolute,
    /// <summary>cmp_op[arg &gt;&gt; compare_shift]; compare_bool_mask bit = coerce result to bool (3.13+).</summary>
    Compare,
    /// <summary>BINARY_OP operator (table nb_op).</summary>
    BinaryOp,
    /// <summary>CALL_INTRINSIC_1 function (table intrinsic1).</summary>
    Intrinsic1,
    /// <summary>CALL_INTRINSIC_2 function (table intrinsic2).</summary>
    Intrinsic2,
    /// <summary>IS_OP / CONTAINS_OP: 1 = negated (is not / not in).</summary>
    Invert,
    /// <summary>FORMAT_VALUE: arg &amp; 3 conversion, arg &amp; 4 has a format spec.</summary>
    FormatValue,
    /// <summary>CONVERT_VALUE conversion (table conversion).</summary>
    Conversion,
    /// <summary>MAKE_FUNCTION flag bits (table function_flags).</summary>
    MakeFunction,
    /// <summary>SET_FUNCTION_ATTRIBUTE: one flag bit (table function_flags).</summary>
    FunctionAttribute,
    /// <summary>LOAD_SMALL_INT: the argument is the value.</summary>
    SmallInt,
    /// <summary>LOAD_COMMON_CONSTANT (table common_const).</summary>
    CommonConstant,
    /// <summary>LOAD_SPECIAL (table special_method).</summary>
    SpecialMethod,
    /// <summary>RESUME: arg &amp; 3 = where (start, after yield, after yield from, after await).</summary>
    Resume,
    /// <summary>UNPACK_EX: arg &amp; 255 targets before the starred one, arg &gt;&gt; 8 after.</summary>
    UnpackEx,
}

/// <summary>One opcode of one CPython version, as its spec line describes it.</summary>
public sealed class OpcodeInfo
{
    public OpcodeInfo(int number, string name, int cacheEntries, ArgKind argKind, OpcodeHandler handler, string? baseName, string stackEffectText, int specLine)
    {
        Number = number;
        Name = name;
        CacheEntries = cacheEntries;
        ArgKind = argKind;
        Handler = handler;
        BaseName = baseName;
        StackEffectText = stackEffectText;
        SpecLine = specLine;
        Base = this;
    }

    public int Number { get; }
    public string Name { get; }
    /// <summary>Inline CACHE code units after the instruction (3.11+).</summary>
    public int CacheEntries { get; }
    public ArgKind ArgKind { get; }
    public bool HasArg => ArgKind != ArgKind.None;
    /// <summary>The evaluator handler (a specialized/instrumented opcode has its base's).</summary>
    public OpcodeHandler Handler { get; }
    /// <summary>Family base named in the spec (specialized or instrumented opcodes), else null.</summary>
    public string? BaseName { get; }
    /// <summary>The base opcode this one deoptimizes to (itself for a base opcode), followed transitively.</summary>
    public OpcodeInfo Base { get; internal set; }
    /// <summary>True for specialized (quickened) and instrumented opcodes.</summary>
    public bool IsSpecialized => BaseName is not null;
    public bool IsInstrumented => Name.StartsWith("INSTRUMENTED_", StringComparison.Ordinal);
    /// <summary>Compiler-only pseudo opcodes (numbers 256+), never in bytecode.</summary>
    public bool IsPseudo => Number > 255;
    public bool IsJump => ArgKind is ArgKind.JumpForward or ArgKind.JumpBackward or ArgKind.JumpAbsolute;
    /// <summary>The stack-effect column of the spec as written.</summary>
    public string StackEffectText { get; }
    /// <summary>1-based line of the opcode in its spec file.</summary>
    public int SpecLine { get; }

    public override string ToString() => Name;
}
