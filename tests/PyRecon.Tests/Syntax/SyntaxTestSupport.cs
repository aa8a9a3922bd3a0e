using System.Text;
using PyRecon.Model;
using PyRecon.Syntax;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Syntax;

/// <summary>Settings of the syntax property tests, from the environment.</summary>
internal static class SyntaxTestSettings
{
    /// <summary>PYRECON_SYNTAX_CASES: random trees per Python version (default 300).</summary>
    public static int Cases => int.TryParse(Environment.GetEnvironmentVariable("PYRECON_SYNTAX_CASES"), out var n) && n > 0 ? n : 300;

    /// <summary>PYRECON_SYNTAX_SEED: the seed of the first case (case i uses seed + i); random when unset.</summary>
    public static int FirstSeed => int.TryParse(Environment.GetEnvironmentVariable("PYRECON_SYNTAX_SEED"), out var s) ? s : Random.Shared.Next(0, int.MaxValue / 2);

    /// <summary>A case is determined by its seed alone: the tree size derives from it.</summary>
    public static int SizeFor(int seed) => 4 + (int)((uint)seed % 60);
}

/// <summary>Formats a tree, has CPython parse it back, and compares ast.dump with AstDump.</summary>
internal sealed class RoundTrip(PythonServer server)
{
    public PythonVersion Version => server.Version;

    public sealed record Outcome(string? FailureKind, string Source, string Expected, string Actual);

    public Outcome Check(ModNode tree)
    {
        string source;
        try
        {
            source = PythonFormatter.Format(tree, Version);
        }
        catch (SyntaxNotSupportedException e)
        {
            return new Outcome("refused", "", "", e.Message);
        }
        var expected = AstDump.Dump(tree, Version);
        var answer = server.Ask(Convert.ToBase64String(Encoding.UTF8.GetBytes(source)));
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(answer[3..]));
        if (answer.StartsWith("ERR ", StringComparison.Ordinal)) return new Outcome("parse-error", source, expected, text);
        return new Outcome(text == expected ? null : "mismatch", source, expected, text);
    }

    public string? FailureKind(ModNode tree) => Check(tree).FailureKind;
}
