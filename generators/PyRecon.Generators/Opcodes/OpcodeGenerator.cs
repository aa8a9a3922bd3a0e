using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace PyRecon.Generators.Opcodes
{
    /// <summary>
    /// spec/opcodes/3.X.spec (AdditionalFiles) -> one decode table per version
    /// (<c>PyRecon.Bytecode.Generated.OpcodeTable_3_X</c>) plus, from all specs together, the
    /// <c>OpcodeHandler</c> enum, the <c>IOpcodeHandlers&lt;T&gt;</c> interface and
    /// <c>OpcodeDispatch.Dispatch</c>. Each spec is parsed into a value-equatable model, so editing one
    /// spec regenerates that table and (only if its handler names changed) the dispatch.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class OpcodeGenerator : IIncrementalGenerator
    {
        // Release tracking (RS2008) is for analyzers shipped to others; these rules only guard this repo's specs.
#pragma warning disable RS2008
        private static readonly DiagnosticDescriptor Malformed = new DiagnosticDescriptor(
            OpcodeSpecParser.MalformedId, "Malformed opcode spec line", "{0}", "PyRecon.OpcodeSpec", DiagnosticSeverity.Error, true);
        private static readonly DiagnosticDescriptor MissingHandler = new DiagnosticDescriptor(
            OpcodeSpecParser.MissingHandlerId, "Opcode without a handler", "{0}", "PyRecon.OpcodeSpec", DiagnosticSeverity.Error, true);
        private static readonly DiagnosticDescriptor UnknownBase = new DiagnosticDescriptor(
            OpcodeSpecParser.UnknownBaseId, "Unknown family base", "{0}", "PyRecon.OpcodeSpec", DiagnosticSeverity.Error, true);
#pragma warning restore RS2008

        /// <summary>Pipeline step names, for tests of incremental caching.</summary>
        public const string SpecsStep = "OpcodeSpecs", HandlerSetsStep = "OpcodeHandlerSets";

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var specs = context.AdditionalTextsProvider
                .Where(static f => IsOpcodeSpec(f.Path))
                .Select(static (f, ct) => OpcodeSpecParser.Parse(f.Path, f.GetText(ct)?.ToString() ?? ""))
                .WithTrackingName(SpecsStep);

            context.RegisterSourceOutput(specs, static (spc, spec) =>
            {
                foreach (var d in spec.Diagnostics) spc.ReportDiagnostic(ToDiagnostic(d));
                if (spec.Diagnostics.Count == 0)
                    spc.AddSource($"OpcodeTable_{spec.ClassSuffix}.g.cs", SourceText.From(OpcodeEmitter.EmitTable(spec), Encoding.UTF8));
            });

            // The dispatch depends only on the handler names and the versions with a clean spec.
            var handlerSets = specs.Select(static (spec, _) => new HandlerSet(
                spec.Diagnostics.Count == 0 ? spec.Version : null, spec.FileName,
                new ValueArray<string>(spec.Opcodes.Select(o => o.Handler).Where(h => h != "-").Distinct().OrderBy(h => h, StringComparer.Ordinal))))
                .WithTrackingName(HandlerSetsStep);
            context.RegisterSourceOutput(handlerSets.Collect(), static (spc, sets) =>
                spc.AddSource("OpcodeDispatch.g.cs", SourceText.From(OpcodeEmitter.EmitDispatch(sets), Encoding.UTF8)));
        }

        internal static bool IsOpcodeSpec(string path)
        {
            var normalized = path.Replace('\\', '/');
            return normalized.EndsWith(".spec", StringComparison.OrdinalIgnoreCase)
                && normalized.IndexOf("/opcodes/", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        private static Diagnostic ToDiagnostic(SpecDiagnostic d)
        {
            var descriptor = d.Id == OpcodeSpecParser.MissingHandlerId ? MissingHandler : d.Id == OpcodeSpecParser.UnknownBaseId ? UnknownBase : Malformed;
            var location = Location.Create(d.Path, new TextSpan(d.Start, d.Length),
                new LinePositionSpan(new LinePosition(d.Line, 0), new LinePosition(d.Line, d.Length)));
            return Diagnostic.Create(descriptor, location, d.Message);
        }
    }

    internal sealed class HandlerSet : IEquatable<HandlerSet>
    {
        public HandlerSet(string? version, string fileName, ValueArray<string> handlers) { Version = version; FileName = fileName; Handlers = handlers; }
        /// <summary>Null when the spec has errors (its table is not generated).</summary>
        public string? Version { get; }
        public string FileName { get; }
        public ValueArray<string> Handlers { get; }
        public bool Equals(HandlerSet? o) => o != null && Version == o.Version && FileName == o.FileName && Handlers.Equals(o.Handlers);
        public override bool Equals(object? obj) => Equals(obj as HandlerSet);
        public override int GetHashCode() => (Version, FileName, Handlers).GetHashCode();
    }

    internal static class OpcodeEmitter
    {
        private static void Banner(StringBuilder sb, string from)
        {
            sb.AppendLine("// <auto-generated/>");
            sb.AppendLine($"// Generated by PyRecon.Generators.Opcodes.OpcodeGenerator from {from} — do not edit.");
            sb.AppendLine("#nullable enable");
            sb.AppendLine();
        }

        private static string Str(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4"));
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        public static string EmitTable(OpcodeSpec spec)
        {
            var sb = new StringBuilder();
            Banner(sb, spec.FileName);
            var byName = spec.Opcodes.ToDictionary(o => o.Name);
            OpcodeLine Root(OpcodeLine o) => o.BaseName != null && byName.TryGetValue(o.BaseName, out var b) ? Root(b) : o;
            sb.AppendLine("namespace PyRecon.Bytecode.Generated");
            sb.AppendLine("{");
            sb.AppendLine("    using System.Collections.Immutable;");
            sb.AppendLine("    using PyRecon.Model;");
            sb.AppendLine();
            sb.AppendLine($"    /// <summary>CPython {spec.Version} opcodes, generated from {spec.FileName}.</summary>");
            sb.AppendLine($"    internal sealed class OpcodeTable_{spec.ClassSuffix} : global::PyRecon.Bytecode.OpcodeTable");
            sb.AppendLine("    {");
            sb.AppendLine($"        public OpcodeTable_{spec.ClassSuffix}() : base(");
            var v = spec.Version.Split('.');
            sb.AppendLine($"            new PythonVersion({v[0]}, {(v.Length > 1 ? v[1] : "0")}),");
            sb.AppendLine($"            {Str(spec.FileName)},");
            sb.AppendLine($"            jumpUnit: {spec.JumpUnit}, compareShift: {spec.CompareShift}, compareBoolMask: {spec.CompareBoolMask},");
            sb.AppendLine($"            generatorEntryDepth: {spec.GeneratorEntryDepth},");
            sb.AppendLine("            opcodes: ImmutableArray.Create<global::PyRecon.Bytecode.OpcodeInfo>(");
            var layouts = spec.CacheLayouts.ToDictionary(l => l.Name, l => l.Items);
            for (int i = 0; i < spec.Opcodes.Count; i++)
            {
                var o = spec.Opcodes[i];
                var root = Root(o);
                string handler = o.Handler == "-" ? root.Handler : o.Handler;
                // A family member has its base's cache layout.
                string layout = layouts.TryGetValue(o.Name, out var own) || layouts.TryGetValue(root.Name, out own)
                    ? "ImmutableArray.Create(" + string.Join(", ", own.Select(f => f.Split(':')).Select(f => $"new global::PyRecon.Bytecode.CacheField({Str(f[0])}, {f[1]})")) + ")"
                    : "ImmutableArray<global::PyRecon.Bytecode.CacheField>.Empty";
                sb.Append($"                new global::PyRecon.Bytecode.OpcodeInfo({o.Number}, {Str(o.Name)}, {o.Cache}, global::PyRecon.Bytecode.ArgKind.{o.ArgKind}, ")
                  .Append($"global::PyRecon.Bytecode.OpcodeHandler.{handler}, {(o.BaseName == null ? "null" : Str(o.BaseName))}, {Str(o.StackText)}, {o.Line + 1}, {layout})")
                  .AppendLine(i + 1 < spec.Opcodes.Count ? "," : "),");
            }
            sb.AppendLine("            tables: ImmutableDictionary.CreateRange(System.StringComparer.Ordinal, new[]");
            sb.AppendLine("            {");
            foreach (var t in spec.Tables)
                sb.AppendLine($"                new System.Collections.Generic.KeyValuePair<string, ImmutableArray<string>>({Str(t.Name)}, ImmutableArray.Create<string>({string.Join(", ", t.Items.Select(Str))})),");
            sb.AppendLine("            }))");
            sb.AppendLine("        {");
            sb.AppendLine("        }");
            sb.AppendLine();
            sb.AppendLine("        /// <inheritdoc/>");
            sb.AppendLine("        private protected override int? ComputeStackEffect(int opcode, int oparg, bool jump)");
            sb.AppendLine("        {");
            sb.AppendLine("            switch (opcode)");
            sb.AppendLine("            {");
            foreach (var o in spec.Opcodes)
            {
                // A specialized/instrumented opcode without its own effect uses its base's.
                var source = o.FallCs == null ? Root(o) : o;
                if (source.FallCs == null) continue;
                string body = source.FallCs == source.JumpCs ? source.FallCs : $"jump ? {source.JumpCs} : {source.FallCs}";
                sb.AppendLine($"                case {o.Number}: return {body}; // {o.Name}: {source.StackText}");
            }
            sb.AppendLine("                default: return null;");
            sb.AppendLine("            }");
            sb.AppendLine("        }");
            if (spec.Pops.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("        /// <inheritdoc/>");
                sb.AppendLine("        private protected override int? ComputePops(int opcode, int oparg)");
                sb.AppendLine("        {");
                sb.AppendLine("            switch (opcode)");
                sb.AppendLine("            {");
                foreach (var f in spec.Pops)
                    sb.AppendLine($"                case {byName[f.Name].Number}: return {f.Cs}; // {f.Name}: {f.Text}");
                sb.AppendLine("                default: return null;");
                sb.AppendLine("            }");
                sb.AppendLine("        }");
            }
            sb.AppendLine("    }");
            sb.AppendLine("}");
            return sb.ToString();
        }

        /// <summary>spec/opcodes/3.10.spec sorts after 3.9.</summary>
        private static Version VersionKey(string fileName)
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(fileName);
            return Version.TryParse(name, out var v) ? v : new Version(0, 0);
        }

        public static string EmitDispatch(ImmutableArray<HandlerSet> sets)
        {
            var ordered = sets.OrderBy(s => VersionKey(s.FileName)).ThenBy(s => s.FileName, StringComparer.Ordinal).ToList();
            var sb = new StringBuilder();
            Banner(sb, ordered.Count == 0 ? "spec/opcodes/*.spec (none found)" : string.Join(", ", ordered.Select(s => s.FileName)));
            var handlers = ordered.SelectMany(s => s.Handlers).Distinct().OrderBy(h => h, StringComparer.Ordinal).ToList();
            sb.AppendLine("namespace PyRecon.Bytecode");
            sb.AppendLine("{");
            sb.AppendLine("    /// <summary>The evaluator's semantic handlers named in the opcode specs (many opcodes share one).</summary>");
            sb.AppendLine("    public enum OpcodeHandler");
            sb.AppendLine("    {");
            foreach (var h in handlers)
            {
                var users = ordered.Where(s => s.Handlers.Contains(h)).Select(s => s.FileName.Replace("spec/opcodes/", "").Replace(".spec", "")).ToList();
                sb.AppendLine($"        /// <summary>Used by {string.Join(", ", users)}.</summary>");
                sb.AppendLine($"        {h},");
            }
            sb.AppendLine("    }");
            sb.AppendLine();
            sb.AppendLine("    /// <summary>One method per handler name of the opcode specs; the evaluator implements it.</summary>");
            sb.AppendLine("    public interface IOpcodeHandlers<T>");
            sb.AppendLine("    {");
            foreach (var h in handlers) sb.AppendLine($"        T {h}(Instruction instruction);");
            sb.AppendLine("    }");
            sb.AppendLine();
            sb.AppendLine("    /// <summary>Routes an instruction to its handler, chosen by its (deoptimized) opcode's spec line.</summary>");
            sb.AppendLine("    public static partial class OpcodeDispatch");
            sb.AppendLine("    {");
            sb.AppendLine("        public static T Dispatch<T>(Instruction instruction, IOpcodeHandlers<T> handlers)");
            sb.AppendLine("        {");
            sb.AppendLine("            switch (instruction.Opcode.Handler)");
            sb.AppendLine("            {");
            foreach (var h in handlers) sb.AppendLine($"                case OpcodeHandler.{h}: return handlers.{h}(instruction);");
            sb.AppendLine("                default: throw new System.ArgumentOutOfRangeException(nameof(instruction), instruction.Opcode.Handler, \"no such handler\");");
            sb.AppendLine("            }");
            sb.AppendLine("        }");
            sb.AppendLine("    }");
            sb.AppendLine();
            sb.AppendLine("    public abstract partial class OpcodeTable");
            sb.AppendLine("    {");
            sb.AppendLine("        /// <summary>The versions with a generated table.</summary>");
            var versions = ordered.Where(s => s.Version != null).Select(s => s.Version!).OrderBy(x => Version.TryParse(x, out var pv) ? pv : new Version(0, 0)).ToList();
            sb.AppendLine($"        public static readonly System.Collections.Generic.IReadOnlyList<string> GeneratedVersions = new string[] {{ {string.Join(", ", versions.Select(Str))} }};");
            sb.AppendLine();
            sb.AppendLine("        private static OpcodeTable? CreateGenerated(string version)");
            sb.AppendLine("        {");
            sb.AppendLine("            switch (version)");
            sb.AppendLine("            {");
            foreach (var ver in versions) sb.AppendLine($"                case {Str(ver)}: return new Generated.OpcodeTable_{ver.Replace('.', '_')}();");
            sb.AppendLine("                default: return null;");
            sb.AppendLine("            }");
            sb.AppendLine("        }");
            sb.AppendLine("    }");
            sb.AppendLine("}");
            return sb.ToString();
        }
    }
}
