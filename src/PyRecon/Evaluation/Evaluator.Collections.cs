using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;
using Attribute = PyRecon.Syntax.Attribute;
using Tuple = PyRecon.Syntax.Tuple;

namespace PyRecon.Evaluation;

/// <summary>Displays (tuple, list, set, dict), their unpacking forms, f-strings and t-strings.</summary>
internal sealed partial class Evaluator
{
    public bool BuildTuple(Instruction i)
    {
        var items = PopN(i.Arg);
        if (items.Count > 0 && items.All(x => x is ClosureMarker))
        {
            Push(new ClosureMarker([.. items.Cast<ClosureMarker>().SelectMany(c => c.Names)]));
            return true;
        }
        if (IsItemTuple(items))
        {
            Push(new ItemTuple(items));
            return true;
        }
        // t-strings collect their interpolations in a tuple before BUILD_TEMPLATE: keep them unwrapped.
        Push(S.Tuple([.. items.Select(x => x is Interpolation n ? n : Materialize(x))]));
        return true;
    }

    public bool BuildList(Instruction i)
    {
        Push(S.List([.. PopExprs(i.Arg)]));
        return true;
    }

    public bool BuildSet(Instruction i)
    {
        Push(S.Set([.. PopExprs(i.Arg)]));
        return true;
    }

    public bool BuildMap(Instruction i)
    {
        var items = PopExprs(2 * i.Arg);
        var keys = ImmutableArray.CreateBuilder<ExprNode?>();
        var values = ImmutableArray.CreateBuilder<ExprNode>();
        for (int k = 0; k < items.Count; k += 2)
        {
            keys.Add(items[k]);
            values.Add(items[k + 1]);
        }
        Push(S.Dict(keys.ToImmutable(), values.ToImmutable()));
        return true;
    }

    public bool BuildConstKeyMap(Instruction i)
    {
        var keysItem = PopExpr();
        var values = PopExprs(i.Arg);
        if (keysItem is not Constant { Value: PyTuple keyTuple } || keyTuple.Items.Length != values.Count)
            throw _ctx.Fail("evaluate", "BUILD_CONST_KEY_MAP without a constant key tuple", _op);
        Push(S.Dict([.. keyTuple.Items.Select(k => (ExprNode?)S.Constant(k))], [.. values]));
        return true;
    }

    /// <summary>3.8 BUILD_*_UNPACK: each operand is spread (a tuple display or constant inline, anything else starred).</summary>
    public bool BuildUnpack(Instruction i)
    {
        var parts = PopExprs(i.Arg);
        var elts = parts.SelectMany(Spread).ToImmutableArray();
        ExprNode built = i.Name switch
        {
            "BUILD_LIST_UNPACK" => S.List(elts),
            "BUILD_SET_UNPACK" => S.Set(elts),
            _ => S.Tuple(elts),
        };
        if (i.Name == "BUILD_TUPLE_UNPACK") _tupleDisplays.Add(built);
        Push(built);
        return true;
    }

    /// <summary>3.8: tuples BUILD_TUPLE_UNPACK made, displays written as such: a call's arguments are built by
    /// BUILD_TUPLE_UNPACK_WITH_CALL, so a display passed to CALL_FUNCTION_EX was starred whole (`f(*(a, *b))`).</summary>
    private readonly HashSet<ExprNode> _tupleDisplays = new(SyntaxNodeIdentity.Instance);

    private static IEnumerable<ExprNode> Spread(ExprNode part) => part switch
    {
        Tuple t => t.Elts,
        Constant { Value: PyTuple ct } => ct.Items.Select(x => (ExprNode)S.Constant(x)),
        _ => [S.Starred(part)],
    };

    public bool BuildMapUnpack(Instruction i)
    {
        var parts = PopExprs(i.Arg);
        var keys = ImmutableArray.CreateBuilder<ExprNode?>();
        var values = ImmutableArray.CreateBuilder<ExprNode>();
        foreach (var part in parts)
        {
            if (part is Dict d)
            {
                keys.AddRange(d.Keys);
                values.AddRange(d.Values);
            }
            else
            {
                keys.Add(null);
                values.Add(part);
            }
        }
        Push(S.Dict(keys.ToImmutable(), values.ToImmutable()));
        return true;
    }

    /// <summary>LIST_EXTEND / SET_UPDATE: a starred operand, or (right after an empty display) a folded constant run.</summary>
    public bool CollectionExtend(Instruction i)
    {
        var iterable = PopExpr();
        var target = Stack.Peek(i.Arg - 1);
        switch (target)
        {
            case List l:
                Stack.Replace(i.Arg - 1, S.List(l.Elts.AddRange(ExtendItems(l.Elts, iterable))));
                break;
            case Set s:
                Stack.Replace(i.Arg - 1, S.Set(s.Elts.AddRange(ExtendItems(s.Elts, iterable))));
                break;
            default:
                throw _ctx.Fail("evaluate", $"{i.Name} onto {Describe(target)}", _op);
        }
        return true;
    }

    private IEnumerable<ExprNode> ExtendItems(ImmutableArray<ExprNode> existing, ExprNode iterable)
    {
        // The compiler folds three or more constant items of a display into one tuple/frozenset constant.
        if (existing.IsEmpty && iterable is Constant { Value: PyTuple or PyFrozenSet } c && ((PySequence)c.Value).Items.Length >= 3)
            return (c.Value is PyFrozenSet set ? InCodeGenerationOrder(set.Items) : ((PySequence)c.Value).Items).Select(x => (ExprNode)S.Constant(x));
        return [S.Starred(iterable)];
    }

    /// <summary>DICT_UPDATE / DICT_MERGE: a `**mapping` entry.</summary>
    public bool DictUpdate(Instruction i)
    {
        var mapping = PopExpr();
        var target = Stack.Peek(i.Arg - 1);
        if (target is not Dict d) throw _ctx.Fail("evaluate", $"{i.Name} onto {Describe(target)}", _op);
        if (mapping is Dict inner && d.Keys.IsEmpty && i.Name == "DICT_UPDATE")
            Stack.Replace(i.Arg - 1, inner);
        else
            Stack.Replace(i.Arg - 1, S.Dict(d.Keys.Add(null), d.Values.Add(mapping)));
        return true;
    }

    /// <summary>LIST_APPEND / SET_ADD / MAP_ADD: into a display right below, else a comprehension's element.</summary>
    public bool CollectionAdd(Instruction i)
    {
        ExprNode? value = null;
        ExprNode element;
        if (i.Name == "MAP_ADD")
        {
            value = PopExpr();
            element = PopExpr();
        }
        else element = PopExpr();
        int depth = i.Arg;
        if (depth == 1 && i.Name == "SET_ADD" && Stack.Count > 0 && Stack.Peek() is Name { Id: "__conditional_annotations__" }
            && element is Constant { Value: PyInt index })
        {
            // 3.14 module annotations: records that annotated assignment `index` ran.
            EmitPseudo(new ConditionalAnnotation((int)index.Value));
            Stack.Replace(0, new OpaqueMarker("conditional annotations"));
            return true;
        }
        if (depth == 1 && Stack.Count > 0)
        {
            switch (Stack.Peek())
            {
                case List l when i.Name == "LIST_APPEND": Stack.Replace(0, S.List(l.Elts.Add(element))); return true;
                case Set s when i.Name == "SET_ADD": Stack.Replace(0, S.Set(s.Elts.Add(element))); return true;
                case Dict d when i.Name == "MAP_ADD": Stack.Replace(0, S.Dict(d.Keys.Add(element), d.Values.Add(value!))); return true;
            }
        }
        EmitPseudo(new ComprehensionElement(element, value, depth, i.Name));
        return true;
    }

    public bool ListToTuple(Instruction i)
    {
        var list = PopExpr();
        if (list is not List l) throw _ctx.Fail("evaluate", "LIST_TO_TUPLE of a non-list", _op);
        Push(S.Tuple(l.Elts));
        return true;
    }

    // ---------------------------------------------------------------- f-strings

    public bool FormatValue(Instruction i)
    {
        var arg = (FormatArgument)i.Argument;
        ExprNode? spec = arg.HasSpec ? FormatSpec(PopExpr()) : null;
        var value = PopExpr();
        Push(S.FormattedValue(value, arg.Conversion == 0 ? -1 : ConversionChar(arg.Conversion), spec));
        return true;
    }

    private static int ConversionChar(int conversion) => conversion switch { 1 => 's', 2 => 'r', 3 => 'a', _ => -1 };

    private static ExprNode FormatSpec(ExprNode spec) => spec switch
    {
        JoinedStr j => j,
        Constant { Value: PyStr } c => S.JoinedStr([c]),
        _ => S.JoinedStr([spec]),
    };

    public bool ConvertValue(Instruction i)
    {
        var value = PopExpr();
        int conversion = ((TableArgument)i.Argument).Index;
        Push(new ConvertedValue(value, conversion));
        return true;
    }

    private ExprNode FormatOperand(object item, out int conversion)
    {
        if (item is ConvertedValue c)
        {
            conversion = ConversionChar(c.Conversion);
            return c.Value;
        }
        conversion = -1;
        return Materialize(item);
    }

    public bool FormatSimple(Instruction i)
    {
        var value = FormatOperand(Pop(), out int conversion);
        Push(S.FormattedValue(value, conversion));
        return true;
    }

    public bool FormatWithSpec(Instruction i)
    {
        var spec = FormatSpec(PopExpr());
        var value = FormatOperand(Pop(), out int conversion);
        Push(S.FormattedValue(value, conversion, spec));
        return true;
    }

    public bool BuildString(Instruction i)
    {
        var parts = PopN(i.Arg);
        var values = ImmutableArray.CreateBuilder<ExprNode>();
        foreach (var p in parts)
        {
            switch (p)
            {
                case FormattedValue fv: values.Add(fv); break;
                case Constant { Value: PyStr } c: values.Add(c); break;
                case JoinedStr j: values.AddRange(j.Values); break;
                default: values.Add(S.FormattedValue(Materialize(p), -1)); break;
            }
        }
        Push(S.JoinedStr(values.ToImmutable()));
        return true;
    }

    public bool BuildInterpolation(Instruction i)
    {
        var arg = (FormatArgument)i.Argument;
        ExprNode? spec = arg.HasSpec ? FormatSpec(PopExpr()) : null;
        var text = PopExpr();
        var value = PopExpr();
        if (text is not Constant { Value: PyStr str }) throw _ctx.Fail("evaluate", "BUILD_INTERPOLATION without its source text", _op);
        Push(S.Interpolation(value, str, arg.Conversion == 0 ? -1 : ConversionChar(arg.Conversion), spec));
        return true;
    }

    public bool BuildTemplate(Instruction i)
    {
        var interpolations = PopExpr();
        var strings = PopExpr();
        var strs = strings switch
        {
            Constant { Value: PyTuple t } => t.Items.Select(x => (ExprNode)S.Constant(x)).ToList(),
            Tuple t => t.Elts.ToList(),
            _ => throw _ctx.Fail("evaluate", "BUILD_TEMPLATE without its strings", _op),
        };
        var inters = interpolations switch
        {
            Tuple t => t.Elts.ToList(),
            Constant { Value: PyTuple { Items.IsEmpty: true } } => [],
            _ => throw _ctx.Fail("evaluate", "BUILD_TEMPLATE without its interpolations", _op),
        };
        var values = ImmutableArray.CreateBuilder<ExprNode>();
        for (int k = 0; k < strs.Count; k++)
        {
            if (strs[k] is Constant { Value: PyStr { Value.Length: > 0 } } s) values.Add(s);
            if (k < inters.Count) values.Add(inters[k]);
        }
        Push(S.TemplateStr(values.ToImmutable()));
        return true;
    }
}
