using System.Collections.Immutable;
using PyRecon.Decompilation;
using PyRecon.Syntax;

namespace PyRecon.Cleanup;

/// <summary>
/// Private names: inside a class, the compiler stores `__x` as `_Class__x` in names, variables, attributes,
/// parameters, `as` targets and definitions (not in keyword arguments or imported names). The source says
/// `__x`; it recompiles to the same mangled name, and to the same code object names and, from 3.13, the same
/// `__static_attributes__`, which keep the unmangled spelling.
/// </summary>
internal sealed class PrivateNameRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        string? stem = ctx.PrivateClass?.TrimStart('_');
        if (string.IsNullOrEmpty(stem)) return body;
        var rewriter = new Demangler("_" + stem + "__");
        for (int i = 0; i < body.Count; i++)
        {
            var rewritten = (StmtNode)rewriter.Visit(body[i]);
            if (ReferenceEquals(rewritten, body[i])) continue;
            if (ctx.Lines.TryGetValue(body[i], out int line)) ctx.SetLine(rewritten, line);
            body[i] = rewritten;
        }
        return body;
    }

    private sealed class Demangler(string prefix) : SyntaxRewriter
    {
        /// <summary>`_Class__x` back to `__x`; a name that mangling would not produce stays.</summary>
        private string Demangle(string name)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.Length == prefix.Length) return name;
            var original = name[(prefix.Length - 2)..];
            return original.EndsWith("__", StringComparison.Ordinal) || original.Contains('.') ? name : original;
        }

        private string? DemangleOptional(string? name) => name is null ? null : Demangle(name);

        public override SyntaxNode VisitName(Name node) => node.Update(Demangle(node.Id), node.Ctx);

        public override SyntaxNode VisitAttribute(PyRecon.Syntax.Attribute node) =>
            node.Update(VisitNode(node.Value), Demangle(node.Attr), node.Ctx);

        public override SyntaxNode VisitFunctionDef(FunctionDef node) =>
            node.Update(Demangle(node.Name), VisitNode(node.Args), VisitList(node.Body), VisitList(node.DecoratorList), VisitOptional(node.Returns), node.TypeComment, VisitList(node.TypeParams));

        public override SyntaxNode VisitAsyncFunctionDef(AsyncFunctionDef node) =>
            node.Update(Demangle(node.Name), VisitNode(node.Args), VisitList(node.Body), VisitList(node.DecoratorList), VisitOptional(node.Returns), node.TypeComment, VisitList(node.TypeParams));

        // A nested class body mangles with its own name; it was rewritten when it was decompiled.
        public override SyntaxNode VisitClassDef(ClassDef node) =>
            node.Update(Demangle(node.Name), VisitList(node.Bases), VisitList(node.Keywords), node.Body, VisitList(node.DecoratorList), VisitList(node.TypeParams));

        public override SyntaxNode VisitGlobal(Global node) => node.Update(ImmutableArray.CreateRange(node.Names, Demangle));

        public override SyntaxNode VisitNonlocal(Nonlocal node) => node.Update(ImmutableArray.CreateRange(node.Names, Demangle));

        public override SyntaxNode VisitExceptHandler(ExceptHandler node) =>
            node.Update(VisitOptional(node.Type), DemangleOptional(node.Name), VisitList(node.Body));

        public override SyntaxNode VisitArg(Arg node) => node.Update(Demangle(node.ArgName), VisitOptional(node.Annotation), node.TypeComment);

        public override SyntaxNode VisitAlias(Alias node) => node.Update(node.Name, DemangleOptional(node.Asname));
    }
}
