using PyRecon.Model;

namespace PyRecon.Pyc;

/// <summary>
/// Maps a .pyc magic number to its CPython version. Each release line owns a range that also holds its
/// alpha/beta/rc magics (Lib/importlib/_bootstrap_external.py); from 3.11 on, 3.n owns 2900+50n .. 2949+50n.
/// </summary>
public static class MagicNumbers
{
    private static readonly (int First, int Last, int Final, PythonVersion Version)[] s_ranges =
    [
        (3400, 3419, 3413, PythonVersion.V3_8),
        (3420, 3429, 3425, PythonVersion.V3_9),
        (3430, 3449, 3439, PythonVersion.V3_10),
        (3450, 3499, 3495, PythonVersion.V3_11),
        (3500, 3549, 3531, PythonVersion.V3_12),
        (3550, 3599, 3571, PythonVersion.V3_13),
        (3600, 3649, 3627, PythonVersion.V3_14),
    ];

    public static bool TryGetVersion(int magic, out PythonVersion version)
    {
        foreach (var (first, last, _, v) in s_ranges)
        {
            if (magic >= first && magic <= last) { version = v; return true; }
        }
        version = default;
        return false;
    }

    /// <summary>The magic number of the final release of <paramref name="version"/>.</summary>
    public static int FinalMagic(PythonVersion version)
    {
        foreach (var (_, _, final, v) in s_ranges)
            if (v == version) return final;
        throw new ArgumentOutOfRangeException(nameof(version), $"Python {version} is not supported (3.8-3.14 are)");
    }

    /// <summary>A short description of what a magic outside every range may be, for the error message.</summary>
    public static string Describe(int magic) => magic switch
    {
        >= 3000 and < 3400 => $"magic {magic} is from Python 3.0-3.7 (3.8-3.14 are supported)",
        >= 3650 and < 4000 => $"magic {magic} is from a Python newer than 3.14 (3.8-3.14 are supported)",
        >= 20000 and <= 62211 => $"magic {magic} is from Python 2 (3.8-3.14 are supported)",
        _ => $"unknown magic number {magic} (not a CPython 3.8-3.14 .pyc)",
    };
}
