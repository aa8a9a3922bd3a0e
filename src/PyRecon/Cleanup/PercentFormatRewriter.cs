using System.Collections.Immutable;
using System.Text;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Cleanup;

/// <summary>
/// From 3.11 the AST optimizer turns `'...%s...%r...' % (a, b)` (only %s, %r and %a, a tuple on the right) into the
/// f-string it equals, which the bytecode then shows. The %-format compiles to the same code, and it is written back
/// where the f-string cannot be: 3.11 f-strings cannot hold a backslash, or every quote, in a replacement field
/// (`'\n| '.join(lines)` in a field); and where the fields' values come from other lines than the string (the
/// tuple spread over lines), which a one-line f-string cannot place (3.13+ then pair the loads of locals on one
/// line). The rest stay f-strings.
/// </summary>
internal sealed class PercentFormatRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Version < PythonVersion.V3_11) return body;
        var rewriter = new Unfolder(ctx);
        return StatementLists.Rewrite(body, ctx, list => StatementLists.VisitEach(list, ctx, rewriter));
    }

    private sealed class Unfolder(CodeContext ctx) : SyntaxRewriter
    {
        // Nested functions and classes are their own code objects, cleaned up when they were decompiled.
        public override SyntaxNode VisitFunctionDef(FunctionDef node) => node;
        public override SyntaxNode VisitAsyncFunctionDef(AsyncFunctionDef node) => node;
        public override SyntaxNode VisitClassDef(ClassDef node) => node;
        public override SyntaxNode VisitLambda(Lambda node) => node;

        // The list rewrite visits an outer statement after its nested lists: their f-strings were checked already.
        private readonly HashSet<SyntaxNode> _writable = new(SyntaxNodeIdentity.Instance);

        public override SyntaxNode VisitJoinedStr(JoinedStr node)
        {
            if (_writable.Contains(node)) return node;
            if (Writable(node) && !SpreadOverLines(node)) { _writable.Add(node); return node; }
            if (PercentFormat(node) is not { } format) return node;
            if (ctx.ExprLines.TryGetValue(node, out int line)) ctx.ExprLines[format] = line;
            return format;
        }

        /// <summary>Whether the string and its fields' values have known lines that are not all one.</summary>
        private bool SpreadOverLines(JoinedStr node)
        {
            int line = ctx.ExprLines.TryGetValue(node, out int own) ? own : 0;
            foreach (var part in node.Values)
            {
                if (part is not FormattedValue field || !ctx.ExprLines.TryGetValue(field.Value, out int valueLine) || valueLine <= 0) continue;
                if (line <= 0) line = valueLine;
                else if (valueLine != line) return true;
            }
            return false;
        }

        private bool Writable(JoinedStr node)
        {
            try
            {
                PythonFormatter.FormatExpression(node, ctx.Version);
                return true;
            }
            catch (Exception e) when (e is SyntaxNotSupportedException or ArgumentException or InvalidOperationException)
            {
                return false;
            }
        }

        /// <summary>The %-format the optimizer made <paramref name="node"/> of, or null when it made no such f-string.</summary>
        private static BinOp? PercentFormat(JoinedStr node)
        {
            var text = new StringBuilder();
            var arguments = ImmutableArray.CreateBuilder<ExprNode>();
            foreach (var part in node.Values)
            {
                switch (part)
                {
                    case Constant { Value: PyStr literal }:
                        text.Append(literal.Value.Replace("%", "%%", StringComparison.Ordinal));
                        break;
                    case FormattedValue { Conversion: 's' or 'r' or 'a', FormatSpec: null } field when field.Value is not Starred:
                        text.Append('%').Append((char)field.Conversion);
                        arguments.Add(field.Value);
                        break;
                    default:
                        return null;
                }
            }
            if (arguments.Count == 0) return null;
            return S.BinOp(S.Constant(new PyStr(text.ToString())), Operator.Mod, S.Tuple(arguments.ToImmutable(), ExprContext.Load));
        }
    }
}
