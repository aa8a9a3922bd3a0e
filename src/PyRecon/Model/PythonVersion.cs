namespace PyRecon.Model;

/// <summary>A CPython release line (major.minor); what decides bytecode, marshal and syntax rules.</summary>
public readonly record struct PythonVersion(int Major, int Minor) : IComparable<PythonVersion>
{
    public static readonly PythonVersion V3_8 = new(3, 8);
    public static readonly PythonVersion V3_9 = new(3, 9);
    public static readonly PythonVersion V3_10 = new(3, 10);
    public static readonly PythonVersion V3_11 = new(3, 11);
    public static readonly PythonVersion V3_12 = new(3, 12);
    public static readonly PythonVersion V3_13 = new(3, 13);
    public static readonly PythonVersion V3_14 = new(3, 14);

    /// <summary>Every version PyRecon reads, oldest first.</summary>
    public static readonly IReadOnlyList<PythonVersion> Supported = [V3_8, V3_9, V3_10, V3_11, V3_12, V3_13, V3_14];

    public bool IsSupported => Major == 3 && Minor >= 8 && Minor <= 14;

    public int CompareTo(PythonVersion other) => Order.CompareTo(other.Order);
    // One number in (major, minor) order: the comparisons below run on every version test of every pass.
    private long Order => ((long)Major << 32) + Minor;
    public static bool operator <(PythonVersion a, PythonVersion b) => a.Order < b.Order;
    public static bool operator >(PythonVersion a, PythonVersion b) => a.Order > b.Order;
    public static bool operator <=(PythonVersion a, PythonVersion b) => a.Order <= b.Order;
    public static bool operator >=(PythonVersion a, PythonVersion b) => a.Order >= b.Order;

    public override string ToString() => $"{Major}.{Minor}";

    public static bool TryParse(string? text, out PythonVersion version)
    {
        version = default;
        if (text is null) return false;
        var parts = text.Trim().Split('.');
        if (parts.Length < 2 || !int.TryParse(parts[0], out int major) || !int.TryParse(parts[1], out int minor)) return false;
        version = new PythonVersion(major, minor);
        return true;
    }

    public static PythonVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"not a Python version: '{text}'");
}
