using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Cli.Inputs;

/// <summary>
/// Every CPython release line's range of .pyc magic numbers (Lib/importlib/_bootstrap_external.py), the
/// readable ones (3.8-3.14) taken from the library's <see cref="MagicNumbers"/>, the older ones listed here
/// only to name them, so that an unknown magic can be placed between the nearest known versions.
/// </summary>
internal static class MagicTable
{
    internal readonly record struct Range(string Version, int First, int Last, bool Readable)
    {
        public override string ToString() => First == Last ? $"Python {Version} ({First})" : $"Python {Version} ({First}-{Last})";
    }

    private static readonly Range[] s_older =
    [
        new("3.0", 3000, 3131, false), new("3.1", 3141, 3151, false), new("3.2", 3160, 3180, false),
        new("3.3", 3190, 3230, false), new("3.4", 3250, 3310, false), new("3.5", 3320, 3351, false),
        new("3.6", 3360, 3379, false), new("3.7", 3390, 3399, false),
        new("2.0", 50823, 50823, false), new("2.1", 60202, 60202, false), new("2.2", 60717, 60717, false),
        new("2.3", 62011, 62021, false), new("2.4", 62041, 62061, false), new("2.5", 62071, 62131, false),
        new("2.6", 62151, 62161, false), new("2.7", 62171, 62211, false),
    ];

    /// <summary>All ranges in magic order.</summary>
    public static IReadOnlyList<Range> All { get; } = Build();

    private static Range[] Build()
    {
        var ranges = new List<Range>(s_older);
        // The readable ranges are asked of the library (3.8-3.14 own 3400-3649) so the two never disagree.
        foreach (var version in PythonVersion.Supported)
        {
            int first = -1, last = -1;
            for (int m = 3400; m < 3700; m++)
            {
                if (MagicNumbers.TryGetVersion(m, out var v) && v == version)
                {
                    if (first < 0) first = m;
                    last = m;
                }
            }
            if (first >= 0) ranges.Add(new(version.ToString(), first, last, true));
        }
        ranges.Sort((a, b) => a.First.CompareTo(b.First));
        return [.. ranges];
    }

    /// <summary>
    /// One line about a magic number that is not a readable version's: which old release wrote it, or which
    /// known versions are nearest below and above it.
    /// </summary>
    public static string Describe(int magic)
    {
        var exact = All.FirstOrDefault(r => magic >= r.First && magic <= r.Last);
        if (exact.Version is not null)
            return exact.Readable
                ? $"magic number {magic} is {exact}"
                : $"magic number {magic} is {exact}; pyrecon reads Python 3.8-3.14 only";
        Range? below = null, above = null;
        foreach (var r in All)
        {
            if (r.Last < magic) below = r;
            else if (r.First > magic && above is null) above = r;
        }
        string nearest = (below, above) switch
        {
            ({ } b, { } a) => $"nearest known: {b} and {a}",
            ({ } b, null) => $"nearest known: {b}, the newest pyrecon knows",
            (null, { } a) => $"nearest known: {a}",
            _ => "no known version is near",
        };
        return $"unknown magic number {magic} ({nearest}); if a 3.8-3.14 interpreter wrote it with a changed magic, say which with --python-version 3.X";
    }
}
