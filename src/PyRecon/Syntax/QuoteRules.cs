namespace PyRecon.Syntax;

/// <summary>
/// What a string literal may use where it is being written. Before 3.12 a replacement field of an
/// f-string cannot contain the enclosing quote (' or ", or the ''' / """ sequence of a triple-quoted one)
/// or any backslash; nested fields add their quotes to the list.
/// </summary>
internal readonly record struct QuoteRules(string[] Forbidden, bool NoBackslash)
{
    public static readonly QuoteRules Free = new([], false);

    /// <summary>Whether a literal may be delimited by <paramref name="quote"/> (', ", ''' or """).</summary>
    public bool Allows(string quote) => !ContainsForbidden(quote);

    /// <summary>Whether text may appear here: no enclosing quote, and no backslash when those are out.</summary>
    public bool Permits(string text) => !(NoBackslash && text.Contains('\\')) && !ContainsForbidden(text);

    // A loop, not Any(text.Contains): that made a delegate for every literal written.
    private bool ContainsForbidden(string text)
    {
        foreach (var quote in Forbidden)
            if (text.Contains(quote, StringComparison.Ordinal)) return true;
        return false;
    }

    public QuoteRules InsideField(string enclosingQuote) => new([.. Forbidden, enclosingQuote], true);
}
