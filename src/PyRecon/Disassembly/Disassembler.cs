using System.Text;
using PyRecon.Bytecode;
using Decoder = PyRecon.Bytecode.Decoder;
using PyRecon.Model;

namespace PyRecon.Disassembly;

/// <summary>
/// What <c>dis.dis(code)</c> prints for a code object in the code object's own CPython version:
/// its listing, then each nested code object among the constants, depth first in constant order
/// (_disassemble_recursive), each after a blank line and a "Disassembly of &lt;code object ...&gt;:" header.
/// Code-object addresses are printed as 0x0 (CPython prints a memory address there).
/// </summary>
public static class Disassembler
{
    private static readonly DecodeOptions s_decodeOptions = new() { KeepExtendedArgs = true };

    public static string Disassemble(CodeObject code)
    {
        var output = new StringBuilder();
        Disassemble(code, output);
        return output.ToString();
    }

    public static void Disassemble(CodeObject code, StringBuilder output) =>
        Recurse(code, DisFormatter.For(DisStyle.For(code.Version)), output);

    /// <summary>The listing of one code object alone (dis.disassemble), without nested code objects.</summary>
    public static string DisassembleOne(CodeObject code)
    {
        var output = new StringBuilder();
        var formatter = DisFormatter.For(DisStyle.For(code.Version));
        formatter.Write(code, Decoder.Decode(code, s_decodeOptions), output);
        return output.ToString();
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
