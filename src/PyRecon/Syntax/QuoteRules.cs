namespace PyRecon.Syntax;

/// <summary>
/// What a string literal may use where it is being written. Before 3.12 a replacement field of an
/// f-string cannot contain the enclosing quote character or any backslash; nested fields add their quotes.
/// </summary>
internal readonly record struct QuoteRules(string ForbiddenQuotes, bool NoBackslash)
{
    public static readonly QuoteRules Free = new("", false);

    public bool Allows(char quote) => !ForbiddenQuotes.Contains(quote);

    public QuoteRules InsideField(char enclosingQuote) => new(ForbiddenQuotes + enclosingQuote, true);
}
