namespace PyRecon.Pyc;

/// <summary>
/// The one error the reader raises for bad input (truncated, corrupt, unknown magic, invalid reference,
/// too deep...). The message is a single line fit to show a user; <see cref="Offset"/> is where in the
/// data the problem was found, when known.
/// </summary>
public sealed class PycFormatException : Exception
{
    public PycFormatException(string message, long offset = -1) : base(offset >= 0 ? $"{message} (at byte {offset})" : message)
    {
        Offset = offset;
    }

    public long Offset { get; }
}
