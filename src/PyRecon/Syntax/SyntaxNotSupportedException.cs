using PyRecon.Model;

namespace PyRecon.Syntax;

/// <summary>A tree the formatter cannot print for the target version (or at all, e.g. an empty block).</summary>
public sealed class SyntaxNotSupportedException(string message) : Exception(message)
{
    internal static void RequireVersion(PythonVersion target, PythonVersion since, string what)
    {
        if (target < since) throw new SyntaxNotSupportedException($"{what} needs Python {since}+; the target is {target}");
    }
}
