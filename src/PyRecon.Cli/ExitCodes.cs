namespace PyRecon.Cli;

/// <summary>
/// The process exit codes of every <c>pyrecon</c> command (also listed by <c>--help</c> and in README). When
/// several apply, the first in this order wins: <see cref="Internal"/>, <see cref="Unreadable"/>,
/// <see cref="NoInterpreter"/>, <see cref="Partial"/>; <see cref="Usage"/> stops before any input is read.
/// </summary>
public static class ExitCodes
{
    /// <summary>Everything done: every input read, every code object decompiled (verify: every file round-trips).</summary>
    public const int Ok = 0;
    /// <summary>Some input could not be read at all (missing, not Python bytecode, corrupt, unknown magic); the rest was done.</summary>
    public const int Unreadable = 1;
    /// <summary>Bad usage: unknown option, missing or malformed value; nothing was read.</summary>
    public const int Usage = 2;
    /// <summary>Partial output: some code objects are marked as failed (verify: some file does not round-trip).</summary>
    public const int Partial = 3;
    /// <summary>verify only: no CPython of a file's version was found to recompile with.</summary>
    public const int NoInterpreter = 4;
    /// <summary>A bug in pyrecon (an unexpected exception); the message asks for a report.</summary>
    public const int Internal = 5;

    /// <summary>The text <c>--help</c> shows under each command.</summary>
    public const string HelpText = """
        Exit codes:
          0  everything done: every input read, every code object decompiled (verify: every file round-trips)
          1  some input could not be read at all (missing, not Python bytecode, corrupt, unknown magic)
          2  bad usage (unknown option, missing or malformed value); nothing was read
          3  partial: some code objects are marked as failed (verify: some file does not round-trip)
          4  verify: no CPython of a file's version was found
          5  internal error (a bug in pyrecon: please report it)
          When several apply: 5, then 1, then 4, then 3.
        """;

    /// <summary>Combines the outcomes of several inputs into one exit code by the documented order.</summary>
    public static int Combine(IEnumerable<int> codes)
    {
        bool internalError = false, unreadable = false, noInterpreter = false, partial = false;
        foreach (int c in codes)
        {
            switch (c)
            {
                case Internal: internalError = true; break;
                case Unreadable: unreadable = true; break;
                case NoInterpreter: noInterpreter = true; break;
                case Partial: partial = true; break;
            }
        }
        return internalError ? Internal : unreadable ? Unreadable : noInterpreter ? NoInterpreter : partial ? Partial : Ok;
    }
}
