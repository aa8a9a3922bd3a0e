using System.Collections.Immutable;
using System.Globalization;
using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>Checks the generated factories run, and the list equality nodes use.</summary>
public static class SyntaxFacts
{
    /// <summary>Python's hard keywords (3.8-3.14); never valid as a name.</summary>
    public static readonly IReadOnlySet<string> Keywords = new HashSet<string>(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    };

    /// <summary>Python's str.isidentifier() (by Unicode category), and not a keyword.</summary>
    public static bool IsIdentifier(string? text)
    {
        if (string.IsNullOrEmpty(text) || Keywords.Contains(text)) return false;
        for (int i = 0; i < text.Length; i++)
        {
            bool pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            int cp = pair ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
            int at = i;
            if (pair) i++;
            var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
            bool start = cp == '_' || cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
                or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.LetterNumber;
            bool cont = start || cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation;
            if (at == 0 ? !start : !cont) return false;
        }
        return true;
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
