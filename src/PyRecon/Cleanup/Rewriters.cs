using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Cleanup;

/// <summary>Drops what the compiler adds to every class body: __module__, __qualname__, __firstlineno__,
/// __static_attributes__, the __classcell__ / __classdictcell__ stores and the final return. The optimizer copies
/// the tail of that (the stores after the last statement, and the return) into the branches of a trailing if or
/// try, so the stores go from every statement list.</summary>
internal sealed class ClassBodyRewriter : IBodyRewriter
{
    private static readonly HashSet<string> s_plumbing = ["__module__", "__qualname__", "__firstlineno__", "__static_attributes__", "__classcell__", "__classdictcell__", "__annotate_func__"];

    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Scope != ScopeKind.Class) return body;
        body = StatementLists.Rewrite(body, ctx, list => list.FindAll(s => !IsPlumbing(s)));
        var result = new List<StmtNode>(body.Count);
        for (int i = 0; i < body.Count; i++)
        {
            var s = body[i];
            if (i == body.Count - 1 && s is Return) continue;
            result.Add(s);
        }
        return result;
    }

    /// <summary>A compiler store; the compiler sets __module__ from __name__ only: another value is the class's own (`__module__ = 're'`).</summary>
    private static bool IsPlumbing(StmtNode s) => s is Assign { Targets: [Name n] } a && s_plumbing.Contains(n.Id)
        && (n.Id != "__module__" || a.Value is Name { Id: "__name__" });
}

/// <summary>
/// Docstrings: a function's is its first constant (3.8-3.13: a str there; 3.14: the CO_HAS_DOCSTRING flag);
/// a module's or class's is the leading `__doc__ = '...'` store.
/// </summary>
internal sealed class DocstringRewriter : IBodyRewriter
{
    /// <summary>A function's docstring: its first constant when it is a str (3.8-3.13), when CO_HAS_DOCSTRING says so (3.14).</summary>
    public static PyStr? FunctionDocstring(CodeObject code)
    {
        bool has = code.Version >= PythonVersion.V3_14
            ? (code.Flags & CodeFlags.HasDocstring) != 0
            : code.Consts.Length > 0 && code.Consts[0] is PyStr;
        return has && code.Consts.Length > 0 ? code.Consts[0] as PyStr : null;
    }

    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        var code = ctx.Code;
        switch (ctx.Scope)
        {
            case ScopeKind.Module:
            case ScopeKind.Class:
                if (body.Count > 0 && body[0] is Assign { Targets: [Name { Id: "__doc__" }], Value: Constant { Value: PyStr } doc })
                {
                    var stmt = S.Expr(doc);
                    if (ctx.Lines.TryGetValue(body[0], out int line)) ctx.SetLine(stmt, line);
                    body[0] = stmt;
                }
                return body;
            case ScopeKind.Function:
            {
                if (FunctionDocstring(code) is not PyStr text) return body;
                var stmt = S.Expr(S.Constant(text));
                ctx.SetLine(stmt, code.FirstLineNo + 1);
                body.Insert(0, stmt);
                return body;
            }
            default:
                return body;
        }
    }
}

/// <summary>
/// A generator whose every `yield` was dead code (`return x` then `yield`; `while False: yield None`, the idiom for
/// an empty generator) has no yield left in its bytecode but keeps the generator flag, which only a yield in the
/// source sets. The body gets one back where the compiler drops it again: after a final return or raise, else as
/// `while False: yield None` (3.14: `return` and `yield` when co_consts holds no False).
/// </summary>
internal sealed class DeadYieldRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Scope != ScopeKind.Function || (ctx.Code.Flags & CodeFlags.Generator) == 0) return body;
        foreach (var op in ctx.Flow.Ops)
            if (op.Handler is OpcodeHandler.YieldValue or OpcodeHandler.YieldFrom) return body;
        int line = body is [.., var last] && ctx.Lines.TryGetValue(last, out int l) ? l : 0;
        if (body is [.., Return or Raise])
        {
            // On the return's line: a statement of its own would move every line after it.
            var yield = S.Expr(S.Yield());
            body.Add(yield);
            ctx.SetLine(yield, line);
            return body;
        }
        // The pass holding the implicit return's line is where the loop stood.
        if (body is [.., Pass]) body.RemoveAt(body.Count - 1);
        if (ctx.Version >= PythonVersion.V3_14 && !ctx.Code.Consts.Any(c => c is PyBool { Value: false }))
        {
            // 3.14 keeps a constant test's value in co_consts (`while False` leaves False there): without it the
            // yield followed a return.
            var ret = S.Return();
            body.Add(ret);
            ctx.SetLine(ret, line);
            var after = S.Expr(S.Yield());
            body.Add(after);
            ctx.SetLine(after, line);
            return body;
        }
        var loop = S.While(S.Constant(PyBool.False), [S.Expr(S.Yield(S.Constant(PyNone.Instance)))]);
        body.Add(loop);
        ctx.SetLine(loop, line);
        return body;
    }
}

/// <summary>
/// The `return None` the compiler adds at the end of every body is left out. From 3.10 an explicit final
/// `return` shared by several paths stays one block (an implicit one is copied to each path), so such a
/// return is kept; the optimizer's copies of the implicit return at the ends of a final if/else's branches go.
/// </summary>
internal sealed class ImplicitReturnRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Scope is ScopeKind.Lambda or ScopeKind.Comprehension) return body;
        // Module and class bodies cannot return at all: every tail return is the compiler's.
        // A class body's return is the compiler's and made no statement: its line is its op's.
        var implicitLine = ctx.Scope is ScopeKind.Class
            ? ctx.Flow.Ops is [.., { Kind: OpKind.Return } classReturn] ? classReturn.Line : 0
            : body is [.., Return { Value: null } last] && ctx.Lines.TryGetValue(last, out int l) ? l : 0;
        body = ctx.Scope is ScopeKind.Module or ScopeKind.Class
            ? StripTail(body, ctx, _ => true, _ => true)
            : StripTail(body, ctx, ret => !ctx.SharedReturnsOrEmpty.Contains(ret), ret => ctx.ImplicitReturnsOrEmpty.Contains(ret));
        if (ctx.Scope is ScopeKind.Class or ScopeKind.Function) KeepPassLine(body, implicitLine, ctx);
        return body;
    }

    /// <summary>
    /// A body that is no more than a docstring (or nothing) ends in the implicit return alone, which takes the line
    /// of what came last: a `pass` leaves no code but that line (without one the return has the docstring's line in
    /// a class, the `def` line in a function, both not past the docstring's). The pass is written on it, which puts
    /// a one-line body back on its header's line (`class E(Exception): pass`).
    /// </summary>
    private static void KeepPassLine(List<StmtNode> body, int implicitLine, CodeContext ctx)
    {
        if (implicitLine <= 0) return;
        if (body.Count == 0 || body is [Expr { Value: Constant { Value: PyStr } } doc] && ctx.Lines.TryGetValue(doc, out int docLine) && implicitLine > docLine)
        {
            var pass = S.Pass();
            ctx.SetLine(pass, implicitLine);
            body.Add(pass);
        }
    }

    /// <param name="atEnd">Whether the body's own final return goes.</param>
    /// <param name="inBranch">Whether a final return inside a final if's branch goes.</param>
    private static List<StmtNode> StripTail(List<StmtNode> body, CodeContext ctx, Func<Return, bool> atEnd, Func<Return, bool> inBranch)
    {
        if (body.Count == 0) return body;
        switch (body[^1])
        {
            case Return { Value: null } ret when atEnd(ret):
                body.RemoveAt(body.Count - 1);
                // What now ends the body (a try or if the return followed) may end in copies of it.
                return StripTail(body, ctx, inBranch, inBranch);
            case If i:
            {
                var then = StripTail([.. i.Body], ctx, inBranch, inBranch);
                var orelse = StripTail([.. i.Orelse], ctx, inBranch, inBranch);
                if (!Changed(then, i.Body) && !Changed(orelse, i.Orelse)) break;
                var replaced = S.If(i.Test, then.Count == 0 ? [S.Pass()] : [.. then], [.. orelse]);
                if (ctx.Lines.TryGetValue(i, out int line)) ctx.SetLine(replaced, line);
                body[^1] = replaced;
                break;
            }
            case With w:
            {
                var withBody = StripTail([.. w.Body], ctx, inBranch, inBranch);
                if (!Changed(withBody, w.Body)) break;
                var replaced = S.With(w.Items, withBody.Count == 0 ? [S.Pass()] : [.. withBody]);
                if (ctx.Lines.TryGetValue(w, out int line)) ctx.SetLine(replaced, line);
                body[^1] = replaced;
                break;
            }
            case AsyncWith aw:
            {
                var withBody = StripTail([.. aw.Body], ctx, inBranch, inBranch);
                if (!Changed(withBody, aw.Body)) break;
                var replaced = S.AsyncWith(aw.Items, withBody.Count == 0 ? [S.Pass()] : [.. withBody]);
                if (ctx.Lines.TryGetValue(aw, out int line)) ctx.SetLine(replaced, line);
                body[^1] = replaced;
                break;
            }
            case Match match:
            {
                // A match statement that ends the function: its case bodies end in copies of the implicit return.
                var cases = match.Cases.Select(c =>
                {
                    var caseBody = StripTail([.. c.Body], ctx, inBranch, inBranch);
                    if (!Changed(caseBody, c.Body)) return c;
                    var stripped = S.MatchCase(c.Pattern, c.Guard, caseBody.Count == 0 ? [S.Pass()] : [.. caseBody]);
                    if (ctx.ExprLines.TryGetValue(c, out int caseLine)) ctx.ExprLines[stripped] = caseLine;
                    return stripped;
                }).ToList();
                if (cases.SequenceEqual(match.Cases)) break;
                var replaced = S.Match(match.Subject, [.. cases]);
                if (ctx.Lines.TryGetValue(match, out int line)) ctx.SetLine(replaced, line);
                body[^1] = replaced;
                break;
            }
            case Try { Finalbody.IsEmpty: false } tf:
            {
                // A try/finally that ends the function: the return the optimizer copied after the finally's normal
                // copy reads as the try body's own last statement.
                var tryBody = StripTail([.. tf.Body], ctx, inBranch, inBranch);
                if (!Changed(tryBody, tf.Body)) break;
                var replaced = S.Try(tryBody.Count == 0 ? [S.Pass()] : [.. tryBody], tf.Handlers, tf.Orelse, tf.Finalbody);
                if (ctx.Lines.TryGetValue(tf, out int line)) ctx.SetLine(replaced, line);
                body[^1] = replaced;
                break;
            }
            case Try { Finalbody.IsEmpty: true } t:
            {
                // A try statement that ends the function: its branches end in copies of the implicit return.
                var tryBody = StripTail([.. t.Body], ctx, inBranch, inBranch);
                var orelse = StripTail([.. t.Orelse], ctx, inBranch, inBranch);
                bool changed = Changed(tryBody, t.Body) || Changed(orelse, t.Orelse);
                var handlers = ImmutableArray.CreateBuilder<ExcepthandlerNode>();
                foreach (var h in t.Handlers)
                {
                    if (h is not ExceptHandler eh) { handlers.Add(h); continue; }
                    var hb = StripTail([.. eh.Body], ctx, inBranch, inBranch);
                    if (!Changed(hb, eh.Body)) { handlers.Add(h); continue; }
                    changed = true;
                    handlers.Add(S.ExceptHandler(eh.Type, eh.Name, hb.Count == 0 ? [S.Pass()] : [.. hb]));
                }
                if (!changed) break;
                var replaced = S.Try(tryBody.Count == 0 ? [S.Pass()] : [.. tryBody], handlers.ToImmutable(), [.. orelse], []);
                if (ctx.Lines.TryGetValue(t, out int line)) ctx.SetLine(replaced, line);
                body[^1] = replaced;
                break;
            }
        }
        return body;
    }

    private static bool Changed(List<StmtNode> now, ImmutableArray<StmtNode> before)
    {
        if (now.Count != before.Length) return true;
        for (int k = 0; k < now.Count; k++)
            if (!ReferenceEquals(now[k], before[k])) return true;
        return false;
    }
}

/// <summary>Module and class annotations: `__annotations__['x'] = T` (after `x = v` when there is a value) is `x: T = v`.</summary>
internal sealed class AnnotationRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Scope is not (ScopeKind.Module or ScopeKind.Class)) return body;
        // Annotated assignments under if/try/loops store into __annotations__ where they run.
        return StatementLists.Rewrite(body, ctx, list => Merge(list, ctx));
    }

    private static List<StmtNode> Merge(List<StmtNode> body, CodeContext ctx)
    {
        var result = new List<StmtNode>(body.Count);
        foreach (var s in body)
        {
            if (s is Assign { Targets: [Subscript { Value: Name { Id: "__annotations__" }, Slice: Constant { Value: PyStr key } }], Value: var annotation }
                && SyntaxFacts.IsIdentifier(key.Value))
            {
                var target = S.Name(key.Value, ExprContext.Store);
                StmtNode ann;
                if (result.Count > 0 && result[^1] is Assign { Targets: [Name prev] } a && prev.Id == key.Value)
                {
                    ann = S.AnnAssign(target, annotation, a.Value, 1);
                    if (ctx.Lines.TryGetValue(a, out int l)) ctx.SetLine(ann, l);
                    result[^1] = ann;
                }
                else
                {
                    ann = S.AnnAssign(target, annotation, null, 1);
                    if (ctx.Lines.TryGetValue(s, out int l)) ctx.SetLine(ann, l);
                    result.Add(ann);
                }
                continue;
            }
            result.Add(s);
        }
        return result;
    }
}

/// <summary>
/// `global` and `nonlocal` declarations, first in the body, for names the bytecode stores as such. A module stores
/// a name with STORE_GLOBAL when a function declared it global (and may not have stored it, so its own
/// declaration is gone): `global` at module level gives the same.
/// </summary>
internal sealed class ScopeDeclarationRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        var globals = new SortedSet<string>(ctx.GlobalStoresOrEmpty, StringComparer.Ordinal);
        // A nested function that stores the name declares it itself, which is what made the module's store global.
        if (ctx.Scope == ScopeKind.Module && globals.Count > 0) globals.ExceptWith(StoredGlobalsOfNested(ctx.Code));
        if (ctx.Scope == ScopeKind.Class) globals.UnionWith(ctx.GlobalLoadsOrEmpty);
        int at = body.Count > 0 && body[0] is Expr { Value: Constant { Value: PyStr } } && ctx.Scope is ScopeKind.Function or ScopeKind.Class or ScopeKind.Module ? 1 : 0;
        // A module's future imports must come first.
        while (ctx.Scope == ScopeKind.Module && at < body.Count && body[at] is ImportFrom { Module: "__future__" }) at++;
        var nonlocals = new SortedSet<string>(ctx.NonlocalStoresOrEmpty, StringComparer.Ordinal);
        if (ctx.Scope is ScopeKind.Function or ScopeKind.Class && !(ctx.Code.FreeVars.IsEmpty && ctx.Code.CellVars.IsEmpty))
        {
            var (named, bound) = VariablesInOps(ctx);
            // A free variable that no instruction names (a load, a store or a nested function's closure would) is
            // there only for a `nonlocal` declaration of a name the body never uses.
            nonlocals.UnionWith(ctx.Code.FreeVars.Where(v => !named.Contains(v) && IsWrittenVariable(v)));
            // A function's cell that nothing binds (only nested code reads it) was bound in dead code, which the
            // compiler drops.
            if (ctx.Scope is ScopeKind.Function)
                foreach (var name in ctx.Code.CellVars.Where(v => !bound.Contains(v) && IsWrittenVariable(v)).Reverse())
                    body.Insert(at, S.If(S.Constant(PyBool.False), [S.Assign([S.Name(name, ExprContext.Store)], S.Constant(PyNone.Instance))]));
        }
        if (nonlocals.Count == 0 && globals.Count == 0) return body;
        // A declaration is a statement: the pass that held an otherwise empty body's line gives it to the declaration.
        int passLine = 0;
        if (body.Count == at + 1 && body[at] is Pass pass && ctx.Lines.TryGetValue(pass, out passLine)) body.RemoveAt(at);
        if (nonlocals.Count > 0)
            body.Insert(at, S.Nonlocal([.. nonlocals]));
        if (globals.Count > 0)
            body.Insert(at, S.Global([.. globals]));
        if (passLine > 0) ctx.SetLine(body[at], passLine);
        return body;
    }

    /// <summary>In one scan of the ops: the variables any instruction names (a local, cell or free variable loaded,
    /// stored or closed over) and those bound (the parameters, and cells stored or deleted).</summary>
    private static (HashSet<string> Named, HashSet<string> Bound) VariablesInOps(CodeContext ctx)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        var bound = new HashSet<string>(ctx.Code.VarNames.Take(ctx.Code.ParameterCount), StringComparer.Ordinal);
        foreach (var op in ctx.Flow.Ops)
        {
            switch (op.Instruction.Argument)
            {
                case FreeArgument f:
                    named.Add(f.Name);
                    if (op.Instruction.Opcode.Handler is OpcodeHandler.StoreDeref or OpcodeHandler.DeleteDeref) bound.Add(f.Name);
                    break;
                case LocalArgument l: named.Add(l.Name); break;
                case LocalPairArgument p: named.Add(p.First.Name); named.Add(p.Second.Name); break;
            }
        }
        return (named, bound);
    }

    /// <summary>A variable source can declare: not one of the compiler's own cells (`__class__`, `__classdict__`).</summary>
    private static bool IsWrittenVariable(string name) => !name.StartsWith("__class", StringComparison.Ordinal) && SyntaxFacts.IsIdentifier(name);

    private static HashSet<string> StoredGlobalsOfNested(CodeObject code)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<CodeObject>();
        foreach (var c in code.Consts) if (c is PyCode nested) pending.Push(nested.Code);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            foreach (var c in current.Consts) if (c is PyCode nested) pending.Push(nested.Code);
            names.UnionWith(GlobalsStoredBy(current));
        }
        return names;
    }

    /// <summary>The names <paramref name="code"/> stores or deletes as globals (what its `global` declarations name), in
    /// order of first use; found without decoding.</summary>
    internal static List<string> GlobalsStoredBy(CodeObject code) =>
        [.. Decoder.NamesUsedBy(code, op => op.Handler is OpcodeHandler.StoreGlobal or OpcodeHandler.DeleteGlobal).Distinct()];
}

/// <summary>Refuses a body in which a structurer-internal statement survived.</summary>
/// <summary>
/// `if a and b:` compiles exactly as `if a:` holding only `if b:` (neither with an else) does; when both tests stand
/// on one line the source said `and` (nested ifs would put the inner one on a line of its own).
/// </summary>
internal sealed class SameLineAndRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx) =>
        StatementLists.Rewrite(body, ctx, list => StatementLists.ReplaceEach(list, ctx, Merge));

    private static StmtNode Merge(StmtNode s, CodeContext ctx)
    {
        if (s is not If { Orelse.IsEmpty: true, Body: [If { Orelse.IsEmpty: true } inner] } outer) return s;
        if (!ctx.Lines.TryGetValue(outer, out int line) || !ctx.Lines.TryGetValue(inner, out int innerLine) || line != innerLine) return s;
        if (ctx.Pseudo.Get(inner) is not null) return s;
        ImmutableArray<ExprNode> tests = [.. Operands(outer.Test), .. Operands(inner.Test)];
        var merged = S.If(S.BoolOp(Boolop.And, tests), inner.Body, []);
        ctx.SetLine(merged, line);
        return merged;
    }

    private static IEnumerable<ExprNode> Operands(ExprNode test) => test is BoolOp { Op: Boolop.And } and ? and.Values : [test];
}

/// <summary>
/// `a if c else b` as a statement pops its value once, after the join; when the join is a small exit block the
/// optimizer copies it into both branches (3.10+), and the code reads as `if c: a` / `else: b`, each popping its
/// own value. Both forms compile alike then, but an else branch always stands on a line of its own: when the test and
/// both branches share one line, the source was the conditional expression.
/// </summary>
internal sealed class SameLineConditionalExpressionRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx) =>
        StatementLists.Rewrite(body, ctx, list => StatementLists.ReplaceEach(list, ctx, Merge));

    private static StmtNode Merge(StmtNode s, CodeContext ctx)
    {
        if (s is not If { Body: [Expr then], Orelse: [Expr otherwise] } test) return s;
        if (!ctx.Lines.TryGetValue(test, out int line) || line <= 0) return s;
        if (!ctx.Lines.TryGetValue(then, out int thenLine) || thenLine != line) return s;
        if (!ctx.Lines.TryGetValue(otherwise, out int elseLine) || elseLine != line) return s;
        if (ctx.Pseudo.Get(then) is not null || ctx.Pseudo.Get(otherwise) is not null) return s;
        var merged = S.Expr(S.IfExp(test.Test, then.Value, otherwise.Value));
        ctx.SetLine(merged, line);
        return merged;
    }
}

internal sealed class PseudoStatementCheck : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Scope == ScopeKind.Comprehension) return body; // its elements are the comprehension builder's to resolve
        // The registry is this code object's: nested functions and classes hold none of its statements.
        PseudoStatement? found = null;
        new StatementWalker(s => found ??= ctx.Pseudo.Get(s)).Walk(body);
        if (found is not null)
            throw new DecompileFailure("cleanup", $"an internal {found.GetType().Name} statement was not resolved");
        return body;
    }
}

/// <summary>
/// Refuses a module or class body that still holds a return: the compiler's returns there (the implicit one and
/// its copies) are all left out by the structurer and the rewrites above, so one that survives is a branch the
/// structurer placed wrongly, and printing it would give source that does not compile.
/// </summary>
internal sealed class ReturnOutsideFunctionCheck : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Scope is not (ScopeKind.Module or ScopeKind.Class)) return body;
        // A nested function's returns are its own; a nested class is checked as its own code object.
        bool found = false;
        new StatementWalker(s => found |= s is Return).Walk(body);
        if (found) throw new DecompileFailure("cleanup", "a return is left in a module or class body (a branch placed wrongly)");
        return body;
    }
}

/// <summary>
/// Hands every statement of a body to a callback, those of nested statement lists (if, loops, try, with, match)
/// included, but not the bodies of nested functions and classes (their own code objects) and not expressions
/// (which hold no statements): the checks that look for a kind of statement need no more, and no rewriter.
/// </summary>
internal sealed class StatementWalker(Action<StmtNode> visit) : SyntaxChildVisitor
{
    public void Walk(IEnumerable<StmtNode> body)
    {
        foreach (var s in body) Child(s);
    }

    public override void Child(SyntaxNode node)
    {
        if (node is ExprNode) return;
        if (node is StmtNode s)
        {
            visit(s);
            if (s is FunctionDef or AsyncFunctionDef or ClassDef) return;
        }
        node.VisitChildren(this);
    }
}

/// <summary>
/// Refuses a body with `not a is b` / `not a in b` (one comparison, is/in or their negations): the AST optimizer
/// folds it into the inverted comparison, so bytecode never holds it and printing it means a condition was read
/// with the wrong polarity (3.8-3.10; later versions compile both spellings alike). Nested code objects are
/// checked on their own.
/// </summary>
internal sealed class FoldedNotCheck : IBodyRewriter
{
    /// <summary>
    /// Whether `not c` in jump context compiles other than `c` with its jump inverted. Through 3.13 the AST optimizer
    /// folds `not a is b` into `a is not b` and `not a in b` into `a not in b`; from 3.11 a test against None is a
    /// jump on None, which the fold only inverts; 3.14 folds no `not` in jump context.
    /// </summary>
    internal static bool FoldsUnderNot(Compare c, PythonVersion version) =>
        version < PythonVersion.V3_14
        && c.Ops is [Cmpop.Is or Cmpop.IsNot or Cmpop.In or Cmpop.NotIn]
        && !(version >= PythonVersion.V3_11 && c.Ops[0] is Cmpop.Is or Cmpop.IsNot && c.Comparators[0] is Constant { Value: PyNone });

    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        // A comprehension's filters are part of its parent's expression: refusing one would fail the parent too.
        if (ctx.Scope == ScopeKind.Comprehension) return body;
        var finder = new Finder(ctx.Version);
        foreach (var s in body) finder.Visit(s);
        if (finder.Found is not null)
            throw new DecompileFailure("cleanup", "a negated is/in comparison, which the compiler would fold into the inverted comparison");
        return body;
    }

    private sealed class Finder(PythonVersion version) : SyntaxRewriter
    {
        public UnaryOp? Found { get; private set; }

        public override SyntaxNode Visit(SyntaxNode node)
        {
            switch (node)
            {
                case FunctionDef or AsyncFunctionDef or ClassDef or Lambda or ListComp or SetComp or DictComp or GeneratorExp:
                    return node;
                case UnaryOp { Op: Unaryop.Not, Operand: Compare c } u when FoldsUnderNot(c, version):
                    Found ??= u;
                    return node;
            }
            return base.Visit(node);
        }
    }
}

/// <summary>
/// 3.14 module and class annotations (PEP 649/749): the body defines `__annotate__` (a module's, stored as
/// `__annotate__`; a class's as `__annotate_func__`) and, at module level, records each annotated assignment
/// that ran in `__conditional_annotations__`. The annotations come back as `x: T` / `x: T = v` statements: at
/// each recorded index for a module, at the annotation's source line for a class (where a bare annotation
/// leaves no code at all).
/// </summary>
internal sealed class DeferredAnnotationRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Version < PythonVersion.V3_14 || ctx.Scope is not (ScopeKind.Module or ScopeKind.Class)) return body;
        int at = body.FindIndex(s => s is FunctionDef { Name: "__annotate__" });
        if (at < 0)
        {
            // Under `from __future__ import annotations` the annotations go to __annotations__ as before, but the
            // module still opens with the set: the compiler makes it for any module-level annotation.
            if (ctx.Scope == ScopeKind.Module) body.RemoveAll(IsConditionalAnnotationSet);
            return body;
        }
        var annotate = (FunctionDef)body[at];
        var lines = new Dictionary<StmtNode, int>(SyntaxNodeIdentity.Instance);
        foreach (var (node, line) in ctx.Nested.NestedLines)
            if (node is StmtNode stmt) lines[stmt] = line;
        var entries = AnnotationEntries.Parse([.. annotate.Body], lines);
        body.RemoveAt(at);
        body.RemoveAll(IsConditionalAnnotationSet);
        if (ctx.Scope == ScopeKind.Module)
        {
            var byIndex = entries.Where(e => e.ConditionalIndex is not null).ToDictionary(e => e.ConditionalIndex!.Value);
            return StatementLists.Rewrite(body, ctx, list => PlaceRecorded(list, ctx, byIndex));
        }
        return PlaceByLine(body, ctx, entries);
    }

    private static bool IsConditionalAnnotationSet(StmtNode s) => s is Assign { Targets: [Name { Id: "__conditional_annotations__" }] };

    private static StmtNode Annotated(AnnotationEntry e, ExprNode? value) =>
        S.AnnAssign(S.Name(e.Name, ExprContext.Store), e.Value, value, 1);

    private static List<StmtNode> PlaceRecorded(List<StmtNode> list, CodeContext ctx, Dictionary<int, AnnotationEntry> byIndex)
    {
        var result = new List<StmtNode>(list.Count);
        foreach (var s in list)
        {
            if (ctx.Pseudo.Get(s) is not ConditionalAnnotation mark) { result.Add(s); continue; }
            if (!byIndex.TryGetValue(mark.Index, out var e)) throw new DecompileFailure("annotations", $"annotation {mark.Index} is not in __annotate__");
            if (result.Count > 0 && result[^1] is Assign { Targets: [Name n] } a && n.Id == e.Name)
            {
                var merged = Annotated(e, a.Value);
                if (ctx.Lines.TryGetValue(a, out int line)) ctx.SetLine(merged, line);
                result[^1] = merged;
            }
            else
            {
                var bare = Annotated(e, null);
                ctx.SetLine(bare, e.Line);
                result.Add(bare);
            }
        }
        return result;
    }

    private static List<StmtNode> PlaceByLine(List<StmtNode> body, CodeContext ctx, List<AnnotationEntry> entries)
    {
        var result = new List<StmtNode>(body);
        foreach (var e in entries)
        {
            int same = result.FindIndex(s => s is Assign { Targets: [Name n] } && n.Id == e.Name && ctx.Lines.TryGetValue(s, out int l) && l == e.Line);
            if (same >= 0)
            {
                var merged = Annotated(e, ((Assign)result[same]).Value);
                ctx.SetLine(merged, e.Line);
                result[same] = merged;
                continue;
            }
            int before = result.FindIndex(s => ctx.Lines.TryGetValue(s, out int l) && l > e.Line);
            var bare = Annotated(e, null);
            ctx.SetLine(bare, e.Line);
            if (before < 0) result.Add(bare); else result.Insert(before, bare);
        }
        return result;
    }
}

/// <summary>
/// `from __future__ import annotations`: every annotation the compiler kept is a string, the compiler's own unparse
/// of the annotation expression. Written back as that text it parses to an expression the compiler unparses to the
/// same string again; written as the string it would be quoted twice.
/// </summary>
internal sealed class FutureAnnotationRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (!ctx.Code.Flags.HasFlag(CodeFlags.FutureAnnotations)) return body;
        return StatementLists.Rewrite(body, ctx, list => StatementLists.ReplaceEach(list, ctx, Unquoted));
    }

    private static StmtNode Unquoted(StmtNode s, CodeContext ctx)
    {
        StmtNode r = s switch
        {
            AnnAssign a when Source(a.Annotation) is { } text => a.WithAnnotation(text),
            FunctionDef f => f.Update(f.Name, Arguments(f.Args), f.Body, f.DecoratorList, Source(f.Returns) ?? f.Returns, f.TypeComment, f.TypeParams),
            AsyncFunctionDef f => f.Update(f.Name, Arguments(f.Args), f.Body, f.DecoratorList, Source(f.Returns) ?? f.Returns, f.TypeComment, f.TypeParams),
            _ => s,
        };
        if (!ReferenceEquals(r, s) && ctx.Lines.TryGetValue(s, out int line)) ctx.SetLine(r, line);
        return r;
    }

    private static Arguments Arguments(Arguments a) => a.Update(
        [.. a.Posonlyargs.Select(Arg)], [.. a.Args.Select(Arg)], a.Vararg is null ? null : Arg(a.Vararg),
        [.. a.Kwonlyargs.Select(Arg)], a.KwDefaults, a.Kwarg is null ? null : Arg(a.Kwarg), a.Defaults);

    private static Arg Arg(Arg a) => Source(a.Annotation) is { } text ? a.WithAnnotation(text) : a;

    /// <summary>The expression whose unparse the string annotation is; a text that does not parse is refused
    /// rather than written quoted, which would compile to a different string.</summary>
    private static ExprNode? Source(ExprNode? annotation) => annotation is Constant { Value: PyStr text }
        ? ExpressionParser.TryParse(text.Value) ?? throw new DecompileFailure("annotations", $"the annotation text {PythonLiterals.StrRepr(text.Value)} does not parse")
        : null;
}
