using System.Text;

namespace PyRecon.Syntax;

/// <summary>
/// The formatter's output: text plus the line the cursor is on (newlines inside triple-quoted strings
/// count), the brackets open in the current statement (where Python allows a line break), and a comment
/// waiting for the end of the current physical line. The last line is left open so that a following
/// simple statement can be joined to it with <c>; </c>.
/// </summary>
internal sealed class SourceBuilder
{
    private readonly StringBuilder _text = new();
    private string? _trailingComment;

    /// <summary>The 1-based line the cursor is on.</summary>
    public int Line { get; private set; } = 1;

    /// <summary>Brackets opened and not closed since the statement began: a line break is allowed when &gt; 0.</summary>
    public int Depth { get; private set; }

    /// <summary>Whether the current line has text (no newline written after it yet).</summary>
    public bool LineOpen => _text.Length > 0 && _text[^1] != '\n';

    /// <summary>The indentation written after a line break inside brackets.</summary>
    public string ContinuationIndent { get; set; } = "    ";

    /// <summary>Set while writing an expression that can still be wrapped in parentheses: a break needed
    /// outside brackets then sets <see cref="ParenthesesWanted"/> instead of being skipped.</summary>
    public bool CanParenthesize { get; set; }

    /// <summary>Set when a node of the expression being written wanted a later line outside brackets: the
    /// statement writer writes it again inside parentheses (a flag, not an exception: this happens often).</summary>
    public bool ParenthesesWanted { get; set; }

    public void Append(string text)
    {
        _text.Append(text);
        Line += text.AsSpan().Count('\n');
    }

    public void Open(char bracket)
    {
        _text.Append(bracket);
        Depth++;
    }

    public void Close(char bracket)
    {
        _text.Append(bracket);
        Depth--;
    }

    /// <summary>Ends the current line (with its trailing comment, if any).</summary>
    public void NewLine()
    {
        if (_trailingComment is not null && LineOpen)
        {
            _text.Append("  # ").Append(_trailingComment);
            _trailingComment = null;
        }
        _text.Append('\n');
        Line++;
    }

    /// <summary>Ends the current line unless the cursor is already at the start of one.</summary>
    public void EndLine()
    {
        if (LineOpen) NewLine();
    }

    /// <summary>Blank lines (after ending the current line) until the cursor is on <paramref name="line"/>.</summary>
    public void PadTo(int line)
    {
        EndLine();
        while (Line < line) NewLine();
    }

    /// <summary>Comment text for the end of the current physical line.</summary>
    public void AddTrailingComment(string text) =>
        _trailingComment = _trailingComment is null ? text : _trailingComment + " # " + text;

    /// <summary>Inside brackets: continues on <paramref name="line"/> (trailing spaces dropped, blank lines as needed).</summary>
    public void BreakTo(int line)
    {
        int end = _text.Length;
        while (end > 0 && _text[end - 1] == ' ') end--;
        _text.Length = end;
        while (Line < line) NewLine();
        _text.Append(ContinuationIndent);
    }

    public readonly record struct Mark(int Length, int Line, int Depth, string? TrailingComment);

    public Mark Save() => new(_text.Length, Line, Depth, _trailingComment);

    public void Restore(Mark mark)
    {
        _text.Length = mark.Length;
        (Line, Depth, _trailingComment) = (mark.Line, mark.Depth, mark.TrailingComment);
    }

    public override string ToString() => _text.ToString();
}

