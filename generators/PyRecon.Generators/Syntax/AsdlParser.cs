using System;
using System.Collections.Generic;

namespace PyRecon.Generators.Syntax
{
    /// <summary>
    /// Parses the ASDL subset the syntax spec uses:
    /// <code>
    /// module Name { definition* }
    /// definition  := type '=' constructor ('|' constructor)*  |  type '=' '(' fields ')'
    /// constructor := Name [ '(' fields ')' ]
    /// field       := type ['?' | '*' | '?*'] name
    /// </code>
    /// Comments run from <c>--</c> to the end of the line. Stops at the first error (with its line and column),
    /// and also checks that every field type is defined and no name is defined twice.
    /// </summary>
    internal sealed class AsdlParser
    {
        /// <summary>Builtin field types; everything else must be defined in the spec.</summary>
        public static readonly string[] BuiltinTypes = { "identifier", "dotted_name", "string", "constant", "int" };

        private readonly string _file;
        private readonly List<Token> _tokens = new List<Token>();
        private int _pos;

        private AsdlParser(string file) { _file = file; }

        private struct Token
        {
            public string Text; // identifier text, or the punctuation character; "" at end of input
            public int Line, Column;
            public bool IsName => Text.Length > 0 && (char.IsLetter(Text[0]) || Text[0] == '_');
        }

        private sealed class SpecError : Exception
        {
            public SpecError(int line, int column, string message) : base(message) { Line = line; Column = column; }
            public int Line { get; }
            public int Column { get; }
        }

        public static AsdlFile Parse(string path, string text)
        {
            var parser = new AsdlParser(path);
            var types = new List<AsdlType>();
            var errors = new List<AsdlError>();
            try
            {
                parser.Tokenize(text);
                parser.ParseModule(types);
                parser.Check(types);
            }
            catch (SpecError e)
            {
                errors.Add(new AsdlError(path, e.Line, e.Column, e.Message));
            }
            return new AsdlFile(path, new EquatableList<AsdlType>(types), new EquatableList<AsdlError>(errors));
        }

        private void Tokenize(string text)
        {
            int line = 1, col = 1, i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (c == '\n') { line++; col = 1; i++; continue; }
                if (char.IsWhiteSpace(c)) { i++; col++; continue; }
                if (c == '-' && i + 1 < text.Length && text[i + 1] == '-')
                {
                    while (i < text.Length && text[i] != '\n') i++;
                    continue;
                }
                if (char.IsLetter(c) || c == '_')
                {
                    int start = i;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                    _tokens.Add(new Token { Text = text.Substring(start, i - start), Line = line, Column = col });
                    col += i - start;
                    continue;
                }
                if ("{}()=|,?*".IndexOf(c) >= 0)
                {
                    _tokens.Add(new Token { Text = c.ToString(), Line = line, Column = col });
                    i++; col++;
                    continue;
                }
                throw new SpecError(line, col, $"unexpected character '{c}'");
            }
            _tokens.Add(new Token { Text = "", Line = line, Column = col });
        }

        private Token Peek => _tokens[_pos];

        private Token Next() => _tokens[_pos < _tokens.Count - 1 ? _pos++ : _pos];

        private Token Expect(string text)
        {
            var t = Next();
            if (t.Text != text) throw Unexpected(t, $"'{text}'");
            return t;
        }

        private Token ExpectName(string what)
        {
            var t = Next();
            if (!t.IsName) throw Unexpected(t, what);
            return t;
        }

        private static SpecError Unexpected(Token t, string expected) =>
            new SpecError(t.Line, t.Column, t.Text.Length == 0 ? $"expected {expected}, found end of file" : $"expected {expected}, found '{t.Text}'");

        private void ParseModule(List<AsdlType> types)
        {
            var kw = ExpectName("'module'");
            if (kw.Text != "module") throw Unexpected(kw, "'module'");
            ExpectName("a module name");
            Expect("{");
            while (Peek.Text != "}")
            {
                if (Peek.Text.Length == 0) throw Unexpected(Peek, "'}'");
                types.Add(ParseDefinition());
            }
            Expect("}");
            if (Peek.Text.Length != 0) throw Unexpected(Peek, "end of file");
        }

        private AsdlType ParseDefinition()
        {
            var name = ExpectName("a type name");
            if (!char.IsLower(name.Text[0])) throw new SpecError(name.Line, name.Column, $"type name '{name.Text}' must start with a lower-case letter");
            Expect("=");
            if (Peek.Text == "(")
            {
                var fields = ParseFields();
                var ctor = new AsdlConstructor(name.Text, fields, name.Line, name.Column);
                return new AsdlType(name.Text, true, new EquatableList<AsdlConstructor>(new[] { ctor }), _file, name.Line, name.Column);
            }
            var ctors = new List<AsdlConstructor> { ParseConstructor() };
            while (Peek.Text == "|")
            {
                Next();
                ctors.Add(ParseConstructor());
            }
            if (Peek.IsName && Peek.Text == "attributes")
                throw new SpecError(Peek.Line, Peek.Column, "'attributes' are not supported: PyRecon nodes carry no positions");
            return new AsdlType(name.Text, false, new EquatableList<AsdlConstructor>(ctors), _file, name.Line, name.Column);
        }

        private AsdlConstructor ParseConstructor()
        {
            var name = ExpectName("a constructor name");
            if (!char.IsUpper(name.Text[0])) throw new SpecError(name.Line, name.Column, $"constructor name '{name.Text}' must start with an upper-case letter");
            var fields = Peek.Text == "(" ? ParseFields() : EquatableList<AsdlField>.Empty;
            return new AsdlConstructor(name.Text, fields, name.Line, name.Column);
        }

        private EquatableList<AsdlField> ParseFields()
        {
            Expect("(");
            var fields = new List<AsdlField>();
            while (true)
            {
                var type = ExpectName("a field type");
                var arity = AsdlArity.One;
                if (Peek.Text == "?")
                {
                    Next();
                    arity = AsdlArity.Optional;
                    if (Peek.Text == "*") { Next(); arity = AsdlArity.OptionalItemList; }
                }
                else if (Peek.Text == "*")
                {
                    Next();
                    arity = AsdlArity.List;
                }
                var name = ExpectName("a field name");
                foreach (var f in fields)
                    if (f.Name == name.Text) throw new SpecError(name.Line, name.Column, $"field '{name.Text}' is defined twice");
                fields.Add(new AsdlField(type.Text, arity, name.Text, type.Line, type.Column));
                var sep = Next();
                if (sep.Text == ")") break;
                if (sep.Text != ",") throw Unexpected(sep, "',' or ')'");
            }
            return new EquatableList<AsdlField>(fields);
        }

        /// <summary>Names unique across the file; every field type builtin or defined.</summary>
        private void Check(List<AsdlType> types)
        {
            var typeNames = new HashSet<string>(BuiltinTypes);
            var ctorNames = new HashSet<string>();
            foreach (var t in types)
            {
                if (!typeNames.Add(t.Name)) throw new SpecError(t.Line, t.Column, $"type '{t.Name}' is defined twice");
                if (t.IsProduct) continue;
                foreach (var c in t.Constructors)
                    if (!ctorNames.Add(c.Name)) throw new SpecError(c.Line, c.Column, $"constructor '{c.Name}' is defined twice");
            }
            foreach (var t in types)
                foreach (var c in t.Constructors)
                    foreach (var f in c.Fields)
                    {
                        if (!typeNames.Contains(f.Type)) throw new SpecError(f.Line, f.Column, $"unknown type '{f.Type}' for field '{f.Name}' of {c.Name}");
                        var target = types.Find(x => x.Name == f.Type);
                        if (f.Arity == AsdlArity.OptionalItemList && target == null)
                            throw new SpecError(f.Line, f.Column, $"'{f.Type}?*' is not supported: only node lists may have missing items");
                    }
        }
    }
}
