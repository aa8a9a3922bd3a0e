using PyRecon.Model;

namespace PyRecon.Pyc;

/// <summary>
/// The 16-byte .pyc header (PEP 552). The timestamp/size or source hash is informational only:
/// extracted and repacked files often have them zeroed, so nothing is ever rejected on them.
/// </summary>
public sealed record PycHeader(int Magic, PythonVersion Version, int Flags, uint Timestamp, uint SourceSize, ulong SourceHash)
{
    public const int Size = 16;

    public bool IsHashBased => (Flags & 1) != 0;
    public bool CheckSource => (Flags & 2) != 0;
}
