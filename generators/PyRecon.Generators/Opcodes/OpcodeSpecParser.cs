using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace PyRecon.Generators.Opcodes
{
    /// <summary>
    /// Parses spec/opcodes/3.X.spec (format: the header comment of each spec file and
    /// tools/opcodes/extract_opcodes.py). Never throws: every problem becomes a diagnostic on its line.
    /// </summary>
    internal static class OpcodeSpecParser
    {
        public const string MalformedId = "PYOP001";
        public const string MissingHandlerId = "PYOP002";
        public const string UnknownBaseId = "PYOP003";

        /// <summary>Spec arg kind -> the C# <c>PyRecon.Bytecode.ArgKind</c> member.</summary>
        public static readonly IReadOnlyDictionary<string, string> ArgKinds = new Dictionary<string, string>
        {
            ["-"] = "None", ["int"] = "Int", ["const"] = "Const", ["name"] = "Name",
            ["name_global"] = "GlobalName", ["name_attr"] = "AttrName", ["name_super"] = "SuperAttrName",
            ["local"] = "Local", ["local_pair"] = "LocalPair", ["free_cf"] = "Free", ["free_lp"] = "FreeLocalsPlus",
            ["jrel"] = "JumpForward", ["jback"] = "JumpBackward", ["jabs"] = "JumpAbsolute",
            ["compare"] = "Compare", ["binop"] = "BinaryOp", ["intrinsic1"] = "Intrinsic1", ["intrinsic2"] = "Intrinsic2",
            ["invert"] = "Invert", ["format"] = "FormatValue", ["conversion"] = "Conversion",
            ["make_function"] = "MakeFunction", ["fn_attr"] = "FunctionAttribute", ["small_int"] = "SmallInt",
            ["common_const"] = "CommonConstant", ["special"] = "SpecialMethod", ["resume"] = "Resume", ["unpack_ex"] = "UnpackEx",
            ["interpolation"] = "Interpolation",
        };

        private static readonly string[] Directives = { "version", "jump_unit", "compare_shift", "compare_bool_mask", "generator_entry_depth" };

        public static OpcodeSpec Parse(string path, string text)
        {
            var diagnostics = new List<SpecDiagnostic>();
            var opcodes = new List<OpcodeLine>();
            var tables = new List<SpecTable>();
            var directives = new Dictionary<string, int>();
            string version = "";
            var lines = SplitLines(text);
            var byName = new Dictionary<string, int>();
            var byNumber = new Dictionary<int, string>();
            var caches = new List<(string Op, string Fields, int Units, int Line)>();
            var pops = new List<(string Op, string Text, string Cs, int Line)>();

            for (int i = 0; i < lines.Count; i++)
            {
                var (start, raw) = lines[i];
                void Error(string id, string message) => diagnostics.Add(new SpecDiagnostic(id, message, path, i, start, raw.Length));
                string line = raw.Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                if (line.StartsWith(".table ", StringComparison.Ordinal))
                {
                    var rest = line.Substring(7).Trim();
                    int space = rest.IndexOf(' ');
                    string name = space < 0 ? rest : rest.Substring(0, space);
                    var items = ParseQuoted(space < 0 ? "" : rest.Substring(space + 1), out var problem);
                    if (problem != null) Error(MalformedId, $"malformed .table {name}: {problem}");
                    else tables.Add(new SpecTable(name, new ValueArray<string>(items)));
                    continue;
                }
                if (line.StartsWith(".cache ", StringComparison.Ordinal))
                {
                    var parts = StripComment(line).Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                    var fields = new List<string>();
                    int units = 0;
                    bool ok = parts.Length >= 3 && IsIdentifier(parts[1]);
                    for (int f = 2; ok && f < parts.Length; f++)
                    {
                        var kv = parts[f].Split(':');
                        ok = kv.Length == 2 && IsIdentifier(kv[0]) && int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out int size) && size > 0;
                        if (ok) { fields.Add(kv[0] + ":" + kv[1]); units += int.Parse(kv[1], CultureInfo.InvariantCulture); }
                    }
                    if (!ok) Error(MalformedId, $"malformed .cache line: expected .cache OPNAME field:units ...");
                    else caches.Add((parts[1], string.Join(" ", fields), units, i));
                    continue;
                }
                if (line.StartsWith(".pops ", StringComparison.Ordinal))
                {
                    var parts = StripComment(line).Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                    string? popsError = null;
                    string? cs = parts.Length == 3 && IsIdentifier(parts[1]) ? FormulaCompiler.TryCompile(parts[2], out popsError) : null;
                    if (cs == null) Error(MalformedId, $"malformed .pops line: expected .pops OPNAME FORMULA (a formula of oparg without spaces){(popsError != null ? ": " + popsError : "")}");
                    else pops.Add((parts[1], parts[2], cs, i));
                    continue;
                }
                if (line[0] == '.')
                {
                    var parts = StripComment(line).Substring(1).Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length != 2 || Array.IndexOf(Directives, parts[0]) < 0)
                    {
                        Error(MalformedId, $"unknown or malformed directive '{line}' (expected one of .{string.Join(" .", Directives)} with one value, or .table)");
                        continue;
                    }
                    if (parts[0] == "version") version = parts[1];
                    else if (int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int value)) directives[parts[0]] = value;
                    else Error(MalformedId, $".{parts[0]} needs an integer, got '{parts[1]}'");
                    continue;
                }
                var cols = StripComment(line).Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (cols.Length != 7)
                {
                    Error(MalformedId, $"malformed opcode line: expected 7 columns (name num cache arg stack handler base), got {cols.Length}");
                    continue;
                }
                string opName = cols[0];
                if (!IsIdentifier(opName)) { Error(MalformedId, $"malformed opcode name '{opName}'"); continue; }
                if (!int.TryParse(cols[1], NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number > 511)
                { Error(MalformedId, $"{opName}: opcode number '{cols[1]}' is not an integer 0..511"); continue; }
                if (!int.TryParse(cols[2], NumberStyles.None, CultureInfo.InvariantCulture, out int cache) || cache > 64)
                { Error(MalformedId, $"{opName}: cache entry count '{cols[2]}' is not an integer 0..64"); continue; }
                if (!ArgKinds.TryGetValue(cols[3], out var argKind))
                { Error(MalformedId, $"{opName}: unknown argument kind '{cols[3]}' (known: {string.Join(" ", ArgKinds.Keys)})"); continue; }
                string? fallCs = null, jumpCs = null;
                string stack = cols[4];
                if (stack != "-")
                {
                    string fall = stack, jump = stack;
                    if (stack.StartsWith("jump=", StringComparison.Ordinal))
                    {
                        int semi = stack.IndexOf(";fall=", StringComparison.Ordinal);
                        if (semi < 0) { Error(MalformedId, $"{opName}: stack effect '{stack}' should be F or jump=J;fall=F"); continue; }
                        jump = stack.Substring(5, semi - 5);
                        fall = stack.Substring(semi + 6);
                    }
                    fallCs = FormulaCompiler.TryCompile(fall, out var fallError);
                    jumpCs = FormulaCompiler.TryCompile(jump, out var jumpError);
                    if (fallCs == null || jumpCs == null)
                    { Error(MalformedId, $"{opName}: bad stack effect formula '{stack}': {fallError ?? jumpError}"); continue; }
                }
                string handler = cols[5];
                string? baseName = cols[6] == "-" ? null : cols[6];
                if (byName.ContainsKey(opName)) { Error(MalformedId, $"opcode {opName} is listed twice"); continue; }
                if (byNumber.TryGetValue(number, out var other)) { Error(MalformedId, $"opcode number {number} of {opName} is already {other}'s"); continue; }
                byName[opName] = i;  // known from here on, so a family member of an opcode without a handler gets no second error
                byNumber[number] = opName;
                if (handler == "?" || (handler == "-" && baseName == null))
                {
                    Error(MissingHandlerId, $"opcode {opName} has no handler: name the evaluator handler in the handler column");
                    continue;
                }
                if (handler != "-" && !IsIdentifier(handler)) { Error(MalformedId, $"{opName}: handler '{handler}' is not an identifier"); continue; }
                opcodes.Add(new OpcodeLine(opName, number, cache, argKind, stack, fallCs, jumpCs, handler, baseName, i));
            }
            var layouts = new Dictionary<string, string>();
            foreach (var (op, fields, units, line) in caches)
            {
                var (start, raw) = lines[line];
                var target = opcodes.FirstOrDefault(o => o.Name == op);
                if (target == null)
                    diagnostics.Add(new SpecDiagnostic(MalformedId, $".cache {op}: not an opcode of this spec", path, line, start, raw.Length));
                else if (target.Cache != units)
                    diagnostics.Add(new SpecDiagnostic(MalformedId, $".cache {op}: fields add up to {units} units, the opcode has {target.Cache}", path, line, start, raw.Length));
                else layouts[op] = fields;
            }
            var popFormulas = new List<SpecFormula>();
            foreach (var (op, formula, cs, line) in pops)
            {
                var (start, raw) = lines[line];
                var target = opcodes.FirstOrDefault(o => o.Name == op);
                if (target == null || target.BaseName != null)
                    diagnostics.Add(new SpecDiagnostic(MalformedId, $".pops {op}: not a base opcode of this spec", path, line, start, raw.Length));
                else if (popFormulas.Any(f => f.Name == op))
                    diagnostics.Add(new SpecDiagnostic(MalformedId, $".pops {op} is given twice", path, line, start, raw.Length));
                else popFormulas.Add(new SpecFormula(op, formula, cs));
            }
            foreach (var op in opcodes)
            {
                if (op.BaseName != null && !byName.ContainsKey(op.BaseName))
                {
                    var (start, raw) = lines[op.Line];
                    diagnostics.Add(new SpecDiagnostic(UnknownBaseId, $"opcode {op.Name}: base {op.BaseName} is not an opcode of this spec", path, op.Line, start, raw.Length));
                }
            }
            if (version.Length == 0)
                diagnostics.Add(new SpecDiagnostic(MalformedId, "spec has no .version directive", path, 0, 0, lines.Count > 0 ? lines[0].Text.Length : 0));
            directives.TryGetValue("jump_unit", out int jumpUnit);
            directives.TryGetValue("compare_shift", out int compareShift);
            directives.TryGetValue("compare_bool_mask", out int compareBoolMask);
            directives.TryGetValue("generator_entry_depth", out int generatorEntryDepth);
            string fileName = "spec/opcodes/" + System.IO.Path.GetFileName(path);
            return new OpcodeSpec(path, fileName, version, jumpUnit == 0 ? 2 : jumpUnit, compareShift, compareBoolMask, generatorEntryDepth,
                new ValueArray<SpecTable>(tables), new ValueArray<OpcodeLine>(opcodes), new ValueArray<SpecDiagnostic>(diagnostics),
                new ValueArray<SpecTable>(layouts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new SpecTable(kv.Key, new ValueArray<string>(kv.Value.Split(' '))))),
                new ValueArray<SpecFormula>(popFormulas));
        }

        private static string StripComment(string line)
        {
            int hash = line.IndexOf('#');
            return hash < 0 ? line : line.Substring(0, hash).TrimEnd();
        }

        private static bool IsIdentifier(string s) =>
            s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');

        private static List<string> ParseQuoted(string text, out string? problem)
        {
            var items = new List<string>();
            problem = null;
            int i = 0;
            while (i < text.Length)
            {
                if (char.IsWhiteSpace(text[i])) { i++; continue; }
                if (text[i] != '"') { problem = "items must be double-quoted"; return items; }
                int end = text.IndexOf('"', i + 1);
                if (end < 0) { problem = "unterminated quote"; return items; }
                items.Add(text.Substring(i + 1, end - i - 1));
                i = end + 1;
            }
            return items;
        }

        /// <summary>Lines with the character offset at which each starts (line breaks excluded).</summary>
        private static List<(int Start, string Text)> SplitLines(string text)
        {
            var result = new List<(int, string)>();
            int start = 0;
            for (int i = 0; i <= text.Length; i++)
            {
                if (i == text.Length || text[i] == '\n')
                {
                    int end = i > start && text[i - 1] == '\r' ? i - 1 : i;
                    if (i < text.Length || start < text.Length) result.Add((start, text.Substring(start, end - start)));
                    start = i + 1;
                }
            }
            return result;
        }
    }

    /// <summary>
    /// Compiles a stack-effect formula (a Python expression over integers and <c>oparg</c>, with Python's
    /// precedence: comparisons &lt; | &lt; &amp; &lt; shifts &lt; + - &lt; * &lt; unary -) into a fully
    /// parenthesised C# int expression. Comparisons yield 0/1 as Python's bools do in arithmetic.
    /// </summary>
    public static class FormulaCompiler
    {
        public static string? TryCompile(string formula, out string? error)
        {
            try
            {
                var p = new Parser(formula);
                string result = p.ParseComparison();
                if (p.Pos != formula.Length) throw new FormatException($"unexpected '{formula.Substring(p.Pos)}'");
                error = null;
                return result;
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }

        private sealed class Parser
        {
            private readonly string _s;
            public int Pos;
            public Parser(string s) { _s = s; }

            private string? PeekOp(params string[] ops)
            {
                foreach (var op in ops.OrderByDescending(o => o.Length))
                    if (string.CompareOrdinal(_s, Pos, op, 0, op.Length) == 0) return op;
                return null;
            }

            public string ParseComparison()
            {
                string left = ParseOr();
                string? op = PeekOp("==", "!=", "<=", ">=", "<", ">");
                if (op == null || PeekOp("<<", ">>") != null) return left;
                Pos += op.Length;
                string right = ParseOr();
                var next = PeekOp("==", "!=", "<=", ">=", "<", ">");
                if (next != null && PeekOp("<<", ">>") == null) throw new FormatException("chained comparisons are not allowed");
                return $"(({left} {op} {right}) ? 1 : 0)";
            }

            private string ParseOr()
            {
                string left = ParseAnd();
                while (PeekOp("|") != null) { Pos++; left = $"({left} | {ParseAnd()})"; }
                return left;
            }

            private string ParseAnd()
            {
                string left = ParseShift();
                while (PeekOp("&") != null) { Pos++; left = $"({left} & {ParseShift()})"; }
                return left;
            }

            private string ParseShift()
            {
                string left = ParseSum();
                string? op;
                while ((op = PeekOp("<<", ">>")) != null) { Pos += 2; left = $"({left} {op} {ParseSum()})"; }
                return left;
            }

            private string ParseSum()
            {
                string left = ParseProduct();
                while (Pos < _s.Length && (_s[Pos] == '+' || _s[Pos] == '-'))
                {
                    char op = _s[Pos++];
                    left = $"({left} {op} {ParseProduct()})";
                }
                return left;
            }

            private string ParseProduct()
            {
                string left = ParseUnary();
                while (Pos < _s.Length && _s[Pos] == '*') { Pos++; left = $"({left} * {ParseUnary()})"; }
                return left;
            }

            private string ParseUnary()
            {
                if (Pos < _s.Length && _s[Pos] == '-') { Pos++; return $"(-{ParseUnary()})"; }
                return ParseAtom();
            }

            private string ParseAtom()
            {
                if (Pos >= _s.Length) throw new FormatException("formula ends early");
                char c = _s[Pos];
                if (c == '(')
                {
                    Pos++;
                    string inner = ParseComparison();
                    if (Pos >= _s.Length || _s[Pos] != ')') throw new FormatException("missing ')'");
                    Pos++;
                    return inner;
                }
                if (char.IsDigit(c))
                {
                    int start = Pos;
                    while (Pos < _s.Length && char.IsDigit(_s[Pos])) Pos++;
                    string digits = _s.Substring(start, Pos - start);
                    if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out _)) throw new FormatException($"number {digits} too large");
                    return digits;
                }
                if (string.CompareOrdinal(_s, Pos, "oparg", 0, 5) == 0 && (Pos + 5 == _s.Length || !char.IsLetterOrDigit(_s[Pos + 5]) && _s[Pos + 5] != '_'))
                {
                    Pos += 5;
                    return "oparg";
                }
                throw new FormatException($"unexpected '{_s.Substring(Pos)}' (only integers, oparg, + - * & | << >> comparisons and parentheses)");
            }
        }
    }
}
