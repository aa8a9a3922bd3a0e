using System.Collections.Immutable;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Decompilation;

/// <summary>
/// A construct the target version cannot spell (an f-string whose replacement fields need a quote or backslash
/// before 3.12, ...) fails the formatting of the whole module. One such construct must not cost the rest of the file:
/// this finds the innermost function or class whose body holds it, gives it a marked failure body, and reports it;
/// a module-level statement is replaced by the marker itself. Runs only after the module failed to format.
/// </summary>
internal sealed class FormatConfinement(PythonVersion version, CodeDecompiler run)
{
    /// <summary>The module with every unwritable function, class or statement replaced; null when none was found.</summary>
    public Module? Confine(Module module)
    {
        var body = ConfineList(module.Body, "<module>", out bool changed);
        return changed && body is { } confined ? module.WithBody(confined) : null;
    }

    /// <summary>The list with its unwritable statements confined; null when one of them is no definition (the
    /// enclosing definition then fails as a whole).</summary>
    private ImmutableArray<StmtNode>? ConfineList(ImmutableArray<StmtNode> list, string scope, out bool changed)
    {
        changed = false;
        var result = ImmutableArray.CreateBuilder<StmtNode>(list.Length);
        foreach (var stmt in list)
        {
            if (Writable(stmt)) { result.Add(stmt); continue; }
            changed = true;
            switch (stmt)
            {
                case FunctionDef f: result.Add(f.WithBody(ConfineBody(f.Body, Qualified(scope, f.Name), f))); break;
                case AsyncFunctionDef f: result.Add(f.WithBody(ConfineBody(f.Body, Qualified(scope, f.Name), f))); break;
                case ClassDef c: result.Add(c.WithBody(ConfineBody(c.Body, Qualified(scope, c.Name), c))); break;
                default:
                    if (scope != "<module>") return null;
                    result.Add(Marker(scope, stmt, FormatError(stmt)));
                    break;
            }
        }
        return result.MoveToImmutable();
    }

    /// <summary>A definition's body: its unwritable definitions confined, or, when the construct is its own, a failure body.</summary>
    private ImmutableArray<StmtNode> ConfineBody(ImmutableArray<StmtNode> body, string name, StmtNode definition)
    {
        if (ConfineList(body, name, out _) is { } confined && confined.All(Writable)) return confined;
        return [Marker(name, body.IsEmpty ? definition : body[0], FormatError(definition))];
    }

    private StmtNode Marker(string name, StmtNode at, string? error)
    {
        string message = error ?? "a construct this version cannot spell";
        var raise = S.Raise(S.Call(S.Name("NotImplementedError"), [S.Constant(new PyStr($"pyrecon could not write {name}"))]));
        run.Comments[raise] = [$"PYRECON: {name} failed in format: {message}"];
        int line = run.Lines.TryGetValue(at, out int l) ? l : 0;
        if (line > 0) run.Lines[raise] = line;
        run.Diagnostics.Add(new CodeDiagnostic(name, line, "format", message, -1));
        return raise;
    }

    private static string Qualified(string scope, string name) => scope == "<module>" ? name : scope + "." + name;

    private bool Writable(StmtNode stmt) => FormatError(stmt) is null;

    private string? FormatError(StmtNode stmt)
    {
        try
        {
            PythonFormatter.Format(S.Module([stmt]), version);
            return null;
        }
        catch (Exception e) when (e is SyntaxNotSupportedException or ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
