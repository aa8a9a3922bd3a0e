using System.Collections.Immutable;
using System.Globalization;
using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>Checks the generated factories run, and the list equality nodes use.</summary>
public static class SyntaxFacts
{
    /// <summary>Python's hard keywords (3.8-3.14); never valid as a name.</summary>
    public static IReadOnlySet<string> Keywords => s_keywords;

    // The concrete set, for the identifier test run on every name made (no interface call).
    private static readonly HashSet<string> s_keywords = new(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    };

    // XID_Start/XID_Continue differ from the plain category rule on a few code points (same in 3.8-3.14's
    // Unicode databases). U+200C, U+200D, U+30FB and U+FF65 continue identifiers only from 3.13, so they are
    // refused: a name must be valid for every target.
    private static readonly HashSet<int> NotStart = [0x37A, 0xE33, 0xEB3, 0x2E2F, 0xFC5E, 0xFC5F, 0xFC60, 0xFC61, 0xFC62, 0xFC63,
        0xFDFA, 0xFDFB, 0xFE70, 0xFE72, 0xFE74, 0xFE76, 0xFE78, 0xFE7A, 0xFE7C, 0xFE7E, 0xFF9E, 0xFF9F];
    private static readonly HashSet<int> ExtraStart = [0x1885, 0x1886, 0x2118, 0x212E];
    private static readonly HashSet<int> NotContinue = [0x37A, 0x2E2F, 0xFC5E, 0xFC5F, 0xFC60, 0xFC61, 0xFC62, 0xFC63,
        0xFDFA, 0xFDFB, 0xFE70, 0xFE72, 0xFE74, 0xFE76, 0xFE78, 0xFE7A, 0xFE7C, 0xFE7E];
    private static readonly HashSet<int> ExtraContinue = [0xB7, 0x387, 0x1369, 0x136A, 0x136B, 0x136C, 0x136D, 0x136E, 0x136F,
        0x1370, 0x1371, 0x19DA, 0x2118, 0x212E, 0x1885, 0x1886];

    /// <summary>Python's str.isidentifier() (XID_Start XID_Continue*), and not a keyword. NFKC normalization,
    /// which the parser applies to names, is not checked.</summary>
    public static bool IsIdentifier(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        // Every keyword is an ASCII name: text of another shape is never one.
        if (IsAsciiIdentifierShape(text)) return text.Length < s_shortestKeyword || text.Length > s_longestKeyword || !s_keywords.Contains(text);
        for (int i = 0; i < text.Length; i++)
        {
            bool pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            int cp = pair ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
            bool first = i == 0;
            if (pair) i++;
            if (!(first ? IsStart(cp) : IsContinue(cp))) return false;
        }
        return true;
    }

    /// <summary>A name of ASCII letters, digits and underscores not starting with a digit: nearly every name, checked
    /// without the Unicode tables.</summary>
    private static bool IsAsciiIdentifierShape(string text) => !char.IsAsciiDigit(text[0]) && !text.AsSpan().ContainsAnyExcept(s_asciiNameChars);

    private static readonly System.Buffers.SearchValues<char> s_asciiNameChars =
        System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");

    // Names outside the keywords' lengths (2-8) skip the set's hashing.
    private static readonly int s_shortestKeyword = s_keywords.Min(k => k.Length), s_longestKeyword = s_keywords.Max(k => k.Length);

    private static bool IsStart(int cp)
    {
        // ASCII first: nearly every name is ASCII, and the Unicode tables cost far more.
        if (cp < 0x80) return cp == '_' || char.IsAsciiLetter((char)cp);
        if (ExtraStart.Contains(cp)) return true;
        if (NotStart.Contains(cp) || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        return CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.LetterNumber;
    }

    private static bool IsContinue(int cp)
    {
        if (cp < 0x80) return cp == '_' || char.IsAsciiLetterOrDigit((char)cp);
        if (ExtraContinue.Contains(cp)) return true;
        if (NotContinue.Contains(cp) || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        if (IsStart(cp) || cp is 0xE33 or 0xEB3 or 0xFF9E or 0xFF9F) return true;
        return CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation;
    }

    public static void RequireNotNull<T>(T? value, string field) where T : class
    {
        if (value is null) throw new ArgumentNullException(field, $"{field} is required");
    }

    public static void RequireIdentifier(string? value, string field)
    {
        RequireNotNull(value, field);
        if (!IsIdentifier(value)) throw new ArgumentException($"{field}: '{value}' is not a Python identifier", field);
    }

    /// <summary>A module path (<c>a.b.c</c>), or <c>*</c> for <c>from m import *</c>.</summary>
    public static void RequireDottedName(string? value, string field)
    {
        RequireNotNull(value, field);
        if (value == "*" && field == "alias.name") return;
        if (!value!.Split('.').All(IsIdentifier)) throw new ArgumentException($"{field}: '{value}' is not a dotted Python name", field);
    }

    public static void RequireDefined<T>(T value, string field) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw new ArgumentOutOfRangeException(field, value, $"{field}: not a {typeof(T).Name}");
    }

    /// <summary>Values a Constant can hold: what ast.literal_eval can produce without lists, sets or dicts.</summary>
    public static bool IsConstantValue(PyObject? value) => value switch
    {
        PyNone or PyEllipsis or PyBool or PyInt or PyFloat or PyComplex or PyStr or PyBytes => true,
        PyTuple t => t.Items.All(IsConstantValue),
        PyFrozenSet s => s.Items.All(IsConstantValue),
        _ => false,
    };

    public static void RequireConstant(PyObject? value, string field)
    {
        RequireNotNull(value, field);
        if (field == "MatchSingleton.value" ? value is not (PyNone or PyBool) : !IsConstantValue(value))
            throw new ArgumentException($"{field}: a {value!.TypeName} cannot be a constant here", field);
    }

    public static ImmutableArray<T> CheckList<T>(ImmutableArray<T> list, string field) where T : class
    {
        if (list.IsDefault) return ImmutableArray<T>.Empty;
        for (int i = 0; i < list.Length; i++)
            if (list[i] is null) throw new ArgumentException($"{field}[{i}] is null", field);
        return list;
    }

    public static ImmutableArray<T> CheckEnumList<T>(ImmutableArray<T> list, string field) where T : struct, Enum
    {
        if (list.IsDefault) return ImmutableArray<T>.Empty;
        foreach (var item in list) RequireDefined(item, field);
        return list;
    }

    public static ImmutableArray<string> CheckIdentifierList(ImmutableArray<string> list, string field)
    {
        list = CheckList(list, field);
        foreach (var name in list) RequireIdentifier(name, field);
        return list;
    }

    /// <summary>Lists whose items may be missing (Dict.keys, arguments.kw_defaults): only default → empty.</summary>
    public static ImmutableArray<T> NormalizeList<T>(ImmutableArray<T> list) => list.IsDefault ? ImmutableArray<T>.Empty : list;

    public static bool ListEquals<T>(ImmutableArray<T> a, ImmutableArray<T> b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
            if (!EqualityComparer<T>.Default.Equals(a[i], b[i])) return false;
        return true;
    }

    public static int ListHash<T>(ImmutableArray<T> list)
    {
        var hash = new HashCode();
        foreach (var item in list) hash.Add(item);
        return hash.ToHashCode();
    }
}
