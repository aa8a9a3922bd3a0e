using System.Text;
using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>
/// Prints a syntax tree as Python source for a target version: 4-space indents, two blank lines around
/// top-level functions and classes, one around nested ones, parentheses only where the grammar needs them.
/// Throws <see cref="SyntaxNotSupportedException"/> for constructs the target cannot express.
/// </summary>
public static class PythonFormatter
{
    public static string Format(ModNode mod, PythonVersion target) => new StatementWriter(target, null).Module(mod);

    /// <summary>As <see cref="Format(ModNode, PythonVersion)"/>, with comment lines printed before given statements (by reference).</summary>
    public static string Format(ModNode mod, PythonVersion target, IReadOnlyDictionary<StmtNode, IReadOnlyList<string>>? leadingComments) =>
        new StatementWriter(target, leadingComments).Module(mod);

    /// <summary>One expression as it would appear on the right of an assignment.</summary>
    public static string FormatExpression(ExprNode expression, PythonVersion target) =>
        new ExpressionWriter(target, QuoteRules.Free).Expr(expression, Precedence.Test);

    /// <summary>For diagnostics: the expression's source, or its node kind when it cannot be written.</summary>
    public static string FormatExpressionOrDescribe(ExprNode expression)
    {
        try { return FormatExpression(expression, PythonVersion.V3_14); }
        catch (Exception e) when (e is SyntaxNotSupportedException or ArgumentException or InvalidOperationException) { return "<" + expression.PythonName + ">"; }
    }

    /// <summary>The text a replacement field of a t-string holds for <paramref name="value"/>: what
    /// CPython stores in Interpolation.str when it parses the formatted source (3.14, quotes free).</summary>
    public static string InterpolationText(ExprNode value) =>
        FStringWriter.FieldExpression(value, PythonVersion.V3_14, QuoteRules.Free);
}

/// <summary>Statements and layout; expressions go to <see cref="ExpressionWriter"/>.</summary>
internal sealed class StatementWriter(PythonVersion target, IReadOnlyDictionary<StmtNode, IReadOnlyList<string>>? leadingComments)
{
    private const string Indent = "    ";
    private readonly StringBuilder _out = new();
    private readonly ExpressionWriter _expr = new(target, QuoteRules.Free);
    private int _depth;

    public string Module(ModNode mod)
    {
        switch (mod)
        {
            case Module m: Block(m.Body, allowEmpty: true); break;
            case Interactive i: Block(i.Body, allowEmpty: true); break;
            case Expression e: _out.Append(_expr.Expr(e.Body, Precedence.Test)).Append('\n'); break;
            case FunctionType ft:
                _out.Append('(').Append(string.Join(", ", ft.Argtypes.Select(a => _expr.Expr(a, Precedence.Test))))
                    .Append(") -> ").Append(_expr.Expr(ft.Returns, Precedence.Test)).Append('\n');
                break;
            default: throw new SyntaxNotSupportedException($"cannot write {mod.PythonName}");
        }
        return _out.ToString();
    }

    private string E(ExprNode e, Precedence p = Precedence.Test) => _expr.Expr(e, p);

    private void Line(string text) => _out.Append(string.Concat(Enumerable.Repeat(Indent, _depth))).Append(text).Append('\n');

    private static bool IsDefinition(StmtNode s) => s is FunctionDef or AsyncFunctionDef or ClassDef;

    private void Block(IReadOnlyList<StmtNode> body, bool allowEmpty = false)
    {
        if (body.Count == 0)
        {
            if (allowEmpty) return;
            throw new SyntaxNotSupportedException("a block needs at least one statement");
        }
        int blank = _depth == 0 ? 2 : 1;
        for (int i = 0; i < body.Count; i++)
        {
            if (i > 0 && (IsDefinition(body[i]) || IsDefinition(body[i - 1])))
                for (int b = 0; b < blank; b++) _out.Append('\n');
            if (i == 0 && IsDocstring(body[0], out var doc)) Line(doc);
            else Statement(body[i]);
        }
    }

    private void Indented(IReadOnlyList<StmtNode> body)
    {
        _depth++;
        Block(body);
        _depth--;
    }

    /// <summary>A leading string statement is a docstring: written with triple quotes when that is exact.</summary>
    private static bool IsDocstring(StmtNode s, out string text)
    {
        text = "";
        if (s is not Expr { Value: Constant { Value: PyStr str, Kind: var kind } } || !str.Value.Contains('\n')) return false;
        var v = str.Value;
        bool clean = v.All(c => c == '\n' || (c != '\\' && c != '\r' && PythonLiterals.IsPrintable(c) && !char.IsSurrogate(c)))
            && !v.Contains("\"\"\"") && !v.EndsWith('"');
        if (!clean) return false;
        text = (kind == "u" ? "u" : "") + "\"\"\"" + v + "\"\"\"";
        return true;
    }

    private void Statement(StmtNode s)
    {
        if (leadingComments is not null && leadingComments.TryGetValue(s, out var comments))
            foreach (var comment in comments) Line("# " + comment.Replace("\r", "").Replace("\n", " "));
        switch (s)
        {
            case Expr e: Line(E(e.Value, Precedence.Yield)); break;
            case Assign a:
                if (a.Targets.IsEmpty) throw new SyntaxNotSupportedException("Assign needs a target");
                Line(string.Concat(a.Targets.Select(t => E(t, Precedence.Tuple) + " = ")) + E(a.Value, Precedence.Yield));
                break;
            case AugAssign a: Line(E(a.Target, Precedence.Atom) + " " + Operators.Text(a.Op) + "= " + E(a.Value, Precedence.Yield)); break;
            case AnnAssign a:
            {
                var target = a.Simple == 0 && a.Target is Name ? "(" + E(a.Target) + ")" : E(a.Target, Precedence.Atom);
                if (a.Simple != 0 && a.Target is not Name) throw new SyntaxNotSupportedException("AnnAssign.simple=1 needs a Name target");
                Line(target + ": " + E(a.Annotation) + (a.Value is null ? "" : " = " + E(a.Value, Precedence.Yield)));
                break;
            }
            case Return r: Line(r.Value is null ? "return" : "return " + E(r.Value)); break;
            case Delete d:
                if (d.Targets.IsEmpty) throw new SyntaxNotSupportedException("del needs a target");
                Line("del " + string.Join(", ", d.Targets.Select(t => E(t))));
                break;
            case Pass: Line("pass"); break;
            case Break: Line("break"); break;
            case Continue: Line("continue"); break;
            case Global g: Line("global " + NonEmpty(g.Names, "global")); break;
            case Nonlocal n: Line("nonlocal " + NonEmpty(n.Names, "nonlocal")); break;
            case Assert a: Line("assert " + E(a.Test) + (a.Msg is null ? "" : ", " + E(a.Msg))); break;
            case Raise r:
                if (r.Exc is null && r.Cause is not null) throw new SyntaxNotSupportedException("raise with a cause needs an exception");
                Line("raise" + (r.Exc is null ? "" : " " + E(r.Exc)) + (r.Cause is null ? "" : " from " + E(r.Cause)));
                break;
            case Import i: Line("import " + Aliases(i.Names)); break;
            case ImportFrom f:
                if (f.Level is < 0) throw new SyntaxNotSupportedException("ImportFrom.level is negative");
                if (f.Module is null && (f.Level ?? 0) == 0) throw new SyntaxNotSupportedException("from-import needs a module or a relative level");
                Line("from " + new string('.', f.Level ?? 0) + f.Module + " import " + Aliases(f.Names));
                break;
            case If i: IfChain(i); break;
            case While w: Compound("while " + E(w.Test), w.Body); Else(w.Orelse); break;
            case For f: Compound("for " + E(f.Target, Precedence.Tuple) + " in " + E(f.Iter), f.Body); Else(f.Orelse); break;
            case AsyncFor f: Compound("async for " + E(f.Target, Precedence.Tuple) + " in " + E(f.Iter), f.Body); Else(f.Orelse); break;
            case With w: Compound("with " + WithItems(w.Items), w.Body); break;
            case AsyncWith w: Compound("async with " + WithItems(w.Items), w.Body); break;
            case Try t: TryStatement(t.Body, t.Handlers, t.Orelse, t.Finalbody, star: false); break;
            case TryStar t:
                SyntaxNotSupportedException.RequireVersion(target, PythonVersion.V3_11, "except*");
                TryStatement(t.Body, t.Handlers, t.Orelse, t.Finalbody, star: true);
                break;
            case FunctionDef f: Function("def ", f.Name, f.Args, f.Body, f.DecoratorList, f.Returns, f.TypeParams); break;
            case AsyncFunctionDef f: Function("async def ", f.Name, f.Args, f.Body, f.DecoratorList, f.Returns, f.TypeParams); break;
            case ClassDef c:
            {
                Decorators(c.DecoratorList);
                var args = _expr.CallArguments(c.Bases, c.Keywords, soleGeneratorBare: false);
                Compound("class " + c.Name + _expr.TypeParams(c.TypeParams) + (args.Length > 0 || c.Bases.Length + c.Keywords.Length > 0 ? "(" + args + ")" : ""), c.Body);
                break;
            }
            case Match m:
                SyntaxNotSupportedException.RequireVersion(target, PythonVersion.V3_10, "match");
                if (m.Cases.IsEmpty) throw new SyntaxNotSupportedException("match needs at least one case");
                Line("match " + E(m.Subject) + ":");
                _depth++;
                foreach (var c in m.Cases) Compound("case " + _expr.Pattern(c.Pattern) + (c.Guard is null ? "" : " if " + E(c.Guard)), c.Body);
                _depth--;
                break;
            case TypeAlias ta:
                SyntaxNotSupportedException.RequireVersion(target, PythonVersion.V3_12, "the type statement");
                Line("type " + E(ta.Name, Precedence.Atom) + _expr.TypeParams(ta.TypeParams) + " = " + E(ta.Value));
                break;
            default: throw new SyntaxNotSupportedException($"cannot write {s.PythonName}");
        }
    }

    private static string NonEmpty(IReadOnlyList<string> names, string what) =>
        names.Count == 0 ? throw new SyntaxNotSupportedException($"{what} needs a name") : string.Join(", ", names);

    private static string Aliases(IReadOnlyList<Alias> names)
    {
        if (names.Count == 0) throw new SyntaxNotSupportedException("import needs a name");
        return string.Join(", ", names.Select(a => a.Name + (a.Asname is null ? "" : " as " + a.Asname)));
    }

    private string WithItems(IReadOnlyList<Withitem> items)
    {
        if (items.Count == 0) throw new SyntaxNotSupportedException("with needs an item");
        // From 3.9 "with (a, b):" is two parenthesized items; a lone tuple needs its own parentheses.
        if (target >= PythonVersion.V3_9 && items is [{ OptionalVars: null, ContextExpr: Tuple t }])
            return "(" + E(t) + ")";
        return string.Join(", ", items.Select(i => E(i.ContextExpr) + (i.OptionalVars is null ? "" : " as " + E(i.OptionalVars))));
    }

    private void Compound(string header, IReadOnlyList<StmtNode> body)
    {
        Line(header + ":");
        Indented(body);
    }

    private void Else(IReadOnlyList<StmtNode> orelse)
    {
        if (orelse.Count > 0) Compound("else", orelse);
    }

    private void IfChain(If node)
    {
        Compound("if " + E(node.Test), node.Body);
        // else: if ... with nothing else is written as elif (it parses back to the same tree).
        while (node.Orelse is [If inner])
        {
            node = inner;
            Compound("elif " + E(node.Test), node.Body);
        }
        Else(node.Orelse);
    }

    private void TryStatement(IReadOnlyList<StmtNode> body, IReadOnlyList<ExcepthandlerNode> handlers, IReadOnlyList<StmtNode> orelse, IReadOnlyList<StmtNode> finalbody, bool star)
    {
        if (handlers.Count == 0 && finalbody.Count == 0) throw new SyntaxNotSupportedException("try needs a handler or finally");
        if (handlers.Count == 0 && orelse.Count > 0) throw new SyntaxNotSupportedException("try/else needs a handler");
        Compound("try", body);
        foreach (var h in handlers.Cast<ExceptHandler>())
        {
            if (star && h.Type is null) throw new SyntaxNotSupportedException("except* needs an exception type");
            if (h.Type is null && h.Name is not null) throw new SyntaxNotSupportedException("a bare except cannot bind a name");
            Compound((star ? "except*" : "except") + (h.Type is null ? "" : " " + E(h.Type)) + (h.Name is null ? "" : " as " + h.Name), h.Body);
        }
        Else(orelse);
        if (finalbody.Count > 0) Compound("finally", finalbody);
    }

    private void Decorators(IReadOnlyList<ExprNode> decorators)
    {
        foreach (var d in decorators)
        {
            if (target < PythonVersion.V3_9 && !IsDottedCall(d))
                throw new SyntaxNotSupportedException($"a decorator other than a dotted name or a call of one needs Python 3.9+; the target is {target}");
            Line("@" + E(d));
        }
    }

    private static bool IsDottedName(ExprNode e) => e is Name || (e is Attribute a && IsDottedName(a.Value));

    private static bool IsDottedCall(ExprNode e) => IsDottedName(e) || (e is Call c && IsDottedName(c.Func));

    private void Function(string keyword, string name, Arguments args, IReadOnlyList<StmtNode> body, IReadOnlyList<ExprNode> decorators, ExprNode? returns, IReadOnlyList<TypeParamNode> typeParams)
    {
        Decorators(decorators);
        Compound(keyword + name + _expr.TypeParams(typeParams) + "(" + _expr.Arguments(args, lambda: false) + ")" + (returns is null ? "" : " -> " + E(returns)), body);
    }
}
