using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace PyRecon.Generators.Syntax
{
    /// <summary>An immutable list compared by its items, so incremental-generator models cache by value.</summary>
    internal sealed class EquatableList<T> : IEquatable<EquatableList<T>>, IReadOnlyList<T>
    {
        private readonly T[] _items;
        public EquatableList(IEnumerable<T> items) { _items = items.ToArray(); }
        public static readonly EquatableList<T> Empty = new EquatableList<T>(Array.Empty<T>());
        public int Count => _items.Length;
        public T this[int index] => _items[index];
        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
        public bool Equals(EquatableList<T>? other) => other != null && _items.SequenceEqual(other._items);
        public override bool Equals(object? obj) => Equals(obj as EquatableList<T>);
        public override int GetHashCode()
        {
            int hash = 17;
            foreach (var item in _items) hash = hash * 31 + (item == null ? 0 : item.GetHashCode());
            return hash;
        }
    }

    /// <summary>How a field repeats: exactly one, optional (?), list (*), or list of optional items (?*).</summary>
    internal enum AsdlArity { One, Optional, List, OptionalItemList }

    /// <summary>One field of a constructor or product type: <c>expr? returns</c>.</summary>
    internal sealed class AsdlField : IEquatable<AsdlField>
    {
        public AsdlField(string type, AsdlArity arity, string name, int line, int column)
        { Type = type; Arity = arity; Name = name; Line = line; Column = column; }
        public string Type { get; }
        public AsdlArity Arity { get; }
        public string Name { get; }
        public int Line { get; }
        public int Column { get; }
        public bool Equals(AsdlField? o) => o != null && o.Type == Type && o.Arity == Arity && o.Name == Name && o.Line == Line && o.Column == Column;
        public override bool Equals(object? obj) => Equals(obj as AsdlField);
        public override int GetHashCode() => (Type, Arity, Name, Line, Column).GetHashCode();
    }

    /// <summary>A constructor of a sum type (<c>BinOp(expr left, operator op, expr right)</c>), or a product type's single shape.</summary>
    internal sealed class AsdlConstructor : IEquatable<AsdlConstructor>
    {
        public AsdlConstructor(string name, EquatableList<AsdlField> fields, int line, int column)
        { Name = name; Fields = fields; Line = line; Column = column; }
        public string Name { get; }
        public EquatableList<AsdlField> Fields { get; }
        public int Line { get; }
        public int Column { get; }
        public bool Equals(AsdlConstructor? o) => o != null && o.Name == Name && o.Fields.Equals(Fields) && o.Line == Line && o.Column == Column;
        public override bool Equals(object? obj) => Equals(obj as AsdlConstructor);
        public override int GetHashCode() => (Name, Fields, Line).GetHashCode();
    }

    /// <summary>
    /// One definition: a sum type (<c>expr = BinOp(...) | ...</c>) or a product type (<c>arg = (...)</c>,
    /// held as one constructor named like the type).
    /// </summary>
    internal sealed class AsdlType : IEquatable<AsdlType>
    {
        public AsdlType(string name, bool isProduct, EquatableList<AsdlConstructor> constructors, string file, int line, int column)
        { Name = name; IsProduct = isProduct; Constructors = constructors; File = file; Line = line; Column = column; }
        public string Name { get; }
        public bool IsProduct { get; }
        public EquatableList<AsdlConstructor> Constructors { get; }
        public string File { get; }
        public int Line { get; }
        public int Column { get; }
        /// <summary>A sum whose constructors have no fields (operators, expr_context) becomes a C# enum.</summary>
        public bool IsEnum => !IsProduct && Constructors.All(c => c.Fields.Count == 0);
        public bool Equals(AsdlType? o) => o != null && o.Name == Name && o.IsProduct == IsProduct && o.Constructors.Equals(Constructors) && o.File == File && o.Line == Line;
        public override bool Equals(object? obj) => Equals(obj as AsdlType);
        public override int GetHashCode() => (Name, IsProduct, Constructors, File, Line).GetHashCode();
    }

    /// <summary>A problem in a spec file, with where it is (1-based line and column).</summary>
    internal sealed class AsdlError : IEquatable<AsdlError>
    {
        public AsdlError(string file, int line, int column, string message)
        { File = file; Line = line; Column = column; Message = message; }
        public string File { get; }
        public int Line { get; }
        public int Column { get; }
        public string Message { get; }
        public bool Equals(AsdlError? o) => o != null && o.File == File && o.Line == Line && o.Column == Column && o.Message == Message;
        public override bool Equals(object? obj) => Equals(obj as AsdlError);
        public override int GetHashCode() => (File, Line, Column, Message).GetHashCode();
    }

    /// <summary>What one .asdl file parsed to: its definitions and its errors.</summary>
    internal sealed class AsdlFile : IEquatable<AsdlFile>
    {
        public AsdlFile(string path, EquatableList<AsdlType> types, EquatableList<AsdlError> errors)
        { Path = path; Types = types; Errors = errors; }
        public string Path { get; }
        public EquatableList<AsdlType> Types { get; }
        public EquatableList<AsdlError> Errors { get; }
        public bool Equals(AsdlFile? o) => o != null && o.Path == Path && o.Types.Equals(Types) && o.Errors.Equals(Errors);
        public override bool Equals(object? obj) => Equals(obj as AsdlFile);
        public override int GetHashCode() => (Path, Types, Errors).GetHashCode();
    }
}
