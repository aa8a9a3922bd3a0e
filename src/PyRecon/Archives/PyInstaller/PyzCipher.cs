using System.Security.Cryptography;
using System.Text;

namespace PyRecon.Archives.PyInstaller;

/// <summary>The AES modes PyInstaller encrypted PYZ members with.</summary>
public enum PyzCipherMode
{
    /// <summary>PyInstaller 4.0-5.x (tinyaes): AES-128 in CTR mode, the IV the initial counter, incremented big-endian.</summary>
    Ctr,
    /// <summary>PyInstaller 3.x (PyCrypto): AES in CFB mode with PyCrypto's default 8-bit segments.</summary>
    Cfb8,
}

/// <summary>
/// Decrypts members of a PYZ built with <c>--key</c>: each member is a 16-byte IV followed by the encrypted zlib
/// stream. The key is the <c>--key</c> string cut or zero-filled on the left to 16 characters, as PyInstaller did.
/// Uses .NET's own AES: CTR built from AES-ECB encryption of the counter blocks, CFB-8 as .NET provides it.
/// </summary>
public sealed class PyzCipher : IDisposable
{
    public const int BlockSize = 16;

    private readonly Aes _aes;

    /// <param name="key">The <c>--key</c> string as the program was built with it (normalized here).</param>
    public PyzCipher(string key, PyzCipherMode mode) : this(Encoding.UTF8.GetBytes(NormalizeKey(key)), mode)
    {
    }

    /// <param name="key">The 16 bytes of an AES-128 key.</param>
    public PyzCipher(byte[] key, PyzCipherMode mode)
    {
        if (key.Length != BlockSize)
            throw new PyInstallerFormatException($"the key is {key.Length} bytes once zero-filled, not 16 (non-ASCII characters?)");
        Key = Encoding.Latin1.GetString(key);
        KeyBytes = key;
        Mode = mode;
        _aes = Aes.Create();
        _aes.Key = KeyBytes;
    }

    /// <summary>The effective key (as text): <c>key[:16]</c>, or <c>key.zfill(16)</c> when shorter.</summary>
    public string Key { get; }
    public byte[] KeyBytes { get; }
    public PyzCipherMode Mode { get; }

    public static string NormalizeKey(string key) => key.Length >= BlockSize ? key[..BlockSize] : key.PadLeft(BlockSize, '0');

    /// <summary>Decrypts one member (IV + data); AES objects are not thread-safe, so members are decrypted one at a time.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> member)
    {
        if (member.Length < BlockSize) throw new PyInstallerFormatException($"an encrypted member needs a 16-byte IV, but has {member.Length} bytes");
        var iv = member[..BlockSize];
        var data = member[BlockSize..];
        lock (_aes)
        {
            return Mode switch
            {
                PyzCipherMode.Ctr => Ctr(iv, data),
                _ => _aes.DecryptCfb(data, iv, PaddingMode.None, feedbackSizeInBits: 8),
            };
        }
    }

    private byte[] Ctr(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> data)
    {
        int blocks = (data.Length + BlockSize - 1) / BlockSize;
        var counters = new byte[blocks * BlockSize];
        var counter = iv.ToArray();
        for (int b = 0; b < blocks; b++)
        {
            counter.CopyTo(counters, b * BlockSize);
            for (int i = BlockSize - 1; i >= 0 && ++counter[i] == 0; i--) { } // 128-bit big-endian increment
        }
        var stream = _aes.EncryptEcb(counters, PaddingMode.None);
        var result = new byte[data.Length];
        for (int i = 0; i < data.Length; i++) result[i] = (byte)(data[i] ^ stream[i]);
        return result;
    }

    /// <summary>
    /// The mode under which <paramref name="member"/> decrypts to a whole zlib stream (what every member is before
    /// encryption), or null when neither does (a wrong key, or a damaged member).
    /// </summary>
    public static PyzCipherMode? DetectMode(string key, ReadOnlySpan<byte> member)
    {
        if (member.Length < BlockSize + 2) return null;
        foreach (var mode in Enum.GetValues<PyzCipherMode>())
        {
            using var cipher = new PyzCipher(key, mode);
            // The header check is cheap and rules out a wrong mode almost always; inflating rules out the rest.
            if (!LooksLikeZlib(cipher.Decrypt(member[..(BlockSize + 2)]))) continue;
            try
            {
                CArchive.Inflate(cipher.Decrypt(member), -1, "the member");
                return mode;
            }
            catch (PyInstallerFormatException) { /* not this mode */ }
        }
        return null;
    }

    /// <summary>A zlib header: deflate with a window of at most 32 KiB, and the check bits right.</summary>
    public static bool LooksLikeZlib(ReadOnlySpan<byte> data) =>
        data.Length >= 2 && (data[0] & 0x0f) == 8 && data[0] >> 4 <= 7 && ((data[0] << 8) | data[1]) % 31 == 0;

    public void Dispose() => _aes.Dispose();
}
