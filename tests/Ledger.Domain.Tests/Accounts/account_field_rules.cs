using Ledger.Domain.Accounts;

namespace Ledger.Domain.Tests.Accounts;

public class account_field_rules
{
    [Theory]
    [InlineData("Alice", "alice")]
    [InlineData("  bob.smith-1 ", "bob.smith-1")]
    [InlineData("a_b", "a_b")]
    public void usernames_are_normalised_to_lower_case(string raw, string expected)
    {
        AccountRules.ValidateUsername(raw, out var normalized).Should().BeNull();
        normalized.Should().Be(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ab")]
    [InlineData("_alice")]
    [InlineData("alice smith")]
    [InlineData("alice@example")]
    [InlineData("ålice")]
    [InlineData("abcdefghijabcdefghijabcdefghijabc")]
    [InlineData(null)]
    public void bad_usernames_are_refused(string? raw) => AccountRules.ValidateUsername(raw, out _).Should().NotBeNull();

    [Theory]
    [InlineData("alice@example.com")]
    [InlineData("a.b+tag@sub.Example.ORG")]
    public void valid_emails_pass(string raw) => AccountRules.ValidateEmail(raw, out _).Should().BeNull();

    [Fact]
    public void the_email_domain_is_lower_cased_but_the_local_part_kept()
    {
        AccountRules.ValidateEmail("Alice@Example.COM", out var normalized).Should().BeNull();
        normalized.Should().Be("Alice@example.com");
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData("alice@")]
    [InlineData("@example.com")]
    [InlineData("alice@example")]
    [InlineData("a@b@example.com")]
    [InlineData("Alice <alice@example.com>")]
    [InlineData("alice @example.com")]
    [InlineData("alice@example..com")]
    public void bad_emails_are_refused(string raw) => AccountRules.ValidateEmail(raw, out _).Should().NotBeNull();

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Bad\u0000Name")]
    public void bad_names_are_refused(string raw) => AccountRules.ValidateName(raw, out _).Should().NotBeNull();

    [Fact]
    public void a_name_of_two_hundred_characters_is_the_limit()
    {
        AccountRules.ValidateName(new string('x', 200), out _).Should().BeNull();
        AccountRules.ValidateName(new string('x', 201), out _).Should().NotBeNull();
    }
}
