using System.Collections.Immutable;
using PyRecon.Evaluation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Decompilation;

/// <summary>
/// Turns a comprehension's loop nest (for/if statements around one element statement: LIST_APPEND and
/// friends, or a generator's yield) into the comprehension expression.
/// </summary>
internal static class ComprehensionBuilder
{
    public static ExprNode Build(CodeObject code, List<StmtNode> body, ExprNode iterable, PseudoRegistry? pseudo = null, Dictionary<SyntaxNode, int>? lines = null) =>
        Build(code.Name, body, iterable, pseudo, inline: false, lines);

    /// <summary>A 3.12+ inlined comprehension: <paramref name="kind"/> is &lt;listcomp&gt;, &lt;setcomp&gt; or &lt;dictcomp&gt;.</summary>
    public static ExprNode BuildInline(string kind, List<StmtNode> body, PseudoRegistry pseudo, Dictionary<SyntaxNode, int>? lines = null) =>
        Build(kind, body, null, pseudo, inline: true, lines);

    /// <summary>Each `for` clause stands on the line of its target's store (where the source put the target).</summary>
    private static Comprehension WithLine(Comprehension g, Dictionary<SyntaxNode, int>? lines)
    {
        if (lines is null) return g;
        var first = g.Target is Syntax.Tuple { Elts: [var head, ..] } ? head : g.Target;
        if (lines.TryGetValue(first, out int line) || lines.TryGetValue(g.Target, out line)) lines[g] = line;
        return g;
    }

    private static ExprNode Build(string name, List<StmtNode> body, ExprNode? iterable, PseudoRegistry? pseudo, bool inline, Dictionary<SyntaxNode, int>? lines)
    {
        var loops = body.Where(s => s is not Return).ToList();
        if (loops.Count != 1 || loops[0] is not (For or AsyncFor))
            throw new DecompileFailure("comprehension", $"{name} is not one loop");
        var generators = ImmutableArray.CreateBuilder<Comprehension>();
        StmtNode current = loops[0];
        ExprNode? element = null, value = null;
        while (element is null)
        {
            switch (current)
            {
                case For f:
                    generators.Add(S.Comprehension(f.Target, f.Iter, [], 0));
                    current = Single(f.Body, f.Orelse, name);
                    break;
                case AsyncFor f:
                    generators.Add(S.Comprehension(f.Target, f.Iter, [], 1));
                    current = Single(f.Body, f.Orelse, name);
                    break;
                case If i when i.Orelse.IsEmpty:
                {
                    var last = generators[^1];
                    generators[^1] = S.Comprehension(last.Target, last.Iter, last.Ifs.Add(i.Test), last.IsAsync);
                    current = Single(i.Body, [], name);
                    break;
                }
                case Expr { Value: Yield y } when name == "<genexpr>":
                    element = y.Value ?? S.Constant(PyNone.Instance);
                    break;
                case Expr e when pseudo?.Get(e) is ComprehensionElement ce:
                    element = ce.Element;
                    value = ce.Value;
                    break;
                default:
                    throw new DecompileFailure("comprehension", $"unexpected {current.PythonName} in {name}");
            }
        }
        var first = generators[0];
        if (!inline)
        {
            if (!ReferenceEquals(first.Iter, Evaluator.ComprehensionSource) && !first.Iter.Equals(Evaluator.ComprehensionSource))
                throw new DecompileFailure("comprehension", $"{name} does not iterate over its argument");
            generators[0] = S.Comprehension(first.Target, iterable!, first.Ifs, first.IsAsync);
        }
        var gens = generators.Select(g => WithLine(g, lines)).ToImmutableArray();
        return name switch
        {
            "<listcomp>" => S.ListComp(element, gens),
            "<setcomp>" => S.SetComp(element, gens),
            "<dictcomp>" => S.DictComp(element, value ?? throw new DecompileFailure("comprehension", "dict comprehension without a value"), gens),
            _ => S.GeneratorExp(element, gens),
        };
    }

    private static StmtNode Single(ImmutableArray<StmtNode> body, ImmutableArray<StmtNode> orelse, string name)
    {
        var real = body.Where(s => s is not Continue).ToList();
        if (real.Count != 1 || !orelse.IsEmpty) throw new DecompileFailure("comprehension", $"{name}: a loop body holds {real.Count} statements");
        return real[0];
    }
}
