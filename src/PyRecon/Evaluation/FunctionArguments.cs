using System.Collections.Immutable;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;
using Attribute = PyRecon.Syntax.Attribute;
using Tuple = PyRecon.Syntax.Tuple;

namespace PyRecon.Evaluation;

/// <summary>
/// A def's or lambda's parameter list: names and kinds from the code object, defaults and keyword-only
/// defaults from MAKE_FUNCTION's operands, annotations from the 3.8-3.9 dict, the 3.10-3.13 flat tuple,
/// or (3.14) the __annotate__ function.
/// </summary>
internal static class FunctionArguments
{
    public static Arguments Build(CodeContext ctx, FunctionMarker f, bool lambda)
    {
        var code = f.Code;
        var names = code.VarNames;
        int pos = code.ArgCount, posOnly = code.PosOnlyArgCount, kwOnly = code.KwOnlyArgCount;
        bool varArgs = (code.Flags & CodeFlags.VarArgs) != 0, varKw = (code.Flags & CodeFlags.VarKeywords) != 0;
        int needed = pos + kwOnly + (varArgs ? 1 : 0) + (varKw ? 1 : 0);
        if (names.Length < needed) throw ctx.Fail("arguments", $"{code.Name} has {names.Length} varnames for {needed} parameters");
        var annotations = Annotations(ctx, f);

        Arg MakeArg(string name)
        {
            if (!SyntaxFacts.IsIdentifier(name)) throw ctx.Fail("arguments", $"parameter '{name}' is not an identifier");
            return S.Arg(name, lambda ? null : annotations.GetValueOrDefault(name));
        }

        var posOnlyArgs = names.Take(posOnly).Select(MakeArg).ToImmutableArray();
        var args = names.Skip(posOnly).Take(pos - posOnly).Select(MakeArg).ToImmutableArray();
        var kwOnlyArgs = names.Skip(pos).Take(kwOnly).Select(MakeArg).ToImmutableArray();
        int next = pos + kwOnly;
        Arg? vararg = varArgs ? MakeArg(names[next++]) : null;
        Arg? kwarg = varKw ? MakeArg(names[next]) : null;

        var defaults = DefaultValues(ctx, f.Defaults);
        if (defaults.Length > pos) throw ctx.Fail("arguments", $"{defaults.Length} defaults for {pos} positional parameters");
        var kwDefaults = kwOnlyArgs.Select(_ => (ExprNode?)null).ToArray();
        if (f.KwDefaults is not null)
        {
            var dict = f.KwDefaults switch
            {
                Dict d => d,
                Constant { Value: PyDict pd } => S.Dict([.. pd.Entries.Select(e => (ExprNode?)S.Constant(e.Key))], [.. pd.Entries.Select(e => (ExprNode)S.Constant(e.Value))]),
                _ => throw ctx.Fail("arguments", "keyword-only defaults are not a dict"),
            };
            for (int k = 0; k < dict.Keys.Length; k++)
            {
                if (dict.Keys[k] is not Constant { Value: PyStr key }) throw ctx.Fail("arguments", "a keyword-only default without a name");
                int index = kwOnlyArgs.IndexOf(kwOnlyArgs.FirstOrDefault(a => a.ArgName == key.Value)!);
                if (index < 0) throw ctx.Fail("arguments", $"default for unknown keyword-only parameter {key.Value}");
                kwDefaults[index] = dict.Values[k];
            }
        }
        return S.Arguments(posOnlyArgs, args, vararg, kwOnlyArgs, [.. kwDefaults], kwarg, defaults);
    }

    private static ImmutableArray<ExprNode> DefaultValues(CodeContext ctx, object? defaults) => defaults switch
    {
        null => ImmutableArray<ExprNode>.Empty,
        Constant { Value: PyTuple t } => [.. t.Items.Select(x => (ExprNode)S.Constant(x))],
        Tuple t => t.Elts,
        _ => throw ctx.Fail("arguments", "positional defaults are not a tuple"),
    };

    public static ExprNode? ReturnAnnotation(CodeContext ctx, FunctionMarker f) => Annotations(ctx, f).GetValueOrDefault("return");

    private static Dictionary<string, ExprNode> Annotations(CodeContext ctx, FunctionMarker f)
    {
        var result = new Dictionary<string, ExprNode>();
        switch (f.Annotations)
        {
            case null: break;
            case Dict d:
                for (int k = 0; k < d.Keys.Length; k++)
                    if (d.Keys[k] is Constant { Value: PyStr key }) result[key.Value] = d.Values[k];
                break;
            case Tuple t when t.Elts.Length % 2 == 0:
                for (int k = 0; k < t.Elts.Length; k += 2)
                    if (t.Elts[k] is Constant { Value: PyStr key }) result[key.Value] = t.Elts[k + 1];
                break;
            case Constant { Value: PyTuple ct } when ct.Items.Length % 2 == 0:
                for (int k = 0; k < ct.Items.Length; k += 2)
                    if (ct.Items[k] is PyStr key) result[key.Value] = S.Constant(ct.Items[k + 1]);
                break;
            default:
                throw ctx.Fail("arguments", "annotations in an unknown shape");
        }
        if (f.Annotate is FunctionMarker annotate)
            foreach (var (name, value) in ctx.Nested.AnnotateEntries(annotate.Code)) result[name] = value;
        return result;
    }
}
