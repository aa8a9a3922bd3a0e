using System.Buffers.Binary;
using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Cli.Inputs;

/// <summary>An input that is not readable bytecode: the kind (see <see cref="Sniffer"/>) and a one-line reason.</summary>
internal sealed class UnreadableInputException(string kind, string message) : Exception(message)
{
    public string Kind { get; } = kind;
}

/// <summary>
/// Turns an input's bytes into a code object: a .pyc by its magic; with a stated version, headerless marshal
/// data or a .pyc whose magic is wrong (as extractors write: the header is skipped, the stated version wins);
/// anything else is explained by <see cref="Sniffer"/>.
/// </summary>
internal static class BytecodeInput
{
    /// <param name="versionSource">How the version was decided, for the report.</param>
    /// <param name="marshal">The marshal data of the module code object (what follows the header).</param>
    /// <exception cref="UnreadableInputException">Not readable bytecode; the message is one line.</exception>
    /// <param name="path">The file's path when it was named on the command line (lets the explanation look beside it).</param>
    public static PycFile Read(byte[] data, PythonVersion? stated, out string versionSource, out ReadOnlyMemory<byte> marshal, string? path = null)
    {
        marshal = data.AsMemory(Math.Min(data.Length, PycHeader.Size));
        bool hasHeader = data.Length >= PycHeader.Size && data[2] == '\r' && data[3] == '\n';
        try
        {
            if (stated is { } v)
            {
                if (!hasHeader)
                {
                    versionSource = "stated (headerless marshal data)";
                    marshal = data;
                    return PycReader.ReadMarshal(data, v);
                }
                int magic = BinaryPrimitives.ReadUInt16LittleEndian(data);
                if (MagicNumbers.TryGetVersion(magic, out var fromMagic) && fromMagic == v)
                {
                    versionSource = "magic";
                    return PycReader.Read(data);
                }
                versionSource = $"stated (overrides the header's magic {magic})";
                return PycReader.ReadMarshal(data.AsMemory(PycHeader.Size), v);
            }
            versionSource = "magic";
            if (PycReader.LooksLikePyc(data)) return PycReader.Read(data);
        }
        catch (PycFormatException e)
        {
            string hint = stated is { } s ? $" (read as Python {s} as stated: is that the version that wrote it?)" : "";
            throw new UnreadableInputException(Sniffer.Corrupt, $"corrupt bytecode: {e.Message}{hint}");
        }
        var (kind, message) = Sniffer.Explain(data, path);
        throw new UnreadableInputException(kind, message);
    }
}
