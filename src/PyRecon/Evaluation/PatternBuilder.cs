using System.Collections.Immutable;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Evaluation;

internal enum PatternKind { Open, Value, Singleton, Sequence, Mapping, Class, Or }

/// <summary>
/// One pattern of a case while its ops are read: what the ops established about the value it matches. It starts
/// open; the first test made on the value decides its kind (MATCH_SEQUENCE, == constant, MATCH_CLASS, ...); a value
/// that is only stored is a capture, one that is only popped (or never taken out of its container) a wildcard.
/// </summary>
internal sealed class PatternBuilder
{
    public PatternKind Kind { get; private set; }
    /// <summary>Nothing has been made of the value yet (a COPY of it starts an as-pattern or an or-pattern).</summary>
    public bool IsOpen => Kind == PatternKind.Open && Inner is null && Capture is null && !Discarded;
    /// <summary>The name the value is stored to once the case matched (capture, as-pattern, starred item).</summary>
    public string? Capture { get; set; }
    public bool Discarded { get; set; }
    /// <summary>`p as name`: the pattern matched on a copy of the value.</summary>
    public PatternBuilder? Inner { get; set; }
    /// <summary>The starred item of an unpacked sequence pattern.</summary>
    public bool IsStar { get; init; }

    public ExprNode? Value { get; set; }
    public PyObject? Singleton { get; set; }

    // Sequences: the length test, then the items, unpacked (UNPACK_SEQUENCE / UNPACK_EX) or taken by index.
    public int? ExactLength { get; set; }
    public int? MinLength { get; set; }
    public PatternBuilder[]? Items { get; set; }
    public int StarIndex { get; set; } = -1;
    private SortedDictionary<int, PatternBuilder>? _fromStart, _fromEnd;

    // Mappings and classes: one child per key / per positional then keyword attribute (null: never taken out).
    public ImmutableArray<ExprNode> Keys { get; set; } = [];
    public string? Rest { get; set; }
    public ExprNode? Cls { get; set; }
    public int PositionalCount { get; set; }
    public ImmutableArray<string> KeywordNames { get; set; } = [];
    public PatternBuilder?[]? Children { get; set; }

    public List<PatternBuilder>? Alternatives { get; set; }

    public void SetKind(PatternKind kind)
    {
        if (Kind != PatternKind.Open || Inner is not null || IsStar) throw new ArgumentException($"a {Kind} pattern value tested again as a {kind}");
        Kind = kind;
    }

    /// <summary>A sequence item taken by subscript (codegen's pattern_helper_sequence_subscr): index i, or len - k from the end.</summary>
    public PatternBuilder Element(int index, bool fromEnd)
    {
        var map = fromEnd ? _fromEnd ??= [] : _fromStart ??= [];
        if (map.ContainsKey(index)) throw new ArgumentException("a sequence item taken twice");
        var b = new PatternBuilder();
        map[index] = b;
        return b;
    }

    public PatternNode Build()
    {
        if (IsStar)
        {
            if (Kind != PatternKind.Open || Inner is not null) throw new ArgumentException("a starred item with a pattern");
            return S.MatchStar(Capture);
        }
        if (Inner is not null && Kind != PatternKind.Open) throw new ArgumentException("an as-pattern value tested directly");
        if (Inner is not null && Capture is null) throw new ArgumentException("an as-pattern copy whose value is not stored");
        PatternNode? core = Inner is not null ? Inner.Build() : Kind switch
        {
            PatternKind.Open => null,
            PatternKind.Value => S.MatchValue(ValueSpelling(Value!)),
            PatternKind.Singleton => S.MatchSingleton(Singleton!),
            PatternKind.Sequence => BuildSequence(),
            PatternKind.Mapping => BuildMapping(),
            PatternKind.Class => BuildClass(),
            PatternKind.Or => S.MatchOr([.. Alternatives!.Select(a => a.Build())]),
            _ => throw new ArgumentException("unknown pattern kind"),
        };
        if (Capture is not null) return S.MatchAs(core, Capture);
        return core ?? S.MatchAs(null, null);
    }

    private static PatternNode Wildcard => S.MatchAs(null, null);

    /// <summary>
    /// A complex value pattern is written `re + imj` (folded to one constant by the compiler): the only form a pattern
    /// allows besides a bare imaginary number. The real part prints as an int when it is one.
    /// </summary>
    private static ExprNode ValueSpelling(ExprNode value)
    {
        if (value is not Constant { Value: PyComplex c } || c.Real == 0 || c.Imag == 0 || !double.IsFinite(c.Real) || !double.IsFinite(c.Imag))
            return value;
        PyObject real = Math.Abs(c.Real) < 1e15 && c.Real == Math.Floor(c.Real) ? new PyInt(new System.Numerics.BigInteger(c.Real)) : new PyFloat(c.Real);
        var imag = S.Constant(new PyComplex(0, Math.Abs(c.Imag)));
        return S.BinOp(S.Constant(real), double.IsNegative(c.Imag) ? Operator.Sub : Operator.Add, imag);
    }

    private PatternNode BuildSequence()
    {
        if (Items is not null)
        {
            int n = Items.Length;
            bool lengthOk = StarIndex < 0 ? ExactLength == n && MinLength is null
                : ExactLength is null && (MinLength == n - 1 || n == 1 && MinLength is null);
            if (!lengthOk) throw new ArgumentException("a sequence pattern's length test does not fit its items");
            return S.MatchSequence([.. Items.Select(i => i.Build())]);
        }
        if (_fromStart is not null || _fromEnd is not null)
        {
            // [a, *_, b]: a starred wildcard, the other items by index; `_` items are never taken.
            if (MinLength is not int min || ExactLength is not null) throw new ArgumentException("an indexed sequence pattern without its length test");
            int size = min + 1;
            int star = _fromStart is { Count: > 0 } fs ? fs.Keys.Max() + 1 : 0;
            var items = new PatternNode[size];
            for (int k = 0; k < size; k++) items[k] = k == star ? S.MatchStar(null) : Wildcard;
            foreach (var (index, b) in _fromStart ?? [])
                if (index >= star) throw new ArgumentException("a sequence item index past the star"); else items[index] = b.Build();
            foreach (var (fromEnd, b) in _fromEnd ?? [])
            {
                int index = size - fromEnd;
                if (index <= star || index >= size) throw new ArgumentException("a sequence item from the end before the star");
                items[index] = b.Build();
            }
            return S.MatchSequence([.. items]);
        }
        // Only wildcards: [] / [_, _] (len ==), [_, *_] (len >=), [*_] (no test).
        if (ExactLength is int exact && MinLength is null) return S.MatchSequence([.. Enumerable.Repeat(Wildcard, exact)]);
        if (MinLength is int least && ExactLength is null) return S.MatchSequence([.. Enumerable.Repeat(Wildcard, least), S.MatchStar(null)]);
        if (ExactLength is null && MinLength is null) return S.MatchSequence([S.MatchStar(null)]);
        throw new ArgumentException("a sequence pattern with two length tests");
    }

    private PatternNode BuildMapping()
    {
        var children = Children ?? [];
        if (children.Length != Keys.Length) throw new ArgumentException("a mapping pattern's values do not fit its keys");
        if (Keys.Length > 0 ? MinLength != Keys.Length || ExactLength is not null : MinLength is not null || ExactLength is not null)
            throw new ArgumentException("a mapping pattern's length test does not fit its keys");
        return S.MatchMapping(Keys, [.. children.Select(c => c?.Build() ?? Wildcard)], Rest);
    }

    private PatternNode BuildClass()
    {
        var children = Children!;
        var args = children.Take(PositionalCount).Select(c => c?.Build() ?? Wildcard);
        var keywords = children.Skip(PositionalCount).Select(c => c?.Build() ?? Wildcard);
        return S.MatchClass(Cls!, [.. args], KeywordNames, [.. keywords]);
    }
}

/// <summary>A stack item that belongs to a pattern being read.</summary>
internal abstract class PatternValue : StackMarker;

/// <summary>A value matched against the pattern <see cref="Builder"/> describes.</summary>
internal sealed class PatternSubject(PatternBuilder builder) : PatternValue
{
    public PatternBuilder Builder { get; } = builder;
    public override string ToString() => $"pattern:{Builder.Kind}";
}

/// <summary>The outcome of a test (MATCH_SEQUENCE, a length or value comparison, ...): popped by the jump to the next case.</summary>
internal sealed class PatternTest(PatternBuilder owner, string what) : StackMarker
{
    public PatternBuilder Owner { get; } = owner;
    public string What { get; } = what;
    public override string ToString() => "test:" + What;
}

/// <summary>GET_LEN of a sequence or mapping subject.</summary>
internal sealed class PatternLength(PatternBuilder owner) : PatternValue
{
    public PatternBuilder Owner { get; } = owner;
}

/// <summary>len(subject) - k: the index of a sequence item counted from the end.</summary>
internal sealed class PatternLengthMinus(PatternBuilder owner, int minus) : PatternValue
{
    public PatternBuilder Owner { get; } = owner;
    public int Minus { get; } = minus;
}

internal enum PatternPartsKind { ClassAttributes, MappingKeys, MappingValues }

/// <summary>A tuple MATCH_CLASS / MATCH_KEYS produced (or None): its items are the sub-patterns' values.</summary>
internal sealed class PatternParts(PatternBuilder owner, PatternPartsKind kind) : PatternValue
{
    public PatternBuilder Owner { get; } = owner;
    public PatternPartsKind Kind { get; } = kind;
    public override string ToString() => "parts:" + Kind;
}

/// <summary>One key of a mapping pattern, unpacked to delete it from the `**rest` copy (3.11+).</summary>
internal sealed class PatternKey(PatternBuilder owner) : PatternValue
{
    public PatternBuilder Owner { get; } = owner;
}

/// <summary>The dict of a mapping's other items, stored to the `**rest` name.</summary>
internal sealed class PatternRest(PatternBuilder owner) : PatternValue
{
    public PatternBuilder Owner { get; } = owner;
    public override string ToString() => "pattern:rest";
}

/// <summary>After an or-pattern: the value each alternative captured for one name (stored once, for all).</summary>
internal sealed class PatternAlternatives(ImmutableArray<PatternValue> values) : PatternValue
{
    public ImmutableArray<PatternValue> Values { get; } = values;
    public override string ToString() => "pattern:or-capture";
}
