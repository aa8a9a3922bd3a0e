using System.Security.Cryptography;
using PyRecon.Archives.PyInstaller;

namespace PyRecon.Tests.Archives;

/// <summary>The PYZ ciphers against the NIST SP 800-38A vectors (AES-128), and the key rule PyInstaller applied.</summary>
public class PyzCipherTests
{
    private static readonly byte[] s_nistKey = Convert.FromHexString("2b7e151628aed2a6abf7158809cf4f3c");
    private const string NistPlain = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    private static PyzCipher Nist(PyzCipherMode mode) => new(s_nistKey, mode);

    [Fact]
    public void Ctr_matches_the_nist_vector()
    {
        using var cipher = Nist(PyzCipherMode.Ctr);
        var member = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
            + "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee");
        Assert.Equal(NistPlain, Convert.ToHexStringLower(cipher.Decrypt(member)));
    }

    [Fact]
    public void Ctr_carries_the_counter_across_bytes_big_endian()
    {
        // Counter ...fffffffe: the third block's counter carries into byte 11 (vector from openssl aes-128-ctr).
        using var cipher = Nist(PyzCipherMode.Ctr);
        var member = Convert.FromHexString("000102030405060708090a0bfffffffe"
            + "633e3fa130ca6717f4ae606a9cb408ee139a4ab85772d5de62df811d333d72a5de3082d2379dec3b57868c898ff4ad8f");
        Assert.Equal(NistPlain[..96], Convert.ToHexStringLower(cipher.Decrypt(member)));
    }

    [Fact]
    public void Cfb8_matches_the_nist_vector()
    {
        using var cipher = Nist(PyzCipherMode.Cfb8);
        var member = Convert.FromHexString("000102030405060708090a0b0c0d0e0f" + "3b79424c9c0dd436bace9e0ed4586a4f32b9");
        Assert.Equal(NistPlain[..36], Convert.ToHexStringLower(cipher.Decrypt(member)));
    }

    [Theory]
    [InlineData("pyrecon-4.10", "0000pyrecon-4.10")]
    [InlineData("pyrecon-5.13.2", "00pyrecon-5.13.2")]
    [InlineData("0123456789abcdefXYZ", "0123456789abcdef")]
    public void Keys_are_zero_filled_or_cut_to_16_characters(string key, string effective) =>
        Assert.Equal(effective, PyzCipher.NormalizeKey(key));

    [Fact]
    public void The_mode_is_the_one_that_yields_a_zlib_stream()
    {
        var zlib = PyInstallerBuilder.Zlib("a member's marshal data, compressed"u8.ToArray());
        var iv = Convert.FromHexString("00112233445566778899aabbccddeeff"); // fixed: the outcome must not depend on chance
        using var aes = Aes.Create();
        aes.Key = "0000000000secret"u8.ToArray();
        var cfb = aes.EncryptCfb(zlib, iv, PaddingMode.None, feedbackSizeInBits: 8);
        Assert.Equal(PyzCipherMode.Cfb8, PyzCipher.DetectMode("secret", [.. iv, .. cfb]));
        Assert.Null(PyzCipher.DetectMode("another", [.. iv, .. cfb]));
        using var ctr = new PyzCipher("secret", PyzCipherMode.Ctr);
        // CTR is its own inverse: "decrypting" the plain stream encrypts it.
        var encrypted = ctr.Decrypt([.. iv, .. zlib]);
        Assert.Equal(PyzCipherMode.Ctr, PyzCipher.DetectMode("secret", [.. iv, .. encrypted]));
    }
}
