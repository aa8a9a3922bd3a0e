using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Evaluation;

/// <summary>
/// 3.12+ type parameters (PEP 695). `def f[T](...)`, `class C[T]:` and `type A[T] = ...` compile to a hidden
/// function `&lt;generic parameters of f&gt;` that the defining code calls at once (with the defaults as its
/// arguments). Its code makes each parameter with an intrinsic, keeps them in `.type_params`, builds the
/// function, class or alias inside, attaches the parameters and returns it. The evaluator reads that code as a
/// scope of its own (<see cref="ScopeKind.TypeParams"/>) whose result is the function, class or alias marker,
/// handed back to the defining code, where decorators and the store apply as for any definition. Bounds,
/// constraints, defaults and alias values are lazily evaluated code objects: each is one returned expression.
/// </summary>
internal sealed partial class Evaluator
{
    private static bool IsGenericParameters(CodeObject code) => code.Name.StartsWith("<generic parameters of ", StringComparison.Ordinal);

    /// <summary>A load of a compiler-named variable (`.type_params`, `.defaults`, ...); `.0` is handled apart.</summary>
    private object LoadHidden(string name) => name switch
    {
        ".type_params" when _ctx.Scope == ScopeKind.TypeParams =>
            _ctx.TypeParamsValue ?? throw _ctx.Fail("evaluate", ".type_params loaded before it is stored", _op),
        // A generic class body stores its parameters in __type_params__ first thing.
        ".type_params" => new OpaqueMarker("type params"),
        ".generic_base" => GenericBaseMarker.Instance,
        ".defaults" or ".kwdefaults" when _ctx.HiddenArguments.TryGetValue(name, out var value) => value,
        // The lazily evaluated values of 3.14 take the annotation format as `.format` (read only by their guard).
        ".format" => S.Name("format"),
        _ => throw _ctx.Fail("evaluate", $"'{name}' is not an identifier", _op),
    };

    private static bool IsHidden(string name) => name.StartsWith('.') && name != ".0";

    /// <summary>A store to a compiler-named variable: the values are the compiler's, no statement comes of it.</summary>
    private void StoreHidden(string name)
    {
        var item = Pop();
        if (name == ".type_params" && _ctx.Scope == ScopeKind.TypeParams) _ctx.TypeParamsValue = item;
        else if (name != ".generic_base") throw _ctx.Fail("evaluate", $"a store to the compiler's '{name}'", _op);
        EndSilentStatement();
    }

    /// <summary>The type parameters in a tuple of <see cref="TypeParamItem"/>s.</summary>
    private ImmutableArray<TypeParamNode> TypeParams(object tuple) => tuple switch
    {
        ItemTuple t when t.Items.All(x => x is TypeParamItem) => [.. t.Items.Cast<TypeParamItem>().Select(p => p.Param)],
        _ => throw _ctx.Fail("evaluate", "type parameters that are not a tuple of TypeVar, ParamSpec and TypeVarTuple", _op),
    };

    private bool TypeParamIntrinsic1(string intrinsic)
    {
        switch (intrinsic)
        {
            case "INTRINSIC_TYPEVAR" or "INTRINSIC_PARAMSPEC" or "INTRINSIC_TYPEVARTUPLE":
            {
                if (PopExpr() is not Constant { Value: PyStr name }) throw _ctx.Fail("evaluate", "a type parameter without its name", _op);
                Push(new TypeParamItem(intrinsic switch
                {
                    "INTRINSIC_TYPEVAR" => S.TypeVar(name.Value),
                    "INTRINSIC_PARAMSPEC" => S.ParamSpec(name.Value),
                    _ => S.TypeVarTuple(name.Value),
                }));
                return true;
            }
            case "INTRINSIC_SUBSCRIPT_GENERIC":
                Pop();
                Push(GenericBaseMarker.Instance);
                return true;
            case "INTRINSIC_TYPEALIAS":
            {
                if (Pop() is not ItemTuple { Items: [Constant { Value: PyStr name }, var parameters, FunctionMarker value] })
                    throw _ctx.Fail("evaluate", "a type alias without its name, parameters and value", _op);
                var typeParams = parameters is Constant { Value: PyNone } ? ImmutableArray<TypeParamNode>.Empty : TypeParams(parameters);
                Push(new TypeAliasMarker(name.Value, typeParams, _ctx.Nested.LazyValue(value.Code)));
                return true;
            }
        }
        return false;
    }

    public bool CallIntrinsic2(Instruction i)
    {
        var name = ((TableArgument)i.Argument).Value;
        var second = Pop();
        var first = Pop();
        switch (name, first, second)
        {
            case ("INTRINSIC_SET_FUNCTION_TYPE_PARAMS", FunctionMarker f, _):
                f.TypeParams = TypeParams(second);
                Push(f);
                return true;
            case ("INTRINSIC_TYPEVAR_WITH_BOUND" or "INTRINSIC_TYPEVAR_WITH_CONSTRAINTS", Constant { Value: PyStr var }, FunctionMarker bound):
                Push(new TypeParamItem(S.TypeVar(var.Value, _ctx.Nested.LazyValue(bound.Code))));
                return true;
            case ("INTRINSIC_SET_TYPEPARAM_DEFAULT", TypeParamItem p, FunctionMarker value):
            {
                var dflt = _ctx.Nested.LazyValue(value.Code);
                p.Param = p.Param switch
                {
                    TypeVar tv => S.TypeVar(tv.Name, tv.Bound, dflt),
                    ParamSpec ps => S.ParamSpec(ps.Name, dflt),
                    TypeVarTuple tvt => S.TypeVarTuple(tvt.Name, dflt),
                    _ => throw _ctx.Fail("evaluate", "a default for an unknown type parameter", _op),
                };
                Push(p);
                return true;
            }
            default:
                throw _ctx.Fail("evaluate", $"{name} on {Describe(first)}, {Describe(second)}", _op);
        }
    }

    /// <summary>A tuple of compiler values (type parameters, a def's function object) cannot be source: it stays
    /// a list of items for the intrinsic that takes it.</summary>
    private static bool IsItemTuple(List<object> items) =>
        items.Any(x => x is TypeParamItem or ItemTuple or OpaqueMarker { What: "type params" } || x is FunctionMarker { Code.Name: not "<lambda>" });

    /// <summary>The generic-parameters code's result: the definition it made, with its type parameters.</summary>
    private void ReturnGeneric(object value)
    {
        _ctx.GenericResult = value switch
        {
            FunctionMarker or TypeAliasMarker => value,
            ClassMarker c => WithTypeParams(c),
            _ => throw _ctx.Fail("evaluate", $"generic parameters that return {Describe(value)}", _op),
        };
        EndSilentStatement();
    }

    private ClassMarker WithTypeParams(ClassMarker c)
    {
        c.TypeParams = TypeParams(_ctx.TypeParamsValue ?? throw _ctx.Fail("evaluate", "a generic class without .type_params", _op));
        return c;
    }
}
