using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace PyRecon.Generators.Syntax
{
    /// <summary>
    /// Writes the C# for a parsed syntax spec. Naming (documented in the spec's README comments):
    /// constructors keep their Python names (<c>BinOp</c>, <c>Expr</c>); a sum type with fields becomes an
    /// abstract base named PascalCase + "Node" (<c>expr</c> → <c>ExprNode</c>); a sum of field-less
    /// constructors becomes an enum named PascalCase (<c>operator</c> → <c>Operator</c>); a product type
    /// becomes a class named PascalCase (<c>match_case</c> → <c>MatchCase</c>); fields become PascalCase
    /// properties (a field named like its class gets a "Name" suffix: <c>arg.arg</c> → <c>Arg.ArgName</c>).
    /// </summary>
    internal sealed class SyntaxEmitter
    {
        private const string Ns = "PyRecon.Syntax";
        private const string Imm = "global::System.Collections.Immutable.ImmutableArray";
        private readonly Dictionary<string, AsdlType> _types;
        private readonly string _specFiles;

        public SyntaxEmitter(IReadOnlyList<AsdlType> types, IEnumerable<string> specFiles)
        {
            _types = types.ToDictionary(t => t.Name);
            _specFiles = string.Join(", spec/syntax/", specFiles);
        }

        private IEnumerable<AsdlType> Types => _types.Values.OrderBy(t => t.File).ThenBy(t => t.Line);

        /// <summary>Every node class with its fields: sum constructors (non-enum) and product types.</summary>
        private IEnumerable<(AsdlType Type, AsdlConstructor Ctor, string Class)> NodeClasses =>
            Types.Where(t => !t.IsEnum).SelectMany(t => t.Constructors.Select(c => (t, c, t.IsProduct ? Pascal(t.Name) : c.Name)));

        public static string Pascal(string snake) =>
            string.Concat(snake.Split('_').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));

        private static readonly HashSet<string> CSharpKeywords = new HashSet<string>
        {
            "abstract","as","base","bool","break","byte","case","catch","char","checked","class","const","continue",
            "decimal","default","delegate","do","double","else","enum","event","explicit","extern","false","finally",
            "fixed","float","for","foreach","goto","if","implicit","in","int","interface","internal","is","lock","long",
            "namespace","new","null","object","operator","out","override","params","private","protected","public",
            "readonly","ref","return","sbyte","sealed","short","sizeof","stackalloc","static","string","struct","switch",
            "this","throw","true","try","typeof","uint","ulong","unchecked","unsafe","ushort","using","virtual","void",
            "volatile","while",
        };

        private static string Param(string snake)
        {
            var p = Pascal(snake);
            var camel = char.ToLowerInvariant(p[0]) + p.Substring(1);
            return CSharpKeywords.Contains(camel) ? "@" + camel : camel;
        }

        private static string Property(string className, AsdlField f)
        {
            var p = Pascal(f.Name);
            return p == className ? p + "Name" : p;
        }

        /// <summary>The C# type of one value of an ASDL type.</summary>
        private string ItemType(string asdlType)
        {
            switch (asdlType)
            {
                case "identifier":
                case "dotted_name":
                case "string": return "string";
                case "constant": return "global::PyRecon.Model.PyObject";
                case "int": return "int";
            }
            var t = _types[asdlType];
            if (t.IsEnum || t.IsProduct) return Pascal(t.Name);
            return Pascal(t.Name) + "Node";
        }

        private bool IsNode(string asdlType) => _types.TryGetValue(asdlType, out var t) && !t.IsEnum;
        private bool IsEnum(string asdlType) => _types.TryGetValue(asdlType, out var t) && t.IsEnum;

        private string FieldType(AsdlField f)
        {
            var item = ItemType(f.Type);
            switch (f.Arity)
            {
                case AsdlArity.Optional: return item + "?";
                case AsdlArity.List: return $"{Imm}<{item}>";
                case AsdlArity.OptionalItemList: return $"{Imm}<{item}?>";
                default: return item;
            }
        }

        private string FieldKind(AsdlField f)
        {
            switch (f.Type)
            {
                case "identifier":
                case "dotted_name": return f.Arity == AsdlArity.List ? "IdentifierList" : "Identifier";
                case "string": return f.Arity == AsdlArity.List ? "StringList" : "String";
                case "constant": return "Constant";
                case "int": return "Int";
            }
            if (IsEnum(f.Type)) return f.Arity == AsdlArity.List ? "EnumList" : "Enum";
            return f.Arity == AsdlArity.List || f.Arity == AsdlArity.OptionalItemList ? "NodeList" : "Node";
        }

        private string Header(string what) =>
            "// <auto-generated/>\n" +
            $"// {what}\n" +
            $"// Do not edit: generated by PyRecon.Generators.Syntax.SyntaxGenerator from spec/syntax/{_specFiles};\n" +
            "// change the spec (or the generator) instead.\n" +
            "#nullable enable\n" +
            $"namespace {Ns}\n{{\n";

        public string EmitNodes()
        {
            var sb = new StringBuilder(Header("Syntax node classes and enums."));
            sb.Append(@"    /// <summary>Root of every syntax node: immutable, compared by value (Equals), visited by SyntaxVisitor.</summary>
    public abstract partial class SyntaxNode : global::System.IEquatable<SyntaxNode>
    {
        private protected SyntaxNode() { }
        /// <summary>The node's class name in Python's ast module.</summary>
        public abstract string PythonName { get; }
        /// <summary>The fields in Python's _fields order, for generic consumers such as AstDump.</summary>
        public abstract global::System.Collections.Immutable.ImmutableArray<SyntaxField> Fields { get; }
        public abstract TResult Accept<TResult>(SyntaxVisitor<TResult> visitor);
        /// <summary>The node's class as a number: SyntaxVisitor dispatches on it (a generic virtual call such as
        /// Accept costs a lookup per call ahead of time compiled).</summary>
        public abstract SyntaxKind SyntaxKind { get; }
        /// <summary>Hands each child node to <paramref name=""visitor""/> in field order (absent ones skipped), without
        /// allocating: for generic walks that Fields would make allocate per node.</summary>
        public abstract void VisitChildren(SyntaxChildVisitor visitor);
        /// <summary>Structural equality: same class and equal fields, recursively.</summary>
        public abstract bool Equals(SyntaxNode? other);
        public sealed override bool Equals(object? obj) => obj is SyntaxNode other && Equals(other);
        public abstract override int GetHashCode();
    }

");
            sb.Append("    /// <summary>Every node class, as <see cref=\"SyntaxNode.SyntaxKind\"/> names it.</summary>\n    public enum SyntaxKind\n    {\n");
            foreach (var (_, _, cls) in NodeClasses) sb.Append($"        {cls},\n");
            sb.Append("    }\n\n");
            sb.Append(@"    /// <summary>Receives the child nodes <see cref=""SyntaxNode.VisitChildren""/> hands over.</summary>
    public abstract class SyntaxChildVisitor
    {
        public abstract void Child(SyntaxNode node);
    }

");
            foreach (var t in Types)
            {
                if (t.IsEnum)
                {
                    sb.Append($"    /// <summary>Python's <c>{t.Name}</c>; member names are the ast class names.</summary>\n");
                    sb.Append($"    public enum {Pascal(t.Name)}\n    {{\n");
                    foreach (var c in t.Constructors) sb.Append($"        {c.Name},\n");
                    sb.Append("    }\n\n");
                }
                else if (!t.IsProduct)
                {
                    sb.Append($"    /// <summary>Python's abstract <c>{t.Name}</c>.</summary>\n");
                    sb.Append($"    public abstract partial class {Pascal(t.Name)}Node : SyntaxNode\n    {{\n        private protected {Pascal(t.Name)}Node() {{ }}\n    }}\n\n");
                }
            }
            foreach (var (type, ctor, cls) in NodeClasses) EmitClass(sb, type, ctor, cls);
            sb.Append("}\n");
            return sb.ToString();
        }

        private void EmitClass(StringBuilder sb, AsdlType type, AsdlConstructor ctor, string cls)
        {
            var fields = ctor.Fields;
            string baseName = type.IsProduct ? "SyntaxNode" : Pascal(type.Name) + "Node";
            string pyName = type.IsProduct ? type.Name : ctor.Name;
            string paramList = string.Join(", ", fields.Select(f => $"{FieldType(f)} {Param(f.Name)}"));
            string argList = string.Join(", ", fields.Select(f => Param(f.Name)));

            sb.Append($"    /// <summary>Python's <c>ast.{pyName}</c>. Create with <see cref=\"SyntaxFactory.{cls}\"/>.</summary>\n");
            sb.Append($"    public sealed partial class {cls} : {baseName}\n    {{\n");
            sb.Append($"        internal {cls}({paramList})\n        {{\n");
            foreach (var f in fields) sb.Append($"            {Property(cls, f)} = {Param(f.Name)};\n");
            sb.Append("        }\n\n");
            foreach (var f in fields)
                sb.Append($"        /// <summary><c>{f.Type}{Suffix(f.Arity)} {f.Name}</c></summary>\n        public {FieldType(f)} {Property(cls, f)} {{ get; }}\n");
            sb.Append($"\n        public override string PythonName => \"{pyName}\";\n");
            sb.Append($"        public override TResult Accept<TResult>(SyntaxVisitor<TResult> visitor) => visitor.Visit{cls}(this);\n");
            sb.Append($"        public override SyntaxKind SyntaxKind => SyntaxKind.{cls};\n");
            sb.Append("        public override void VisitChildren(SyntaxChildVisitor visitor)\n        {\n");
            foreach (var f in fields.Where(f => IsNode(f.Type)))
            {
                var p = Property(cls, f);
                switch (f.Arity)
                {
                    case AsdlArity.One: sb.Append($"            visitor.Child({p});\n"); break;
                    case AsdlArity.Optional: sb.Append($"            if ({p} is not null) visitor.Child({p});\n"); break;
                    case AsdlArity.List: sb.Append($"            foreach (var item in {p}) visitor.Child(item);\n"); break;
                    default: sb.Append($"            foreach (var item in {p}) if (item is not null) visitor.Child(item);\n"); break;
                }
            }
            sb.Append("        }\n");

            // Fields
            sb.Append($"        public override global::System.Collections.Immutable.ImmutableArray<SyntaxField> Fields => {Imm}.Create<SyntaxField>(");
            sb.Append(string.Join(", ", fields.Select(f =>
                $"new SyntaxField(\"{f.Name}\", SyntaxFieldKind.{FieldKind(f)}, {(f.Arity == AsdlArity.Optional ? "true" : "false")}, {Boxed(cls, f)})")));
            sb.Append(");\n");

            if (fields.Count > 0)
            {
                // Update: same instance when nothing changed (nodes and lists by reference, values by value).
                sb.Append($"\n        /// <summary>This node when every argument equals the current field; otherwise a new node (validated).</summary>\n");
                sb.Append($"        public {cls} Update({paramList})\n        {{\n");
                sb.Append("            if (" + string.Join("\n                && ", fields.Select(f => Same(cls, f))) + ")\n                return this;\n");
                sb.Append($"            return SyntaxFactory.{cls}({argList});\n        }}\n");
                foreach (var f in fields)
                {
                    var args = string.Join(", ", fields.Select(g => g == f ? Param(f.Name) : Property(cls, g)));
                    sb.Append($"        public {cls} With{Property(cls, f)}({FieldType(f)} {Param(f.Name)}) => Update({args});\n");
                }
            }

            // Equality
            sb.Append($"\n        public override bool Equals(SyntaxNode? other) => ReferenceEquals(this, other) || other is {cls} o");
            foreach (var f in fields) sb.Append($"\n            && {FieldEquals(cls, f)}");
            sb.Append(";\n");
            sb.Append("        public override int GetHashCode()\n        {\n            var hash = new global::System.HashCode();\n");
            sb.Append($"            hash.Add(\"{pyName}\");\n");
            foreach (var f in fields) sb.Append($"            {FieldHash(cls, f)};\n");
            sb.Append("            return hash.ToHashCode();\n        }\n    }\n\n");
        }

        private static string Suffix(AsdlArity a) => a == AsdlArity.Optional ? "?" : a == AsdlArity.List ? "*" : a == AsdlArity.OptionalItemList ? "?*" : "";

        private string Boxed(string cls, AsdlField f)
        {
            var p = Property(cls, f);
            if (f.Arity == AsdlArity.List || f.Arity == AsdlArity.OptionalItemList)
                return $"(global::System.Collections.Generic.IReadOnlyList<object?>){(IsEnum(f.Type) || f.Type == "int" ? $"global::System.Linq.Enumerable.ToArray(global::System.Linq.Enumerable.Cast<object?>({p}))" : p)}";
            return p;
        }

        private string Same(string cls, AsdlField f)
        {
            var p = Property(cls, f);
            var a = Param(f.Name);
            if (f.Arity == AsdlArity.List || f.Arity == AsdlArity.OptionalItemList) return $"{a} == {p}";
            if (IsNode(f.Type)) return $"ReferenceEquals({a}, {p})";
            if (f.Type == "constant") return $"Equals({a}, {p})";
            if (ItemType(f.Type) == "string") return $"string.Equals({a}, {p}, global::System.StringComparison.Ordinal)";
            return $"{a} == {p}";
        }

        private string FieldEquals(string cls, AsdlField f)
        {
            var p = Property(cls, f);
            if (f.Arity == AsdlArity.List || f.Arity == AsdlArity.OptionalItemList) return $"SyntaxFacts.ListEquals({p}, o.{p})";
            if (IsNode(f.Type) || f.Type == "constant") return $"Equals({p}, o.{p})";
            if (ItemType(f.Type) == "string") return $"string.Equals({p}, o.{p}, global::System.StringComparison.Ordinal)";
            return $"{p} == o.{p}";
        }

        private string FieldHash(string cls, AsdlField f)
        {
            var p = Property(cls, f);
            if (f.Arity == AsdlArity.List || f.Arity == AsdlArity.OptionalItemList) return $"hash.Add(SyntaxFacts.ListHash({p}))";
            if (ItemType(f.Type) == "string") return $"hash.Add({p}, global::System.StringComparer.Ordinal)";
            return $"hash.Add({p})";
        }

        public string EmitFactory()
        {
            var sb = new StringBuilder(Header("SyntaxFactory: the only way to create nodes; refuses ill-formed ones."));
            sb.Append("    /// <summary>Creates nodes, refusing ill-formed ones with <see cref=\"global::System.ArgumentException\"/>.</summary>\n");
            sb.Append("    public static partial class SyntaxFactory\n    {\n");
            foreach (var (type, ctor, cls) in NodeClasses)
            {
                var fields = ctor.Fields;
                // Trailing optional fields, lists and enums get defaults (null, empty, first member) for convenience.
                int firstDefault = fields.Count;
                while (firstDefault > 0 && HasDefault(fields[firstDefault - 1])) firstDefault--;
                var ps = fields.Select((f, i) => $"{FieldType(f)} {Param(f.Name)}" + (i >= firstDefault ? " = " + DefaultValue(f) : ""));
                sb.Append($"        /// <summary>Creates <c>ast.{(type.IsProduct ? type.Name : ctor.Name)}</c>.</summary>\n");
                sb.Append($"        public static global::{Ns}.{cls} {cls}({string.Join(", ", ps)})\n        {{\n");
                foreach (var f in fields)
                {
                    var check = Validation(cls, type.IsProduct ? type.Name : ctor.Name, f);
                    if (check != null) sb.Append($"            {check};\n");
                }
                sb.Append($"            var node = new global::{Ns}.{cls}({string.Join(", ", fields.Select(f => Param(f.Name)))});\n");
                sb.Append("            CheckInvariants(node);\n            return node;\n        }\n\n");
                sb.Append($"        /// <summary>Hook for rules that tie fields together (hand-written where needed).</summary>\n");
                sb.Append($"        static partial void CheckInvariants(global::{Ns}.{cls} node);\n\n");
            }
            sb.Append("    }\n}\n");
            return sb.ToString();
        }

        private bool HasDefault(AsdlField f) =>
            f.Arity != AsdlArity.One || IsEnum(f.Type);

        private string DefaultValue(AsdlField f)
        {
            if (f.Arity == AsdlArity.Optional) return "null";
            if (f.Arity != AsdlArity.One) return "default";
            return $"{ItemType(f.Type)}.{_types[f.Type].Constructors[0].Name}";
        }

        private string? Validation(string cls, string pyName, AsdlField f)
        {
            var a = Param(f.Name);
            var where = $"\"{pyName}.{f.Name}\"";
            bool list = f.Arity == AsdlArity.List;
            switch (f.Type)
            {
                case "identifier":
                    return list ? $"{a} = SyntaxFacts.CheckIdentifierList({a}, {where})"
                         : f.Arity == AsdlArity.Optional ? $"if ({a} is not null) SyntaxFacts.RequireIdentifier({a}, {where})"
                         : $"SyntaxFacts.RequireIdentifier({a}, {where})";
                case "dotted_name":
                    return f.Arity == AsdlArity.Optional ? $"if ({a} is not null) SyntaxFacts.RequireDottedName({a}, {where})"
                         : $"SyntaxFacts.RequireDottedName({a}, {where})";
                case "constant":
                    return $"SyntaxFacts.RequireConstant({a}, {where})";
                case "int":
                    return null;
            }
            if (list) return IsEnum(f.Type) ? $"{a} = SyntaxFacts.CheckEnumList({a}, {where})" : $"{a} = SyntaxFacts.CheckList({a}, {where})";
            if (f.Arity == AsdlArity.OptionalItemList) return $"{a} = SyntaxFacts.NormalizeList({a})";
            if (f.Arity == AsdlArity.Optional) return null;
            if (IsEnum(f.Type)) return $"SyntaxFacts.RequireDefined({a}, {where})";
            return $"SyntaxFacts.RequireNotNull({a}, {where})";
        }

        public string EmitVisitor()
        {
            var sb = new StringBuilder(Header("SyntaxVisitor<TResult>: one Visit method per node class."));
            sb.Append("    /// <summary>Double dispatch over node classes; unvisited kinds fall back to DefaultVisit.</summary>\n");
            sb.Append("    public abstract partial class SyntaxVisitor<TResult>\n    {\n");
            sb.Append("        public virtual TResult Visit(SyntaxNode node) => node.SyntaxKind switch\n        {\n");
            foreach (var (_, _, cls) in NodeClasses)
                sb.Append($"            SyntaxKind.{cls} => Visit{cls}(({cls})node),\n");
            sb.Append("            _ => DefaultVisit(node),\n        };\n");
            sb.Append("        protected virtual TResult DefaultVisit(SyntaxNode node) => default!;\n");
            foreach (var (_, _, cls) in NodeClasses)
                sb.Append($"        public virtual TResult Visit{cls}({cls} node) => DefaultVisit(node);\n");
            sb.Append("    }\n}\n");
            return sb.ToString();
        }

        public string EmitRewriter()
        {
            var sb = new StringBuilder(Header("SyntaxRewriter: copy-on-write rewriting; unchanged subtrees keep their identity."));
            sb.Append("    public partial class SyntaxRewriter : SyntaxVisitor<SyntaxNode>\n    {\n");
            foreach (var (_, ctor, cls) in NodeClasses)
            {
                if (ctor.Fields.Count == 0)
                {
                    sb.Append($"        public override SyntaxNode Visit{cls}({cls} node) => node;\n");
                    continue;
                }
                var args = ctor.Fields.Select(f =>
                {
                    var p = "node." + Property(cls, f);
                    if (!IsNode(f.Type)) return p;
                    switch (f.Arity)
                    {
                        case AsdlArity.One: return $"VisitNode({p})";
                        case AsdlArity.Optional: return $"VisitOptional({p})";
                        case AsdlArity.List: return $"VisitList({p})";
                        default: return $"VisitOptionalItemList({p})";
                    }
                });
                sb.Append($"        public override SyntaxNode Visit{cls}({cls} node) =>\n            node.Update({string.Join(", ", args)});\n");
            }
            sb.Append("    }\n}\n");
            return sb.ToString();
        }
    }
}
