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
        if (PrefixOf(ctx.PrivateClass) is not { } prefix) return body;
        return StatementLists.VisitEach(body, ctx, new Demangler(prefix));
    }

    /// <summary>What names mangled in <paramref name="privateClass"/> start with (`_Class__`), or null when it mangles nothing.</summary>
    private static string? PrefixOf(string? privateClass)
    {
        string? stem = privateClass?.TrimStart('_');
        return string.IsNullOrEmpty(stem) ? null : "_" + stem + "__";
    }

    /// <summary>A name as the source inside <paramref name="privateClass"/> spells it (for code made outside this pass).</summary>
    public static string Demangle(string name, string? privateClass) => PrefixOf(privateClass) is { } prefix ? DemangleWith(name, prefix) : name;

    /// <summary>`_Class__x` back to `__x`; a name that mangling would not produce stays. Demangling twice changes
    /// nothing: the result starts with `__`, the prefix with `_` and a character other than `_`.</summary>
    private static string DemangleWith(string name, string prefix)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.Length == prefix.Length) return name;
        var original = name[(prefix.Length - 2)..];
        return original.EndsWith("__", StringComparison.Ordinal) || original.Contains('.') ? name : original;
    }

    private sealed class Demangler(string prefix) : SyntaxRewriter
    {
        private string Demangle(string name) => DemangleWith(name, prefix);

        private string? DemangleOptional(string? name) => name is null ? null : Demangle(name);

        public override SyntaxNode VisitName(Name node) => node.Update(Demangle(node.Id), node.Ctx);

        public override SyntaxNode VisitAttribute(PyRecon.Syntax.Attribute node) =>
            node.Update(VisitNode(node.Value), Demangle(node.Attr), node.Ctx);

        // A function body was demangled by its own cleanup (its context has this same private class; a failure body
        // demangles its names when it is made): walking it again from every enclosing body cost time by nesting depth.
        public override SyntaxNode VisitFunctionDef(FunctionDef node) =>
            node.Update(Demangle(node.Name), VisitNode(node.Args), node.Body, VisitList(node.DecoratorList), VisitOptional(node.Returns), node.TypeComment, VisitList(node.TypeParams));

        public override SyntaxNode VisitAsyncFunctionDef(AsyncFunctionDef node) =>
            node.Update(Demangle(node.Name), VisitNode(node.Args), node.Body, VisitList(node.DecoratorList), VisitOptional(node.Returns), node.TypeComment, VisitList(node.TypeParams));

        // A nested class body mangles with its own name; it was rewritten when it was decompiled.
        public override SyntaxNode VisitClassDef(ClassDef node) =>
            node.Update(Demangle(node.Name), VisitList(node.Bases), VisitList(node.Keywords), node.Body, VisitList(node.DecoratorList), VisitList(node.TypeParams));

        // The same node when no name changes: a new one would lose the line of the statement that holds it.
        public override SyntaxNode VisitGlobal(Global node) => Changes(node.Names) ? node.Update(ImmutableArray.CreateRange(node.Names, Demangle)) : node;

        public override SyntaxNode VisitNonlocal(Nonlocal node) => Changes(node.Names) ? node.Update(ImmutableArray.CreateRange(node.Names, Demangle)) : node;

        private bool Changes(ImmutableArray<string> names)
        {
            foreach (var name in names)
                if (!ReferenceEquals(Demangle(name), name)) return true;
            return false;
        }

        public override SyntaxNode VisitExceptHandler(ExceptHandler node) =>
            node.Update(VisitOptional(node.Type), DemangleOptional(node.Name), VisitList(node.Body));

        public override SyntaxNode VisitArg(Arg node) => node.Update(Demangle(node.ArgName), VisitOptional(node.Annotation), node.TypeComment);

        public override SyntaxNode VisitAlias(Alias node) => node.Update(node.Name, DemangleOptional(node.Asname));
    }
}
