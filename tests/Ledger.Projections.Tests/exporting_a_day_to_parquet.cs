using Ledger.Cli;
using Parquet.Serialization;

namespace Ledger.Projections.Tests;

public sealed class ExportFixture : AuditStoreFixture
{
    protected override string Name => nameof(exporting_a_day_to_parquet);
}

/// <summary><c>ops/ledger export --day</c>: a day's postings and payments, pseudonymised, read back with Parquet.Net.</summary>
public class exporting_a_day_to_parquet(ExportFixture fixture) : IClassFixture<ExportFixture>, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ledger-export-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task the_days_postings_and_payments_read_back_with_their_sums_and_no_account_ids_or_free_text()
    {
        var seed = new AuditSeed(fixture.Store);
        await seed.OpenAccountsAsync(4);
        await seed.MoveMoneyAsync(1);
        await seed.MoveMoneyAsync(2);
        await seed.MoveMoneyAsync(24 * 60); // the next day: not in this export
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var export = new WarehouseExport(fixture.Store, key);

        var result = await export.ExportAsync(DateOnly.FromDateTime(AuditSeed.T0.UtcDateTime), _directory, CancellationToken.None);

        var postingsFile = await ParquetSerializer.DeserializeAsync<PostingRow>(result.PostingsFile);
        var postings = postingsFile.Data;
        var payments = (await ParquetSerializer.DeserializeAsync<PaymentRow>(result.PaymentsFile)).Data;
        // Standard types a warehouse reads as such: int64 amounts, UTF-8 strings, UTC timestamps in microseconds.
        var fields = postingsFile.Schema.DataFields.ToDictionary(f => f.Name);
        fields[nameof(PostingRow.Amount)].ClrType.Should().Be<long>();
        var occurred = fields[nameof(PostingRow.OccurredAt)].Should().BeOfType<Parquet.Schema.DateTimeDataField>().Subject;
        occurred.IsAdjustedToUTC.Should().BeTrue();
        occurred.Unit.Should().Be(Parquet.Schema.DateTimeTimeUnit.Micros);
        // Two rounds of 4 deposits (2 legs) and 4 payments (reserve 2 legs, completion 2 legs).
        postings.Should().HaveCount(2 * (4 * 2 + 4 * 4)).And.HaveCount(result.Postings);
        postings.GroupBy(p => p.Currency).Should().OnlyContain(g => g.Sum(p => p.Amount) == 0, "double entry holds in the export");
        postings.Where(p => p.EventType == "funds_deposited.v1" && p.Amount > 0).Sum(p => p.Amount).Should().Be(2 * 4 * 1_000);
        postings.Should().OnlyContain(p => p.OccurredAt.Date == AuditSeed.T0.UtcDateTime.Date && p.OccurredAt.Kind == DateTimeKind.Utc);
        payments.Should().HaveCount(8);
        payments.Sum(p => p.Amount).Should().Be(2 * (100 + 101 + 102 + 103));
        payments.Should().OnlyContain(p => p.Status == "completed" && p.Currency == "USD");

        var first = seed.Accounts[0];
        postings.Should().Contain(p => p.Account == export.Pseudonym(first));
        payments.Should().Contain(p => p.Payer == export.Pseudonym(first));
        postings.Select(p => p.Payment).OfType<string>().Should().BeSubsetOf(payments.Select(p => p.Payment), "postings join their payments by pseudonym");
        foreach (var file in new[] { result.PostingsFile, result.PaymentsFile })
        {
            var text = System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file));
            text.Should().NotContain("acc_").And.NotContain("pay_").And.NotContain("birthday", "ids are pseudonymised and free text is left out");
        }
    }

    [Fact]
    public void pseudonyms_are_stable_for_one_key_different_for_another_and_system_accounts_keep_their_names()
    {
        var a = new WarehouseExport(fixture.Store, new byte[32]);
        var b = new WarehouseExport(fixture.Store, Enumerable.Repeat((byte)1, 32).ToArray());
        a.Pseudonym("acc_1").Should().Be(a.Pseudonym("acc_1")).And.StartWith("psn_").And.NotBe(b.Pseudonym("acc_1"));
        a.Pseudonym("acc_1").Should().NotBe(a.Pseudonym("acc_2"));
        a.Pseudonym("sys_settlement").Should().Be("sys_settlement");
    }
}
