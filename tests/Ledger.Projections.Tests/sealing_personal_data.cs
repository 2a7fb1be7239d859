using System.Security.Cryptography;
using Ledger.Projections.Privacy;

namespace Ledger.Projections.Tests;

public class sealing_personal_data
{
    private const string Account = "acc_0123456789abcdef0123456789abcdef";
    private readonly PiiProtector _protector = new(RandomNumberGenerator.GetBytes(32));
    private readonly byte[] _key = PiiProtector.NewDataKey();

    [Fact]
    public void a_sealed_value_opens_with_its_key_and_hides_the_plaintext()
    {
        var sealedName = PiiProtector.Seal(_key, Account, PiiField.Name, "Alice Liddell");
        sealedName.Cipher.Should().NotContain("Alice");
        PiiProtector.Open(_key, Account, PiiField.Name, sealedName).Should().Be("Alice Liddell");
    }

    [Fact]
    public void equal_values_have_equal_fingerprints_but_different_ciphertexts()
    {
        var a = PiiProtector.Seal(_key, Account, PiiField.Email, "a@example.com");
        var b = PiiProtector.Seal(_key, Account, PiiField.Email, "a@example.com");
        a.Cipher.Should().NotBe(b.Cipher, "every seal uses a fresh nonce");
        a.SameValueAs(b).Should().BeTrue();
        a.SameValueAs(PiiProtector.Seal(_key, Account, PiiField.Email, "b@example.com")).Should().BeFalse();
        a.SameValueAs(PiiProtector.Seal(PiiProtector.NewDataKey(), Account, PiiField.Email, "a@example.com")).Should().BeFalse("fingerprints are keyed per person");
    }

    [Fact]
    public void another_key_account_or_field_cannot_open_it()
    {
        var sealedName = PiiProtector.Seal(_key, Account, PiiField.Name, "Alice");
        FluentActions.Invoking(() => PiiProtector.Open(PiiProtector.NewDataKey(), Account, PiiField.Name, sealedName)).Should().Throw<CryptographicException>();
        FluentActions.Invoking(() => PiiProtector.Open(_key, "acc_ffffffffffffffffffffffffffffffff", PiiField.Name, sealedName)).Should().Throw<CryptographicException>();
        FluentActions.Invoking(() => PiiProtector.Open(_key, Account, PiiField.Email, sealedName)).Should().Throw<CryptographicException>();
    }

    [Fact]
    public void a_tampered_ciphertext_does_not_open()
    {
        var sealedName = PiiProtector.Seal(_key, Account, PiiField.Name, "Alice");
        var bytes = Convert.FromBase64String(sealedName.Cipher);
        bytes[^1] ^= 1;
        var tampered = sealedName with { Cipher = Convert.ToBase64String(bytes) };
        FluentActions.Invoking(() => PiiProtector.Open(_key, Account, PiiField.Name, tampered)).Should().Throw<CryptographicException>();
    }

    [Fact]
    public void data_keys_are_stored_wrapped_under_the_master_key()
    {
        var wrapped = _protector.Wrap(Account, _key);
        Convert.FromBase64String(wrapped.WrappedKey).AsSpan().IndexOf(_key).Should().Be(-1, "the raw key never appears in what is stored");
        _protector.Unwrap(wrapped).Should().Equal(_key);
        var otherMaster = new PiiProtector(RandomNumberGenerator.GetBytes(32));
        FluentActions.Invoking(() => otherMaster.Unwrap(wrapped)).Should().Throw<CryptographicException>();
    }

    [Fact]
    public void a_master_key_of_the_wrong_size_is_refused()
    {
        FluentActions.Invoking(() => new PiiProtector(new byte[16])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => PiiProtector.FromBase64(null)).Should().Throw<InvalidOperationException>();
    }
}
