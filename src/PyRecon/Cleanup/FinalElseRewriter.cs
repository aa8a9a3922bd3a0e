using System.Collections.Immutable;
using PyRecon.Decompilation;
using PyRecon.Flow;
using PyRecon.Bytecode;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Cleanup;

/// <summary>
/// 3.8-3.9 dead-code evidence: the compiler appends `return None` unless the body's last statement is itself a
/// `return`, and keeps that tail even when nothing reaches it. A function whose code ends in such an unreachable
/// `LOAD_CONST None; RETURN_VALUE` therefore ended with a compound statement. When the structured body ends with a
/// plain return instead, the statements after the last `if` whose body leaves (and that has no else) move into its
/// else: the same bytecode up to the tail, which the compiler then appends again.
/// </summary>
internal sealed class FinalElseRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Version >= PythonVersion.V3_10 || ctx.Scope is not ScopeKind.Function) return body;
        if (body.Count < 2 || body[^1] is not Return || ctx.Flow.DeadImplicitReturnStart is null) return body;
        // A bare return last is that tail itself, walked as the follow of a statement whose branches all leave: the
        // body already ends with the compound statement, after which the compiler appends it again.
        if (body[^1] is Return { Value: null }) return [.. body.Take(body.Count - 1)];
        for (int i = body.Count - 2; i >= 0; i--)
        {
            if (body[i] is not If { Orelse.IsEmpty: true } last || !StatementLists.Leaves(last.Body)) continue;
            var folded = S.If(last.Test, last.Body, [.. body.Skip(i + 1)]);
            if (ctx.Lines.TryGetValue(last, out int line)) ctx.SetLine(folded, line);
            return [.. body.Take(i), folded];
        }
        return body;
    }
}
