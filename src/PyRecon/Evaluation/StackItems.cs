using System.Collections.Immutable;
using PyRecon.Model;
using PyRecon.Syntax;

namespace PyRecon.Evaluation;

/// <summary>
/// What the symbolic stack holds besides plain expressions (<see cref="ExprNode"/>): the interpreter's
/// plumbing (NULL slots, iterators, exception state, with-exits) and values whose meaning is decided by
/// what later consumes them (unpack targets, a duplicated value that becomes a chained assignment or a
/// walrus, a function object that becomes a def or a lambda).
/// </summary>
internal abstract class StackMarker
{
    public override string ToString() => GetType().Name;
}

/// <summary>The NULL of a call sequence (PUSH_NULL, LOAD_GLOBAL's bit, a method load's self slot).</summary>
internal sealed class NullMarker : StackMarker
{
    public static readonly NullMarker Instance = new();
    private NullMarker() { }
}

/// <summary>An iterator made by GET_ITER / GET_AITER (or a comprehension's .0 argument).</summary>
internal sealed class IteratorMarker(ExprNode iterable, bool isAsync) : StackMarker
{
    public ExprNode Iterable { get; } = iterable;
    public bool IsAsync { get; } = isAsync;
}

/// <summary>Exception state pushed on entry to a handler (one marker per stack slot).</summary>
internal sealed class ExceptionMarker(string role) : StackMarker
{
    public string Role { get; } = role;
    public override string ToString() => "exc:" + Role;
}

/// <summary>The bound __exit__ / __aexit__ a with statement keeps under its body.</summary>
internal sealed class WithExitMarker(ExprNode context, bool isAsync) : StackMarker
{
    public ExprNode Context { get; } = context;
    public bool IsAsync { get; } = isAsync;
}

/// <summary>3.14: LOAD_SPECIAL __enter__ / __aenter__ before its CALL 0.</summary>
internal sealed class WithEnterMethod(ExprNode context, bool isAsync) : StackMarker
{
    public ExprNode Context { get; } = context;
    public bool IsAsync { get; } = isAsync;
}

/// <summary>LOAD_ASSERTION_ERROR (or 3.14's LOAD_COMMON_CONSTANT AssertionError).</summary>
internal sealed class AssertionErrorMarker : StackMarker
{
    public static readonly AssertionErrorMarker Instance = new();
}

/// <summary>LOAD_BUILD_CLASS.</summary>
internal sealed class BuildClassMarker : StackMarker
{
    public static readonly BuildClassMarker Instance = new();
}

/// <summary>A code object constant (MAKE_FUNCTION's operand).</summary>
internal sealed class CodeMarker(CodeObject code) : StackMarker
{
    public CodeObject Code { get; } = code;
}

/// <summary>LOAD_CLOSURE of one cell, and the tuple of them MAKE_FUNCTION takes.</summary>
internal sealed class ClosureMarker(ImmutableArray<string> names) : StackMarker
{
    public ImmutableArray<string> Names { get; } = names;
}

/// <summary>GET_AWAITABLE / GET_YIELD_FROM_ITER result before its SEND / YIELD_FROM.</summary>
internal sealed class AwaitableMarker(ExprNode value, bool isAwait) : StackMarker
{
    public ExprNode Value { get; } = value;
    public bool IsAwait { get; } = isAwait;
}

/// <summary>3.12+: the receiver SEND leaves under the result until END_SEND.</summary>
internal sealed class SendReceiverMarker : StackMarker
{
    public static readonly SendReceiverMarker Instance = new();
}

/// <summary>3.8 BEGIN_FINALLY's NULL and CALL_FINALLY's return address.</summary>
internal sealed class FinallyMarker(string role) : StackMarker
{
    public string Role { get; } = role;
}

/// <summary>An opaque value the compiler keeps for itself (e.g. a function object on its way to SET_FUNCTION_ATTRIBUTE's target).</summary>
internal sealed class OpaqueMarker(string what) : StackMarker
{
    public string What { get; } = what;
    public override string ToString() => "opaque:" + What;
}

/// <summary>A function object built by MAKE_FUNCTION (and SET_FUNCTION_ATTRIBUTE), with decorators applied so far.</summary>
internal sealed class FunctionMarker : StackMarker
{
    public required CodeObject Code { get; init; }
    public object? Defaults { get; set; }
    public object? KwDefaults { get; set; }
    public object? Annotations { get; set; }
    public object? Annotate { get; set; }
    public ClosureMarker? Closure { get; set; }
    public ImmutableArray<ExprNode> Decorators { get; set; } = ImmutableArray<ExprNode>.Empty;
    /// <summary>3.12+ generic functions: the type parameters the wrapper code object set.</summary>
    public ImmutableArray<TypeParamNode> TypeParams { get; set; } = ImmutableArray<TypeParamNode>.Empty;
    public int Line { get; set; }
}

/// <summary>A class object built by calling LOAD_BUILD_CLASS's result.</summary>
internal sealed class ClassMarker : StackMarker
{
    public required FunctionMarker Body { get; init; }
    public required string Name { get; init; }
    public ImmutableArray<ExprNode> Bases { get; init; }
    public ImmutableArray<Keyword> Keywords { get; init; }
    public ImmutableArray<ExprNode> Decorators { get; set; } = ImmutableArray<ExprNode>.Empty;
    public ImmutableArray<TypeParamNode> TypeParams { get; set; } = ImmutableArray<TypeParamNode>.Empty;
}

/// <summary>IMPORT_NAME's module; the from-import names stored from it accumulate here.</summary>
internal sealed class ImportMarker(string module, int level, PyObject fromList) : StackMarker
{
    public string Module { get; } = module;
    public int Level { get; } = level;
    public PyObject FromList { get; } = fromList;
    public List<Alias> FromNames { get; } = [];
    /// <summary>`import a.b.c as d`: the dotted attribute walk (IMPORT_FROM b, then c) so far.</summary>
    public int AttributeDepth { get; set; }
    public bool Star { get; set; }
}

/// <summary>IMPORT_FROM name taken from an import.</summary>
internal sealed class ImportFromMarker(ImportMarker import, string name) : StackMarker
{
    public ImportMarker Import { get; } = import;
    public string Name { get; } = name;
}

/// <summary>A value stored to a target while a copy of it is still on the stack: a chained assignment if
/// the copy is stored too, a walrus if it is used.</summary>
internal sealed class PendingAssignMarker(ExprNode value) : StackMarker
{
    public ExprNode Value { get; } = value;
    public List<ExprNode> Targets { get; } = [];
}

/// <summary>The result of an in-place operator: an augmented assignment once stored back to its target.</summary>
internal sealed class AugmentedMarker(ExprNode target, Operator op, ExprNode value) : StackMarker
{
    public ExprNode Target { get; } = target;
    public Operator Op { get; } = op;
    public ExprNode Value { get; } = value;
}

/// <summary>
/// A place-holder for a value that will be stored to a target: one item of an unpacking, a for-loop's next
/// item, a with statement's __enter__ result, an except clause's exception. <see cref="Group"/> collects
/// the targets; when all are filled the group decides what they mean.
/// </summary>
internal sealed class TargetSlot(TargetGroup group, int index) : StackMarker
{
    public TargetGroup Group { get; } = group;
    public int Index { get; } = index;
    public override string ToString() => $"slot:{Group.Kind}[{Index}]";
}

internal enum TargetGroupKind { Unpack, ForItem, WithEnter, Exception, Generic }

internal sealed class TargetGroup(TargetGroupKind kind, int count)
{
    public TargetGroupKind Kind { get; } = kind;
    public ExprNode?[] Targets { get; } = new ExprNode?[count];
    public int Filled { get; set; }
    /// <summary>UNPACK_EX: the index of the starred target (-1 when none).</summary>
    public int StarIndex { get; init; } = -1;
    /// <summary>Unpack: the value being unpacked (an expression or another slot).</summary>
    public object? Source { get; init; }
    /// <summary>Unpack: the stack sequence number of <see cref="Source"/>, so that a nested unpack takes its value's
    /// place in an enclosing tuple assignment (`a, (b, c) = x, y`).</summary>
    public int SourceSeq { get; init; }
    /// <summary>For a with: the context expression; for an exception: unused.</summary>
    public ExprNode? Context { get; init; }
    public bool IsComplete => Filled == Targets.Length;
    /// <summary>Set when the slot is popped without a store (with ... : without `as`, a discarded item).</summary>
    public bool Discarded { get; set; }
    /// <summary>
    /// Unpack slots popped without a store: 3.13+ replace a store to a local that the next store overwrites with a
    /// POP_TOP (`_, _, x = t`), so such a slot has the next slot's name.
    /// </summary>
    public HashSet<int> DeadStores { get; } = [];
    public int Line { get; set; }

    public ExprNode TupleTarget() => SyntaxFactory.Tuple([.. Targets.Select(t => t!)], ExprContext.Store);
}

/// <summary>3.12+ inlined comprehension: a local's value saved by LOAD_FAST_AND_CLEAR, restored by a store after the loop.</summary>
internal sealed class SavedLocalMarker(string name) : StackMarker
{
    public string Name { get; } = name;
    public override string ToString() => "saved:" + Name;
}

/// <summary>3.12+ inlined comprehension: the list/set/dict being built (BUILD_LIST 0 before the loop).</summary>
internal sealed class AccumulatorMarker(string kind) : StackMarker
{
    public string Kind { get; } = kind;
}

/// <summary>3.12+ (PEP 695): a type parameter the generic-parameters code made with a TYPEVAR, PARAMSPEC or
/// TYPEVARTUPLE intrinsic.</summary>
internal sealed class TypeParamItem(TypeParamNode param) : StackMarker
{
    public TypeParamNode Param { get; set; } = param;
}

/// <summary>A tuple whose items are compiler values, not expressions: the type parameters, the closure of a
/// generic class, the (name, type parameters, value function) triple of a `type` statement.</summary>
internal sealed class ItemTuple(List<object> items) : StackMarker
{
    public List<object> Items { get; } = items;
}

/// <summary>`.generic_base`: the `Generic[*type_params]` base the compiler adds to a generic class.</summary>
internal sealed class GenericBaseMarker : StackMarker
{
    public static readonly GenericBaseMarker Instance = new();
    private GenericBaseMarker() { }
}

/// <summary>The type alias object of a `type` statement (the TYPEALIAS intrinsic), until it is stored.</summary>
internal sealed class TypeAliasMarker(string name, ImmutableArray<TypeParamNode> typeParams, ExprNode value) : StackMarker
{
    public string Name { get; } = name;
    public ImmutableArray<TypeParamNode> TypeParams { get; } = typeParams;
    public ExprNode Value { get; } = value;
}
