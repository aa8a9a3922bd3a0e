using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Archives.PyInstaller;

/// <summary>
/// The module PyInstaller generates for <c>--key</c> (<c>pyimod00_crypto_key</c>, a bootstrap module in the
/// CArchive): its whole body is <c>key = '...'</c>, which the bootloader imports to decrypt the PYZ.
/// </summary>
public static class CryptoKeyModule
{
    public const string Name = "pyimod00_crypto_key";

    /// <summary>The string the module assigns to <c>key</c>, or null when it assigns none.</summary>
    public static string? FindKey(CodeObject module)
    {
        try
        {
            var code = Decoder.Decode(module);
            for (int i = 1; i < code.Length; i++)
            {
                if (code[i].Name is "STORE_NAME" or "STORE_GLOBAL" && code[i].Argument is NameArgument { Name: "key" }
                    && code[i - 1].Argument is ConstArgument { Value: PyStr key })
                    return key.Value;
            }
            return null;
        }
        catch (BytecodeFormatException)
        {
            // Bytecode this version's table cannot decode: the key is the module's only string constant.
            var strings = module.Consts.OfType<PyStr>().ToList();
            return strings.Count == 1 ? strings[0].Value : null;
        }
    }
}
