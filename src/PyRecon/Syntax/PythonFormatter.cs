using System.Collections.Immutable;
using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>
/// Prints a syntax tree as Python source for a target version: 4-space indents, two blank lines around
/// top-level functions and classes, one around nested ones, parentheses only where the grammar needs them.
/// With a line map (<see cref="FormatOptions.Lines"/>) statements and expressions go on their lines instead
/// (see the Syntax README, "Line placement").
/// Throws <see cref="SyntaxNotSupportedException"/> for constructs the target cannot express.
/// </summary>
public static class PythonFormatter
{
    public static string Format(ModNode mod, PythonVersion target) => Format(mod, target, FormatOptions.Default);

    /// <summary>As <see cref="Format(ModNode, PythonVersion)"/>, with comment lines printed before given statements (by reference).</summary>
    public static string Format(ModNode mod, PythonVersion target, IReadOnlyDictionary<StmtNode, IReadOnlyList<string>>? leadingComments) =>
        Format(mod, target, new FormatOptions { LeadingComments = leadingComments });

    /// <summary>As <see cref="Format(ModNode, PythonVersion)"/>, with comments and line placement from <paramref name="options"/>.</summary>
    public static string Format(ModNode mod, PythonVersion target, FormatOptions options) =>
        new StatementWriter(target, options.LeadingComments, LineMap.From(options), options.Misplaced).Module(mod);

    /// <summary>One expression as it would appear on the right of an assignment.</summary>
    public static string FormatExpression(ExprNode expression, PythonVersion target) =>
        ExpressionWriter.Text(expression, Precedence.Test, target, QuoteRules.Free);

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

/// <summary>
/// Statements and layout; expressions go to <see cref="ExpressionWriter"/>. Each statement is placed by
/// <see cref="Begin"/> (its line, or the canonical blank lines when the line is unknown) and written without
/// its newline, so the next simple statement of the same line can follow after <c>; </c>.
/// </summary>
internal sealed class StatementWriter
{
    private const string Indent = "    ";
    private readonly PythonVersion target;
    private readonly IReadOnlyDictionary<StmtNode, IReadOnlyList<string>>? leadingComments;
    private readonly LineMap? _lines;
    private readonly SourceBuilder _out = new();
    private readonly ExpressionWriter _expr;
    private int _depth;

    private readonly List<MisplacedStatement>? _misplaced;

    public StatementWriter(PythonVersion target, IReadOnlyDictionary<StmtNode, IReadOnlyList<string>>? leadingComments, LineMap? lines,
        List<MisplacedStatement>? misplaced = null)
    {
        _misplaced = misplaced;
        this.target = target;
        this.leadingComments = leadingComments;
        _lines = lines;
        _expr = new ExpressionWriter(target, QuoteRules.Free, _out, lines);
    }

    public string Module(ModNode mod)
    {
        switch (mod)
        {
            case Module m: Block(m.Body, allowEmpty: true); break;
            case Interactive i: Block(i.Body, allowEmpty: true); break;
            case Expression e: Slot(e.Body); break;
            case FunctionType ft:
                _out.Open('(');
                for (int i = 0; i < ft.Argtypes.Length; i++)
                {
                    if (i > 0) W(", ");
                    E(ft.Argtypes[i]);
                }
                _out.Close(')');
                W(" -> ");
                Slot(ft.Returns);
                break;
            default: throw new SyntaxNotSupportedException($"cannot write {mod.PythonName}");
        }
        _out.EndLine();
        return _out.ToString();
    }

    private void W(string text) => _out.Append(text);

    private void E(ExprNode e, Precedence p = Precedence.Test) => _expr.Expr(e, p);

    /// <summary>An if/elif/while condition: a named_expression, so `while x := f():` needs no parentheses (a tuple still does).</summary>
    private static Precedence ConditionPrecedence(ExprNode e) => e is NamedExpr ? Precedence.NamedExpr : Precedence.Test;

    /// <summary>
    /// Writes an expression that sits outside brackets. When one of its nodes must go to a later line, the
    /// expression is written again inside parentheses (which never change the compiled code) so that the
    /// break is allowed; where parentheses would change the tree or the grammar (<paramref name="parenthesizable"/>
    /// false) such nodes stay on the current line.
    /// </summary>
    private void Slot(Action write, bool parenthesizable = true) => Slot(write, static write => write(), parenthesizable);

    /// <summary>An expression in a slot: the common case, written without a closure per statement.</summary>
    private void Slot(ExprNode expr, Precedence precedence = Precedence.Test, bool parenthesizable = true) =>
        Slot((Writer: _expr, Expr: expr, Precedence: precedence), static s => s.Writer.Expr(s.Expr, s.Precedence), parenthesizable);

    private void Slot<TState>(TState state, Action<TState> write, bool parenthesizable)
    {
        bool saved = _out.CanParenthesize;
        if (_lines is null || !parenthesizable || _out.Depth > 0)
        {
            _out.CanParenthesize = false;
            try { write(state); }
            finally { _out.CanParenthesize = saved; }
            return;
        }
        var mark = _out.Save();
        bool wantedOutside = _out.ParenthesesWanted;
        (_out.CanParenthesize, _out.ParenthesesWanted) = (true, false);
        try
        {
            write(state);
            if (_out.ParenthesesWanted)
            {
                _out.Restore(mark);
                _out.CanParenthesize = false;
                _out.Open('(');
                write(state);
                _out.Close(')');
            }
        }
        finally
        {
            (_out.CanParenthesize, _out.ParenthesesWanted) = (saved, wantedOutside);
        }
    }

    private static bool IsDefinition(StmtNode s) => s is FunctionDef or AsyncFunctionDef or ClassDef;

    private static bool IsCompound(StmtNode s) =>
        s is If or While or For or AsyncFor or With or AsyncWith or Try or TryStar or FunctionDef or AsyncFunctionDef or ClassDef or Match;

    private static IReadOnlyList<ExprNode> DecoratorsOf(StmtNode s) => s switch
    {
        FunctionDef f => f.DecoratorList,
        AsyncFunctionDef f => f.DecoratorList,
        ClassDef c => c.DecoratorList,
        _ => [],
    };

    /// <summary>The line a statement starts on (for a decorated definition, its first decorator's), or 0.</summary>
    private int StatementLine(StmtNode s)
    {
        if (_lines is null) return 0;
        int line = _lines.Of(s);
        if (line > 0) return line;
        var decorators = DecoratorsOf(s);
        if (decorators.Count > 0) return _lines.Of(decorators[0]);
        return IsDefinition(s) ? _lines.KeywordLine(s) : 0;
    }

    private void Block(ImmutableArray<StmtNode> body, bool allowEmpty = false)
    {
        if (body.Length == 0)
        {
            if (allowEmpty) return;
            throw new SyntaxNotSupportedException("a block needs at least one statement");
        }
        int blank = _depth == 0 ? 2 : 1;
        for (int i = 0; i < body.Length; i++)
        {
            var s = body[i];
            int line = StatementLine(s);
            string doc = "";
            bool docstring = i == 0 && IsDocstring(s, out doc);
            var comments = CommentsOf(s, docstring);
            if (i > 0 && CanJoin(body[i - 1], s, line))
            {
                W("; ");
                foreach (var comment in comments) _out.AddTrailingComment(CommentText(comment));
            }
            else
            {
                Begin(line, i > 0 && (IsDefinition(s) || IsDefinition(body[i - 1])) ? blank : 0, comments);
            }
            if (line > 0 && _out.Line != line) _misplaced?.Add(new MisplacedStatement(s, line, _out.Line));
            _nextStatementLine = i + 1 < body.Length ? StatementLine(body[i + 1]) : 0;
            _headerLine = line;
            if (docstring) W(doc);
            else Statement(s);
        }
    }

    /// <summary>The line of the statement after the one being written in its block (0: none or unknown).</summary>
    private int _nextStatementLine;

    /// <summary>The known line of the statement or clause whose header is being written (0: unknown).</summary>
    private int _headerLine;

    /// <summary>The comment lines of a statement (docstrings print none: they are written as plain text).</summary>
    private IReadOnlyList<string> CommentsOf(StmtNode s, bool docstring) =>
        !docstring && leadingComments is not null && leadingComments.TryGetValue(s, out var c) ? c : [];

    /// <summary>A simple statement joins the previous one (simple, same body) on its line with "; " when both
    /// statements have the same known line, or (before 3.13) when the previous one was pushed onto this one's
    /// line. From 3.13 statements on one line pair their loads and stores into superinstructions
    /// (STORE_FAST_LOAD_FAST), so a statement only joins one that really shared its line.</summary>
    private bool CanJoin(StmtNode previous, StmtNode s, int line) =>
        _lines is not null && line > 0 && _out.LineOpen && !IsCompound(previous) && !IsCompound(s)
        && (StatementLine(previous) == line || target < PythonVersion.V3_13 && _out.Line == line);

    private static string CommentText(string comment) => comment.Replace("\r", "").Replace("\n", " ");

    /// <summary>Starts a statement on a new line: on <paramref name="line"/> when it is known and not passed
    /// (after its comments when they fit before it), else on the next line after the canonical blank lines.</summary>
    private void Begin(int line, int defaultBlank, IReadOnlyList<string> comments)
    {
        _out.EndLine();
        if (line > 0)
        {
            if (_out.Line + comments.Count <= line)
            {
                _out.PadTo(line - comments.Count);
                foreach (var comment in comments) CommentLine(comment);
            }
            else
            {
                // Exact placement wins: comments that do not fit before the statement follow it on its line.
                _out.PadTo(line);
                foreach (var comment in comments) _out.AddTrailingComment(CommentText(comment));
            }
        }
        else
        {
            for (int b = 0; b < defaultBlank; b++) _out.NewLine();
            foreach (var comment in comments) CommentLine(comment);
        }
        StartLine();
    }

    private void CommentLine(string comment)
    {
        StartLine();
        W("# " + CommentText(comment));
        _out.NewLine();
    }

    private void StartLine()
    {
        W(Indentation(_depth));
        _out.ContinuationIndent = Indentation(_depth + 1);
    }

    // Every line starts with one: made once per depth (deeper than any real code nests: built each time).
    private static readonly string[] s_indentations = [.. Enumerable.Range(0, 32).Select(d => string.Concat(Enumerable.Repeat(Indent, d)))];

    private static string Indentation(int depth) =>
        depth < s_indentations.Length ? s_indentations[depth] : string.Concat(Enumerable.Repeat(Indent, depth));

    /// <summary>A clause header (elif, else, except, finally, case, a later decorator, a decorated def):
    /// on its line when known and not passed, else on the next line.</summary>
    private void Clause(int line)
    {
        _headerLine = line;
        _out.PadTo(line);
        StartLine();
    }

    /// <summary>The line of an <c>else:</c> or <c>finally:</c> (which no node records): the line before its
    /// first statement and that statement's comments, when that is known.</summary>
    private int LineBefore(ImmutableArray<StmtNode> body)
    {
        int first = body.Length > 0 ? StatementLine(body[0]) : 0;
        if (first <= 0) return 0;
        return Math.Max(0, first - 1 - CommentsOf(body[0], IsDocstring(body[0])).Count);
    }

    private void Indented(ImmutableArray<StmtNode> body)
    {
        _depth++;
        Block(body);
        _depth--;
    }

    /// <summary>A leading string statement is a docstring: written with triple quotes when that is exact.</summary>
    private static bool IsDocstring(StmtNode s, out string text)
    {
        text = "";
        if (!IsDocstring(s)) return false;
        var str = (Constant)((Expr)s).Value;
        text = (str.Kind == "u" ? "u" : "") + "\"\"\"" + ((PyStr)str.Value).Value + "\"\"\"";
        return true;
    }

    /// <summary>A multi-line string statement that can be written as a triple-quoted literal, verbatim.</summary>
    private static bool IsDocstring(StmtNode s)
    {
        if (s is not Expr { Value: Constant { Value: PyStr str } } || !str.Value.Contains('\n')) return false;
        var v = str.Value;
        if (v.Contains("\"\"\"") || v.EndsWith('"')) return false;
        // Printable ASCII and newlines are checked at once; the Unicode tables only past the first other char.
        int first = v.AsSpan().IndexOfAnyExcept(s_docstringAscii);
        if (first < 0) return true;
        foreach (char c in v.AsSpan(first))
            if (c != '\n' && (c == '\\' || c == '\r' || !PythonLiterals.IsPrintable(c) || char.IsSurrogate(c))) return false;
        return true;
    }

    private static readonly System.Buffers.SearchValues<char> s_docstringAscii = PythonLiterals.PrintableAscii(except: "\\", also: "\n");

    private void Statement(StmtNode s)
    {
        switch (s)
        {
            case Expr e: Slot(e.Value, Precedence.Yield); break;
            case Assign a:
                if (a.Targets.IsEmpty) throw new SyntaxNotSupportedException("Assign needs a target");
                foreach (var t in a.Targets)
                {
                    Slot(t, Precedence.Tuple);
                    W(" = ");
                }
                Slot(a.Value, Precedence.Yield);
                break;
            case AugAssign a:
                Slot(a.Target, Precedence.Atom, parenthesizable: false);
                W(" " + Operators.Text(a.Op) + "= ");
                Slot(a.Value, Precedence.Yield);
                break;
            case AnnAssign a:
                if (a.Simple != 0 && a.Target is not Name) throw new SyntaxNotSupportedException("AnnAssign.simple=1 needs a Name target");
                // Parentheses around the target would change simple, so it never gets extra ones.
                if (a.Simple == 0 && a.Target is Name)
                {
                    _out.Open('(');
                    E(a.Target);
                    _out.Close(')');
                }
                else Slot(a.Target, Precedence.Atom, parenthesizable: false);
                W(": ");
                Slot(a.Annotation);
                if (a.Value is not null)
                {
                    W(" = ");
                    Slot(a.Value, Precedence.Yield);
                }
                break;
            case Return r:
                W("return");
                if (r.Value is not null)
                {
                    W(" ");
                    Slot(r.Value);
                }
                break;
            case Delete d:
                if (d.Targets.IsEmpty) throw new SyntaxNotSupportedException("del needs a target");
                W("del ");
                for (int i = 0; i < d.Targets.Length; i++)
                {
                    if (i > 0) W(", ");
                    var t = d.Targets[i];
                    Slot(t);
                }
                break;
            case Pass: W("pass"); break;
            case Break: W("break"); break;
            case Continue: W("continue"); break;
            case Global g: W("global " + NonEmpty(g.Names, "global")); break;
            case Nonlocal n: W("nonlocal " + NonEmpty(n.Names, "nonlocal")); break;
            case Assert a:
                W("assert ");
                Slot(a.Test);
                if (a.Msg is not null)
                {
                    W(", ");
                    Slot(a.Msg);
                }
                break;
            case Raise r:
                if (r.Exc is null && r.Cause is not null) throw new SyntaxNotSupportedException("raise with a cause needs an exception");
                W("raise");
                if (r.Exc is not null)
                {
                    W(" ");
                    Slot(r.Exc);
                }
                if (r.Cause is not null)
                {
                    W(" from ");
                    Slot(r.Cause);
                }
                break;
            case Import i: W("import " + Aliases(i.Names)); break;
            case ImportFrom f:
                if (f.Level is < 0) throw new SyntaxNotSupportedException("ImportFrom.level is negative");
                if (f.Module is null && (f.Level ?? 0) == 0) throw new SyntaxNotSupportedException("from-import needs a module or a relative level");
                W("from " + new string('.', f.Level ?? 0) + f.Module + " import ");
                // from m import (a, b) may break between names; "*" cannot be parenthesized.
                Slot(() => AliasList(f.Names), parenthesizable: !f.Names.Any(a => a.Name == "*"));
                break;
            case If i: IfChain(i); break;
            case While w:
                W("while ");
                Slot(w.Test, ConditionPrecedence(w.Test));
                // `while True:` compiles to no code of its own: its line is its body's, never shared.
                Body(w.Body, headerHasCode: w.Test is not Constant);
                Else(w.Orelse);
                break;
            case For f: ForLoop("for ", f.Target, f.Iter, f.Body, f.Orelse); break;
            case AsyncFor f: ForLoop("async for ", f.Target, f.Iter, f.Body, f.Orelse); break;
            case With w: W("with "); WithItems(w.Items); Body(w.Body); break;
            case AsyncWith w: W("async with "); WithItems(w.Items); Body(w.Body); break;
            case Try t: TryStatement(t.Body, t.Handlers, t.Orelse, t.Finalbody, star: false); break;
            case TryStar t:
                SyntaxNotSupportedException.RequireVersion(target, PythonVersion.V3_11, "except*");
                TryStatement(t.Body, t.Handlers, t.Orelse, t.Finalbody, star: true);
                break;
            case FunctionDef f: Function(f, "def ", f.Name, f.Args, f.Body, f.DecoratorList, f.Returns, f.TypeParams); break;
            case AsyncFunctionDef f: Function(f, "async def ", f.Name, f.Args, f.Body, f.DecoratorList, f.Returns, f.TypeParams); break;
            case ClassDef c:
                Decorators(c, c.DecoratorList);
                W("class " + c.Name);
                _expr.TypeParams(c.TypeParams);
                if (c.Bases.Length + c.Keywords.Length > 0)
                {
                    _out.Open('(');
                    _expr.CallArguments(c.Bases, c.Keywords, soleGeneratorBare: false);
                    _out.Close(')');
                }
                Body(c.Body, definition: true, classBody: true);
                break;
            case Match m:
                SyntaxNotSupportedException.RequireVersion(target, PythonVersion.V3_10, "match");
                if (m.Cases.IsEmpty) throw new SyntaxNotSupportedException("match needs at least one case");
                W("match ");
                Slot(m.Subject);
                W(":");
                _depth++;
                foreach (var c in m.Cases)
                {
                    Clause(_lines is null ? 0 : _lines.Of(c) is > 0 and var caseLine ? caseLine : _lines.Of(c.Pattern));
                    W("case ");
                    Slot(() => _expr.Pattern(c.Pattern), parenthesizable: false);
                    if (c.Guard is not null)
                    {
                        W(" if ");
                        Slot(c.Guard);
                    }
                    Body(c.Body);
                }
                _depth--;
                break;
            case TypeAlias ta:
                SyntaxNotSupportedException.RequireVersion(target, PythonVersion.V3_12, "the type statement");
                W("type ");
                Slot(ta.Name, Precedence.Atom, parenthesizable: false);
                _expr.TypeParams(ta.TypeParams);
                W(" = ");
                Slot(ta.Value);
                break;
            default: throw new SyntaxNotSupportedException($"cannot write {s.PythonName}");
        }
    }

    private static string NonEmpty(IReadOnlyList<string> names, string what) =>
        names.Count == 0 ? throw new SyntaxNotSupportedException($"{what} needs a name") : string.Join(", ", names);

    private static string Aliases(IReadOnlyList<Alias> names)
    {
        if (names.Count == 0) throw new SyntaxNotSupportedException("import needs a name");
        return string.Join(", ", names.Select(AliasText));
    }

    private static string AliasText(Alias a) => a.Name + (a.Asname is null ? "" : " as " + a.Asname);

    private void AliasList(IReadOnlyList<Alias> names)
    {
        if (names.Count == 0) throw new SyntaxNotSupportedException("import needs a name");
        for (int i = 0; i < names.Count; i++)
        {
            if (i > 0) W(", ");
            _expr.At(names[i]);
            W(AliasText(names[i]));
        }
    }

    private void WithItems(IReadOnlyList<Withitem> items)
    {
        if (items.Count == 0) throw new SyntaxNotSupportedException("with needs an item");
        // From 3.9 "with (a, b):" is two parenthesized items; a lone tuple needs its own parentheses.
        if (target >= PythonVersion.V3_9 && items is [{ OptionalVars: null, ContextExpr: Tuple t }])
        {
            _out.Open('(');
            E(t);
            _out.Close(')');
            return;
        }
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) W(", ");
            var item = items[i];
            Slot(item.ContextExpr);
            if (item.OptionalVars is not null)
            {
                W(" as ");
                Slot(item.OptionalVars);
            }
        }
    }

    private void ForLoop(string keyword, ExprNode target, ExprNode iter, ImmutableArray<StmtNode> body, ImmutableArray<StmtNode> orelse)
    {
        W(keyword);
        Slot(target, Precedence.Tuple);
        W(" in ");
        Slot(iter);
        Body(body);
        Else(orelse);
    }

    /// <summary>The colon of a header and the indented body on the following lines.</summary>
    private void Body(ImmutableArray<StmtNode> body, bool definition = false, bool classBody = false, bool headerHasCode = true)
    {
        W(":");
        if (headerHasCode && FitsOnHeaderLine(body, definition, classBody))
        {
            // `class Error(Exception): pass`: the body shares the header's line, so what follows keeps its own.
            for (int i = 0; i < body.Length; i++)
            {
                W(i == 0 ? " " : "; ");
                Statement(body[i]);
            }
            return;
        }
        Indented(body);
    }

    /// <summary>With line placement: a body of simple statements all on the header's line (`if x: y += 1`; only
    /// for headers with code of their own, whose line is not borrowed from the body), or a
    /// class body that is a lone `pass` no bytecode places when the next statement is on the very next line
    /// (a function's lone `pass` stands for its return, which has a line), or a lone break/continue that no op
    /// places (its jump became the header's own: on its own line the compiler would keep a NOP for it).</summary>
    private bool FitsOnHeaderLine(ImmutableArray<StmtNode> body, bool definition, bool classBody)
    {
        if (_lines is null || !_out.LineOpen || body.Length == 0) return false;
        int headerLine = _out.Line, nextLine = _nextStatementLine;
        // A header pushed below its own line, or written over several, does not share a line with its body.
        if (!definition && _headerLine != headerLine) return false;
        foreach (var s in body)
        {
            if (IsCompound(s) || CommentsOf(s, docstring: false).Count > 0 || IsDocstring(s)) return false;
            int line = StatementLine(s);
            if (line != headerLine && !(classBody && line == 0 && s is Pass && body.Length == 1 && nextLine == headerLine + 1)
                && !(line == 0 && s is Break or Continue && body.Length == 1 && !definition)) return false;
        }
        return true;
    }

    private void Else(ImmutableArray<StmtNode> orelse)
    {
        if (orelse.Length == 0) return;
        Clause(LineBefore(orelse));
        W("else");
        Body(orelse);
    }

    private void IfChain(If node)
    {
        W("if ");
        Slot(node.Test, ConditionPrecedence(node.Test));
        Body(node.Body);
        // else: if ... with nothing else is written as elif (it parses back to the same tree).
        while (node.Orelse is [If inner])
        {
            node = inner;
            Clause(StatementLine(node));
            W("elif ");
            Slot(node.Test, ConditionPrecedence(node.Test));
            Body(node.Body);
        }
        Else(node.Orelse);
    }

    private void TryStatement(ImmutableArray<StmtNode> body, IReadOnlyList<ExcepthandlerNode> handlers, ImmutableArray<StmtNode> orelse, ImmutableArray<StmtNode> finalbody, bool star)
    {
        if (handlers.Count == 0 && finalbody.Length == 0) throw new SyntaxNotSupportedException("try needs a handler or finally");
        if (handlers.Count == 0 && orelse.Length > 0) throw new SyntaxNotSupportedException("try/else needs a handler");
        W("try");
        Body(body, headerHasCode: false);
        foreach (var h in handlers.Cast<ExceptHandler>())
        {
            if (star && h.Type is null) throw new SyntaxNotSupportedException("except* needs an exception type");
            if (h.Type is null && h.Name is not null) throw new SyntaxNotSupportedException("a bare except cannot bind a name");
            // Without a line of its own, the clause goes on its type's line (not a line break inside the type).
            Clause(_lines is null ? 0 : _lines.Of(h) is > 0 and var clauseLine ? clauseLine : h.Type is null ? 0 : _lines.Of(h.Type));
            W(star ? "except*" : "except");
            if (h.Type is not null)
            {
                W(" ");
                Slot(h.Type);
            }
            if (h.Name is not null) W(" as " + h.Name);
            Body(h.Body);
        }
        Else(orelse);
        if (finalbody.Length > 0)
        {
            Clause(LineBefore(finalbody));
            W("finally");
            Body(finalbody);
        }
    }

    /// <summary>
    /// Decorators, each "@" line on its decorator's line (the first one on the statement's line, where
    /// <see cref="Begin"/> put it), then the def/class keyword line: <see cref="LineMap.KeywordLine"/> when
    /// known, else the line after the last decorator.
    /// </summary>
    private void Decorators(StmtNode definition, IReadOnlyList<ExprNode> decorators)
    {
        for (int i = 0; i < decorators.Count; i++)
        {
            var d = decorators[i];
            if (target < PythonVersion.V3_9 && !IsDottedCall(d))
                throw new SyntaxNotSupportedException($"a decorator other than a dotted name or a call of one needs Python 3.9+; the target is {target}");
            if (i > 0) Clause(_lines?.Of(d) ?? 0);
            W("@");
            // Before 3.9 a decorator is a dotted name or a call of one: no parentheses around it.
            Slot(d, parenthesizable: target >= PythonVersion.V3_9);
        }
        if (decorators.Count > 0) Clause(_lines?.KeywordLine(definition) ?? 0);
    }

    private static bool IsDottedName(ExprNode e) => e is Name || (e is Attribute a && IsDottedName(a.Value));

    private static bool IsDottedCall(ExprNode e) => IsDottedName(e) || (e is Call c && IsDottedName(c.Func));

    private void Function(StmtNode node, string keyword, string name, Arguments args, ImmutableArray<StmtNode> body, IReadOnlyList<ExprNode> decorators, ExprNode? returns, IReadOnlyList<TypeParamNode> typeParams)
    {
        Decorators(node, decorators);
        W(keyword + name);
        _expr.TypeParams(typeParams);
        _out.Open('(');
        _expr.Arguments(args, lambda: false);
        _out.Close(')');
        if (returns is not null)
        {
            W(" -> ");
            Slot(returns);
        }
        Body(body, definition: true);
    }
}
