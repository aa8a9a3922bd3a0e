using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace PyRecon.Generators.Opcodes
{
    /// <summary>An immutable array compared by its items, so pipeline models stay value-equatable.</summary>
    internal sealed class ValueArray<T> : IEquatable<ValueArray<T>>, IReadOnlyList<T>
    {
        private readonly T[] _items;
        public static readonly ValueArray<T> Empty = new ValueArray<T>(new T[0]);
        public ValueArray(IEnumerable<T> items) { _items = items.ToArray(); }
        public T this[int index] => _items[index];
        public int Count => _items.Length;
        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
        public bool Equals(ValueArray<T>? other) => other != null && _items.SequenceEqual(other._items);
        public override bool Equals(object? obj) => Equals(obj as ValueArray<T>);
        public override int GetHashCode()
        {
            int hash = 17;
            foreach (var item in _items) hash = hash * 31 + (item?.GetHashCode() ?? 0);
            return hash;
        }
    }

    /// <summary>Where a diagnostic points: a spec file, a 0-based line, and the span of that line.</summary>
    internal sealed class SpecDiagnostic : IEquatable<SpecDiagnostic>
    {
        public SpecDiagnostic(string id, string message, string path, int line, int start, int length)
        {
            Id = id; Message = message; Path = path; Line = line; Start = start; Length = length;
        }
        public string Id { get; }
        public string Message { get; }
        public string Path { get; }
        /// <summary>0-based line number.</summary>
        public int Line { get; }
        public int Start { get; }
        public int Length { get; }
        public bool Equals(SpecDiagnostic? o) => o != null && Id == o.Id && Message == o.Message && Path == o.Path && Line == o.Line && Start == o.Start && Length == o.Length;
        public override bool Equals(object? obj) => Equals(obj as SpecDiagnostic);
        public override int GetHashCode() => (Id, Message, Path, Line, Start).GetHashCode();
    }

    /// <summary>One opcode line of a spec, with its stack formulas already compiled to C# expressions.</summary>
    internal sealed class OpcodeLine : IEquatable<OpcodeLine>
    {
        public OpcodeLine(string name, int number, int cache, string argKind, string stackText, string? fallCs, string? jumpCs, string handler, string? baseName, int line)
        {
            Name = name; Number = number; Cache = cache; ArgKind = argKind; StackText = stackText;
            FallCs = fallCs; JumpCs = jumpCs; Handler = handler; BaseName = baseName; Line = line;
        }
        public string Name { get; }
        public int Number { get; }
        public int Cache { get; }
        /// <summary>The C# ArgKind member name.</summary>
        public string ArgKind { get; }
        public string StackText { get; }
        /// <summary>C# expression over <c>oparg</c> for the fall-through path; null = none given.</summary>
        public string? FallCs { get; }
        public string? JumpCs { get; }
        /// <summary>Handler name; "-" = the base's.</summary>
        public string Handler { get; }
        public string? BaseName { get; }
        public int Line { get; }
        public bool Equals(OpcodeLine? o) => o != null && Name == o.Name && Number == o.Number && Cache == o.Cache && ArgKind == o.ArgKind
            && StackText == o.StackText && FallCs == o.FallCs && JumpCs == o.JumpCs && Handler == o.Handler && BaseName == o.BaseName && Line == o.Line;
        public override bool Equals(object? obj) => Equals(obj as OpcodeLine);
        public override int GetHashCode() => (Name, Number, Cache, ArgKind, StackText, Handler, BaseName, Line).GetHashCode();
    }

    internal sealed class SpecTable : IEquatable<SpecTable>
    {
        public SpecTable(string name, ValueArray<string> items) { Name = name; Items = items; }
        public string Name { get; }
        public ValueArray<string> Items { get; }
        public bool Equals(SpecTable? o) => o != null && Name == o.Name && Items.Equals(o.Items);
        public override bool Equals(object? obj) => Equals(obj as SpecTable);
        public override int GetHashCode() => (Name, Items).GetHashCode();
    }

    /// <summary>A formula of oparg given for one opcode (<c>.pops</c>): its spec text and its C# form.</summary>
    internal sealed class SpecFormula : IEquatable<SpecFormula>
    {
        public SpecFormula(string name, string text, string cs) { Name = name; Text = text; Cs = cs; }
        public string Name { get; }
        public string Text { get; }
        public string Cs { get; }
        public bool Equals(SpecFormula? o) => o != null && Name == o.Name && Text == o.Text && Cs == o.Cs;
        public override bool Equals(object? obj) => Equals(obj as SpecFormula);
        public override int GetHashCode() => (Name, Text).GetHashCode();
    }

    /// <summary>A whole parsed spec file: what the emitters need, and the problems found.</summary>
    internal sealed class OpcodeSpec : IEquatable<OpcodeSpec>
    {
        public OpcodeSpec(string path, string fileName, string version, int jumpUnit, int compareShift, int compareBoolMask, int generatorEntryDepth,
            ValueArray<SpecTable> tables, ValueArray<OpcodeLine> opcodes, ValueArray<SpecDiagnostic> diagnostics, ValueArray<SpecTable> cacheLayouts,
            ValueArray<SpecFormula> pops)
        {
            CacheLayouts = cacheLayouts;
            Pops = pops;
            Path = path; FileName = fileName; Version = version; JumpUnit = jumpUnit; CompareShift = compareShift;
            CompareBoolMask = compareBoolMask; GeneratorEntryDepth = generatorEntryDepth; Tables = tables; Opcodes = opcodes; Diagnostics = diagnostics;
        }
        public string Path { get; }
        /// <summary>The repo-relative-looking name used in banners: spec/opcodes/3.X.spec.</summary>
        public string FileName { get; }
        public string Version { get; }
        public int JumpUnit { get; }
        public int CompareShift { get; }
        public int CompareBoolMask { get; }
        public int GeneratorEntryDepth { get; }
        public ValueArray<SpecTable> Tables { get; }
        public ValueArray<OpcodeLine> Opcodes { get; }
        public ValueArray<SpecDiagnostic> Diagnostics { get; }
        /// <summary>Inline cache layouts by opcode name: items are "field:units".</summary>
        public ValueArray<SpecTable> CacheLayouts { get; }
        /// <summary>Stack entries a base opcode consumes, where the spec gives them (<c>.pops</c>).</summary>
        public ValueArray<SpecFormula> Pops { get; }
        public string ClassSuffix => Version.Replace('.', '_');
        public bool Equals(OpcodeSpec? o) => o != null && Path == o.Path && Version == o.Version && JumpUnit == o.JumpUnit
            && CompareShift == o.CompareShift && CompareBoolMask == o.CompareBoolMask && GeneratorEntryDepth == o.GeneratorEntryDepth && Tables.Equals(o.Tables)
            && Opcodes.Equals(o.Opcodes) && Diagnostics.Equals(o.Diagnostics) && CacheLayouts.Equals(o.CacheLayouts) && Pops.Equals(o.Pops);
        public override bool Equals(object? obj) => Equals(obj as OpcodeSpec);
        public override int GetHashCode() => (Path, Version, Opcodes).GetHashCode();
    }
}
