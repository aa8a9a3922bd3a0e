using System.Text;
using PyRecon.Bytecode;
using PyRecon.Model;
using Decoder = PyRecon.Bytecode.Decoder;

namespace PyRecon.Disassembly;

/// <summary>Options for <see cref="Disassembler"/>.</summary>
public sealed record DisassemblyOptions
{
    public static readonly DisassemblyOptions Default = new();

    /// <summary>
    /// The interpreter whose hash() orders frozenset constants in repr; null = a 64-bit CPython of the code's
    /// version run with PYTHONHASHSEED=0 (any other seed's order is random unless that seed is given here).
    /// </summary>
    public HashProfile? Hash { get; init; }
}

/// <summary>
/// What <c>dis.dis(code)</c> prints for a code object in the code object's own CPython version:
/// its listing, then each nested code object among the constants, depth first in constant order
/// (_disassemble_recursive), each after a blank line and a "Disassembly of &lt;code object ...&gt;:" header.
/// Code-object addresses are printed as 0x0 (CPython prints a memory address there).
/// </summary>
public static class Disassembler
{
    private static readonly DecodeOptions s_decodeOptions = new() { KeepExtendedArgs = true };

    public static string Disassemble(CodeObject code, DisassemblyOptions? options = null)
    {
        var output = new StringBuilder();
        Disassemble(code, output, options);
        return output.ToString();
    }

    public static void Disassemble(CodeObject code, StringBuilder output, DisassemblyOptions? options = null) =>
        Recurse(code, CreateFormatter(code.Version, options), output);

    /// <summary>The listing of one code object alone (dis.disassemble), without nested code objects.</summary>
    public static string DisassembleOne(CodeObject code, DisassemblyOptions? options = null)
    {
        var output = new StringBuilder();
        CreateFormatter(code.Version, options).Write(code, Decoder.Decode(code, s_decodeOptions), output);
        return output.ToString();
    }

    private static DisFormatter CreateFormatter(PythonVersion version, DisassemblyOptions? options)
    {
        var hash = new PyHash(version, options?.Hash ?? HashProfile.Native64(version));
        return DisFormatter.For(DisStyle.For(version), new ConstRepr(hash));
    }

    private static void Recurse(CodeObject code, DisFormatter formatter, StringBuilder output)
    {
        formatter.Write(code, Decoder.Decode(code, s_decodeOptions), output);
        foreach (var constant in code.Consts)
        {
            if (constant is not PyCode nested) continue;
            output.Append("\nDisassembly of ").Append(PyRepr.Repr(nested)).Append(":\n");
            Recurse(nested.Code, formatter, output);
        }
    }
}
