using System.Security.Cryptography;
using System.Text;
using Ledger.Domain.Accounts;

namespace Ledger.Projections.Privacy;

/// <summary>
/// The per-person data key, wrapped (AES-256-GCM) under the deployment's master key and stored in its own schema,
/// apart from the events. Deleting this document is the crypto-shred: the events keep only ciphertext.
/// </summary>
public sealed class PersonKey
{
    public string Id { get; set; } = string.Empty;
    public string WrappedKey { get; set; } = string.Empty;
}

/// <summary>
/// Seals and opens personal fields. AES-256-GCM with a fresh nonce per value; the account id and field name are the
/// associated data, so a ciphertext copied onto another account or field does not open. Fingerprints are
/// HMAC-SHA256 under the person's key: equal values compare equal, and without the key they reveal nothing.
/// </summary>
public sealed class PiiProtector
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _masterKey;

    public PiiProtector(byte[] masterKey)
    {
        if (masterKey.Length != KeySize)
        {
            throw new ArgumentException("The PII master key must be 32 bytes (base64 in Pii:MasterKey).", nameof(masterKey));
        }

        _masterKey = masterKey;
    }

    public static PiiProtector FromBase64(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            throw new InvalidOperationException("Pii:MasterKey is not configured: set it to 32 random bytes in base64.");
        }

        return new PiiProtector(Convert.FromBase64String(base64));
    }

    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(KeySize);

    public PersonKey Wrap(string accountId, byte[] dataKey) =>
        new() { Id = accountId, WrappedKey = Encrypt(_masterKey, dataKey, Aad(accountId, "key")) };

    public byte[] Unwrap(PersonKey key) => Decrypt(_masterKey, key.WrappedKey, Aad(key.Id, "key"));

    public static Protected Seal(byte[] dataKey, string accountId, string field, string plaintext) =>
        new(Encrypt(dataKey, Encoding.UTF8.GetBytes(plaintext), Aad(accountId, field)), Fingerprint(dataKey, field, plaintext));

    public static Protected Seal(byte[] dataKey, string accountId, PiiField field, string plaintext) =>
        Seal(dataKey, accountId, field.ToString(), plaintext);

    public static string Open(byte[] dataKey, string accountId, PiiField field, Protected value) =>
        Encoding.UTF8.GetString(Decrypt(dataKey, value.Cipher, Aad(accountId, field.ToString())));

    private static string Fingerprint(byte[] dataKey, string field, string plaintext) =>
        Convert.ToBase64String(HMACSHA256.HashData(dataKey, Encoding.UTF8.GetBytes(field + "\n" + plaintext)).AsSpan(0, 16));

    private static byte[] Aad(string accountId, string field) => Encoding.UTF8.GetBytes(accountId + "/" + field);

    private static string Encrypt(byte[] key, byte[] plaintext, byte[] aad)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), aad);
        return Convert.ToBase64String(output);
    }

    private static byte[] Decrypt(byte[] key, string sealedBase64, byte[] aad)
    {
        var input = Convert.FromBase64String(sealedBase64);
        var plaintext = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plaintext, aad);
        return plaintext;
    }
}

public enum PiiField
{
    Name,
    Email,
}
