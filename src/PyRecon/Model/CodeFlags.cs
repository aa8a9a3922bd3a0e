namespace PyRecon.Model;

/// <summary>co_flags bits (Include/cpython/code.h); the values have been stable from 3.8 to 3.14.</summary>
[Flags]
public enum CodeFlags
{
    None = 0,
    Optimized = 0x1,
    NewLocals = 0x2,
    VarArgs = 0x4,
    VarKeywords = 0x8,
    Nested = 0x10,
    Generator = 0x20,
    NoFree = 0x40,               // 3.8-3.10 only
    Coroutine = 0x80,
    IterableCoroutine = 0x100,
    AsyncGenerator = 0x200,
    FutureAnnotations = 0x1000000, // CO_FUTURE_ANNOTATIONS: `from __future__ import annotations`, set on every code object of the module
    HasDocstring = 0x4000000,    // 3.14
    MethodFlag = 0x8000000,      // 3.14: CO_METHOD
}

/// <summary>Kinds of a "fast" local slot (3.11+ co_localspluskinds); 3.8-3.10 slots are mapped onto them.</summary>
[Flags]
public enum LocalKind : byte
{
    None = 0,
    ArgPositional = 0x02,  // CO_FAST_ARG_POS (3.13+; earlier versions leave these bits clear)
    ArgKeyword = 0x04,     // CO_FAST_ARG_KW
    ArgVar = 0x08,         // CO_FAST_ARG_VAR
    Hidden = 0x10,         // CO_FAST_HIDDEN (3.12+ inlined comprehension temporaries)
    Local = 0x20,          // CO_FAST_LOCAL
    Cell = 0x40,           // CO_FAST_CELL
    Free = 0x80,           // CO_FAST_FREE
}

/// <summary>One slot of the unified local/cell/free variable array.</summary>
public readonly record struct LocalVariable(string Name, LocalKind Kind);
