using System.Security.Cryptography;
using System.Text;
using Ledger.Domain.Ledger;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Marten;
using Npgsql;
using Parquet.Serialization;
using Parquet.Serialization.Attributes;

namespace Ledger.Cli;

/// <summary>One posting (one leg of one event) as the warehouse gets it.</summary>
public sealed class PostingRow
{
    public long EventSequence { get; set; }
    public string EventType { get; set; } = string.Empty;

    [ParquetTimestamp(ParquetTimestampResolution.Microseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime OccurredAt { get; set; }

    /// <summary>A keyed pseudonym of the customer account, or the system account's own name (sys_…).</summary>
    public string Account { get; set; } = string.Empty;
    public string Currency { get; set; } = string.Empty;

    /// <summary>Signed minor units of <see cref="Currency"/>.</summary>
    public long Amount { get; set; }
    public string Bucket { get; set; } = string.Empty;

    /// <summary>Pseudonym of the payment the posting belongs to, when it belongs to one.</summary>
    public string? Payment { get; set; }
}

/// <summary>One payment as the warehouse gets it: no description, no metadata (free text may carry personal data).</summary>
public sealed class PaymentRow
{
    public string Payment { get; set; } = string.Empty;
    public string Payer { get; set; } = string.Empty;
    public string Payee { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public string Purpose { get; set; } = string.Empty;
    public long Amount { get; set; }
    public string Currency { get; set; } = string.Empty;
    public long SettledAmount { get; set; }
    public string SettledCurrency { get; set; } = string.Empty;
    public long Fee { get; set; }
    public long Refunded { get; set; }
    public int? RiskScoreBasisPoints { get; set; }

    [ParquetTimestamp(ParquetTimestampResolution.Microseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime CreatedAt { get; set; }

    [ParquetTimestamp(ParquetTimestampResolution.Microseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime? CompletedAt { get; set; }
}

public sealed record ExportResult(string PostingsFile, int Postings, string PaymentsFile, int Payments);

/// <summary>
/// <c>ops/ledger export --day</c>: a UTC day's postings (from the events' legs) and payments (from the payment
/// documents created that day) as Parquet files any warehouse reads (DuckDB, Spark): int64 minor units beside a
/// string currency, UTC timestamps in microseconds. Account and payment ids are replaced by
/// HMAC-SHA256(<c>Export:PseudonymKey</c>, id): stable within and across exports with one key, so analysts can join
/// and count per account, and not reversible without the key. Names and emails are never read.
/// </summary>
public sealed class WarehouseExport(IDocumentStore store, byte[] pseudonymKey)
{
    public string Pseudonym(string id) =>
        SystemAccounts.IsSystem(id) ? id : "psn_" + Convert.ToHexStringLower(HMACSHA256.HashData(pseudonymKey, Encoding.UTF8.GetBytes(id)).AsSpan(0, 16));

    public async Task<ExportResult> ExportAsync(DateOnly day, string directory, CancellationToken ct)
    {
        if (pseudonymKey.Length < 32)
        {
            throw new ArgumentException("The pseudonym key must be at least 32 bytes.");
        }

        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var to = from.AddDays(1);
        Directory.CreateDirectory(directory);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);

        var postings = new List<PostingRow>();
        await using (var read = new NpgsqlCommand($"""
            select e.seq_id, e.type, (e.data->>'at')::timestamptz, leg->>'account', leg->>'currency', (leg->>'amount')::bigint, leg->>'bucket', e.data->>'paymentId'
            from {LedgerStore.Schema}.mt_events e, jsonb_array_elements(e.data->'legs') leg
            where e.data ? 'legs' and (e.data->>'at')::timestamptz >= @from and (e.data->>'at')::timestamptz < @to
            order by e.seq_id
            """, connection))
        {
            read.Parameters.AddWithValue("from", from.UtcDateTime);
            read.Parameters.AddWithValue("to", to.UtcDateTime);
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                postings.Add(new PostingRow
                {
                    EventSequence = reader.GetInt64(0),
                    EventType = reader.GetString(1),
                    OccurredAt = DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc),
                    Account = Pseudonym(reader.GetString(3)),
                    Currency = reader.GetString(4),
                    Amount = reader.GetInt64(5),
                    Bucket = reader.GetString(6).ToLowerInvariant(),
                    Payment = reader.IsDBNull(7) ? null : Pseudonym(reader.GetString(7)),
                });
            }
        }

        var payments = new List<PaymentRow>();
        await using (var session = store.QuerySession())
        {
            foreach (var p in await session.Query<PaymentRecord>().Where(p => p.CreatedAt >= from && p.CreatedAt < to).OrderBy(p => p.CreatedAt).ToListAsync(ct))
            {
                payments.Add(new PaymentRow
                {
                    Payment = Pseudonym(p.Id),
                    Payer = Pseudonym(p.PayerAccountId),
                    Payee = Pseudonym(p.PayeeAccountId),
                    Status = p.Status,
                    Purpose = p.Purpose,
                    Amount = p.Amount,
                    Currency = p.Currency,
                    SettledAmount = p.SettledAmount,
                    SettledCurrency = p.SettledCurrency,
                    Fee = p.Fee,
                    Refunded = p.Refunded,
                    RiskScoreBasisPoints = p.RiskScoreBasisPoints,
                    CreatedAt = p.CreatedAt.UtcDateTime,
                    CompletedAt = p.CompletedAt?.UtcDateTime,
                });
            }
        }

        var stamp = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var postingsFile = Path.Combine(directory, $"postings-{stamp}.parquet");
        var paymentsFile = Path.Combine(directory, $"payments-{stamp}.parquet");
        await ParquetSerializer.SerializeAsync(postings, postingsFile, cancellationToken: ct);
        await ParquetSerializer.SerializeAsync(payments, paymentsFile, cancellationToken: ct);
        return new ExportResult(postingsFile, postings.Count, paymentsFile, payments.Count);
    }
}
