using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Model;
using PyRecon.Pyc;
using PyRecon.Syntax;

namespace PyRecon.Decompilation;

/// <summary>Options for <see cref="Decompiler"/>.</summary>
public sealed record DecompileOptions
{
    public static readonly DecompileOptions Default = new();

    /// <summary>The CPython version that wrote headerless marshal data (with a header: checked against its magic).</summary>
    public PythonVersion? Version { get; init; }
    /// <summary>Put a comment with the disassembly into the body of a code object that failed (default on).</summary>
    public bool DisassemblyInFailures { get; init; } = true;
    /// <summary>Place statements and expressions on their original lines (default on; from 3.13 it decides bytecode).</summary>
    public bool LineLayout { get; init; } = true;
}

/// <summary>Why one code object did not decompile cleanly.</summary>
/// <param name="QualifiedName">The code object's qualified name (module code: "&lt;module&gt;").</param>
/// <param name="Line">Its first source line.</param>
/// <param name="Stage">The pass that gave up.</param>
/// <param name="Message">The reason, one line.</param>
/// <param name="Offset">Bytecode offset it is tied to, -1 when none.</param>
public sealed record CodeDiagnostic(string QualifiedName, int Line, string Stage, string Message, int Offset)
{
    public override string ToString() => $"{QualifiedName} (line {Line}): {Stage}: {Message}" + (Offset >= 0 ? $" at offset {Offset}" : "");
}

/// <summary>The decompiled module: its syntax tree, source text and one diagnostic per code object that failed.</summary>
public sealed class DecompileResult
{
    internal DecompileResult(PythonVersion version, Module tree, string source, ImmutableArray<CodeDiagnostic> diagnostics)
    {
        Version = version;
        Tree = tree;
        Source = source;
        Diagnostics = diagnostics;
    }

    public PythonVersion Version { get; }
    public Module Tree { get; }
    public string Source { get; }
    public ImmutableArray<CodeDiagnostic> Diagnostics { get; }
    /// <summary>True when every code object decompiled without a marked failure.</summary>
    public bool IsComplete => Diagnostics.IsEmpty;
}

/// <summary>
/// The decompiler's entry point: a .pyc (bytes or path), headerless marshal data with a stated version, or a
/// code object read by <see cref="PycReader"/> in, a module's source out. Stateless and thread-safe: every
/// call builds its own state.
/// </summary>
public static class Decompiler
{
    /// <summary>Decompiles .pyc bytes (or headerless marshal data when <see cref="DecompileOptions.Version"/> is set).</summary>
    /// <exception cref="PycFormatException">The data is not a readable .pyc / marshal stream.</exception>
    public static DecompileResult Decompile(ReadOnlyMemory<byte> data, DecompileOptions? options = null)
    {
        options ??= DecompileOptions.Default;
        var file = PycReader.ReadAny(data, options.Version);
        return Decompile(file.Code, options);
    }

    /// <summary>Decompiles a .pyc file.</summary>
    public static DecompileResult DecompileFile(string path, DecompileOptions? options = null) =>
        Decompile(File.ReadAllBytes(path), options);

    /// <summary>Instructions of <paramref name="code"/> and every code object nested in it, counted without decoding
    /// (decoding all code up front kept every instruction of the file alive through the whole run).</summary>
    private static int Instructions(CodeObject code)
    {
        int count = Decoder.CountInstructions(code);
        foreach (var c in code.Consts)
            if (c is PyCode nested) count += Instructions(nested.Code);
        return count;
    }

    /// <summary>Decompiles a module code object.</summary>
    public static DecompileResult Decompile(CodeObject module, DecompileOptions? options = null)
    {
        options ??= DecompileOptions.Default;
        // The run's line map gets about one entry per op of the whole module (0.94-1.09 per op over the 3.8-3.14 stdlibs):
        // sized once, not grown by doubling.
        var run = new CodeDecompiler(options, expectedLines: Instructions(module) * 5 / 4);
        var body = run.ModuleBody(module);
        var tree = SyntaxFactory.Module([.. body]);
        var misplaced = new List<MisplacedStatement>();
        string Format(Module mod)
        {
            misplaced.Clear();
            return PythonFormatter.Format(mod, module.Version, new FormatOptions
            {
                LeadingComments = run.Comments,
                Lines = options.LineLayout ? run.Lines : null,
                KeywordLines = options.LineLayout ? run.KeywordLines : null,
                Misplaced = misplaced,
            });
        }
        string source;
        try
        {
            source = Format(tree);
        }
        catch (Exception e) when (e is SyntaxNotSupportedException or ArgumentException or InvalidOperationException)
        {
            // The functions and classes the version cannot spell get failure bodies; the rest is written.
            string? confined = null;
            if (new FormatConfinement(module.Version, run).Confine(tree) is { } withMarkers)
            {
                try
                {
                    confined = Format(withMarkers);
                    tree = withMarkers;
                }
                catch (Exception again) when (again is SyntaxNotSupportedException or ArgumentException or InvalidOperationException) { }
            }
            if (confined is null) run.Report(module, new DecompileFailure("format", e.Message));
            source = confined ?? $"# PYRECON: the decompiled module could not be written as Python {module.Version} source: {e.Message}\n";
        }
        source += MisplacedClasses(module, misplaced, run) + FailureListings(run.FailureListings);
        return new DecompileResult(module.Version, tree, source, [.. run.Diagnostics]);
    }

    /// <summary>
    /// 3.13+ store a class's first line in its body's constants (<c>__firstlineno__</c>): a class the layout could not
    /// start on its line (the code before it took more lines than it had) compiles to different constants. Each is
    /// reported, and a comment at the end of the file says so.
    /// </summary>
    private static string MisplacedClasses(CodeObject module, List<MisplacedStatement> misplaced, CodeDecompiler run)
    {
        if (module.Version < PythonVersion.V3_13) return "";
        var text = new System.Text.StringBuilder();
        foreach (var (statement, wanted, written) in misplaced)
        {
            if (statement is not ClassDef cls) continue;
            var code = ClassBodyCode(module, cls.Name, wanted);
            string message = $"class {cls.Name} starts on line {written}, not {wanted}: its __firstlineno__ differs";
            run.Report(code ?? module, new DecompileFailure("layout", message));
            text.Append("# PYRECON: ").Append(message).Append('\n');
        }
        return text.Length == 0 ? "" : "\n" + text;
    }

    /// <summary>The body of class <paramref name="name"/> that starts on <paramref name="line"/>, among the code nested in <paramref name="code"/>.</summary>
    private static CodeObject? ClassBodyCode(CodeObject code, string name, int line)
    {
        foreach (var c in code.Consts)
        {
            if (c is not PyCode { Code: var nested }) continue;
            if (nested.Name == name && nested.FirstLineNo == line) return nested;
            if (ClassBodyCode(nested, name, line) is { } found) return found;
        }
        return null;
    }

    /// <summary>Comment blocks with the disassembly of each code object that failed, for the end of the file.</summary>
    private static string FailureListings(List<(string Name, IReadOnlyList<string> Lines)> listings)
    {
        if (listings.Count == 0) return "";
        var text = new System.Text.StringBuilder();
        foreach (var (name, lines) in listings)
        {
            text.Append("\n# PYRECON: disassembly of ").Append(name).Append(", which could not be decompiled\n");
            foreach (var line in lines) text.Append('#').Append(line).Append('\n');
        }
        return text.ToString();
    }
}
