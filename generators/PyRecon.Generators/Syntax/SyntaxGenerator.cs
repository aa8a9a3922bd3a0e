using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace PyRecon.Generators.Syntax
{
    /// <summary>
    /// Generates PyRecon.Syntax (nodes, SyntaxFactory, SyntaxVisitor, SyntaxRewriter) from the *.asdl
    /// additional files. A malformed spec produces PYSYN001 at the offending file and line, and no code.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class SyntaxGenerator : IIncrementalGenerator
    {
        // Release tracking (RS2008) is for shipped analyzers; this one only runs inside this repository.
#pragma warning disable RS2008
        public static readonly DiagnosticDescriptor MalformedSpec = new DiagnosticDescriptor(
            "PYSYN001", "Malformed syntax spec", "{0}", "PyRecon.Syntax", DiagnosticSeverity.Error, isEnabledByDefault: true);
#pragma warning restore RS2008

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var files = context.AdditionalTextsProvider
                .Where(t => t.Path.EndsWith(".asdl", System.StringComparison.OrdinalIgnoreCase))
                .Select((t, ct) => AsdlParser.Parse(t.Path, t.GetText(ct)?.ToString() ?? ""))
                .Collect();
            context.RegisterSourceOutput(files, Emit);
        }

        private static void Emit(SourceProductionContext context, ImmutableArray<AsdlFile> files)
        {
            if (files.IsEmpty) return;
            var ordered = files.OrderBy(f => f.Path, System.StringComparer.Ordinal).ToList();
            bool failed = false;
            foreach (var error in ordered.SelectMany(f => f.Errors))
            {
                failed = true;
                var pos = new LinePosition(error.Line - 1, error.Column - 1);
                var location = Location.Create(error.File, new TextSpan(0, 0), new LinePositionSpan(pos, pos));
                context.ReportDiagnostic(Diagnostic.Create(MalformedSpec, location, $"{error.File}({error.Line},{error.Column}): {error.Message}"));
            }
            if (failed) return;
            // Names must be unique across files too.
            var types = ordered.SelectMany(f => f.Types).ToList();
            foreach (var dup in types.GroupBy(t => t.Name).Where(g => g.Count() > 1))
            {
                var t = dup.Last();
                var pos = new LinePosition(t.Line - 1, t.Column - 1);
                context.ReportDiagnostic(Diagnostic.Create(MalformedSpec, Location.Create(t.File, new TextSpan(0, 0), new LinePositionSpan(pos, pos)),
                    $"{t.File}({t.Line},{t.Column}): type '{t.Name}' is defined in more than one spec file"));
                failed = true;
            }
            if (failed) return;
            var emitter = new SyntaxEmitter(types, ordered.Select(f => System.IO.Path.GetFileName(f.Path)));
            context.AddSource("Syntax.Nodes.g.cs", emitter.EmitNodes());
            context.AddSource("Syntax.Factory.g.cs", emitter.EmitFactory());
            context.AddSource("Syntax.Visitor.g.cs", emitter.EmitVisitor());
            context.AddSource("Syntax.Rewriter.g.cs", emitter.EmitRewriter());
        }
    }
}
