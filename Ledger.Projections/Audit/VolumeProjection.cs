using Npgsql;

namespace Ledger.Projections.Audit;

/// <summary>One row of <c>GET /v1/analytics/volume</c>: how many movements of a kind, and how much, in one interval and currency.</summary>
public sealed record VolumeRow(DateTimeOffset Start, string Currency, string Kind, long Count, long Amount);

/// <summary>
/// Counts and sums of money movements per hour, currency and kind (<c>ledger.volume_hourly</c>): an asynchronous
/// projection that the <see cref="ChainSealer"/> advances in the same transaction as the hashes of the events it
/// counts, so each event is counted exactly once and the engine's commit does no extra work. No account ids, no
/// names: only kind, currency, time, count and sum. Each movement is counted once, by the event that starts it,
/// in the currency the customer was charged in (conversions: the currency sold; chargebacks: the currency returned).
/// </summary>
public static class VolumeProjection
{
    public static readonly string[] Kinds = ["deposit", "withdrawal", "payment", "refund", "conversion", "dispute", "chargeback"];

    private static readonly string Schema = Store.LedgerStore.Schema;

    /// <summary>Adds the events with sequence in (@after, @through] to the hourly table.</summary>
    public static string AccumulateSql => $"""
        insert into {Schema}.volume_hourly as v (hour, currency, kind, count, amount)
        select date_trunc('hour', m.at, 'UTC'), m.currency, m.kind, count(*), sum(m.amount)
        from (
            select (e.data->>'at')::timestamptz as at,
                   case e.type when 'funds_deposited.v1' then 'deposit' when 'funds_withdrawn.v1' then 'withdrawal'
                               when 'payment_initiated.v1' then 'payment' when 'payment_refunded.v1' then 'refund'
                               when 'funds_converted.v1' then 'conversion' when 'dispute_opened.v1' then 'dispute'
                               else 'chargeback' end as kind,
                   case e.type when 'funds_converted.v1' then e.data->>'sellCurrency'
                               when 'dispute_resolved.v1' then e.data->>'returnedCurrency'
                               else e.data->>'currency' end as currency,
                   (case e.type when 'funds_converted.v1' then e.data->>'sellAmount'
                                when 'dispute_resolved.v1' then e.data->>'returnedAmount'
                                else e.data->>'amount' end)::bigint as amount
            from {Schema}.mt_events e
            where e.seq_id > @after and e.seq_id <= @through
              and e.type in ('funds_deposited.v1', 'funds_withdrawn.v1', 'payment_initiated.v1', 'payment_refunded.v1',
                             'funds_converted.v1', 'dispute_opened.v1', 'dispute_resolved.v1')
              and (e.type <> 'dispute_resolved.v1' or e.data->>'outcome' = 'buyer')) m
        group by 1, 2, 3
        on conflict (hour, currency, kind) do update set count = v.count + excluded.count, amount = v.amount + excluded.amount
        """;

    /// <summary>Recomputes the table from every sealed event (replay --rebuild), under the sealer's lock.</summary>
    public static async Task RebuildAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand($"select pg_advisory_xact_lock({AuditSql.SealerLockKey})", connection, tx))
        {
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        await using (var clear = new NpgsqlCommand($"delete from {Schema}.volume_hourly", connection, tx))
        {
            await clear.ExecuteNonQueryAsync(ct);
        }

        long through;
        await using (var head = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {Schema}.chain_checkpoints", connection, tx))
        {
            through = Convert.ToInt64(await head.ExecuteScalarAsync(ct));
        }

        await using (var fill = new NpgsqlCommand(AccumulateSql, connection, tx))
        {
            fill.Parameters.AddWithValue("after", 0L);
            fill.Parameters.AddWithValue("through", through);
            await fill.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>Rows in [from, to), per hour or per UTC day, optionally one currency.</summary>
    public static async Task<List<VolumeRow>> QueryAsync(NpgsqlConnection connection, DateTimeOffset from, DateTimeOffset to, bool daily, string? currency, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            select date_trunc(@unit, hour, 'UTC') as start, currency, kind, sum(count)::bigint, sum(amount)::bigint
            from {Schema}.volume_hourly
            where hour >= @from and hour < @to and (@currency::text is null or currency = @currency)
            group by 1, 2, 3 order by 1, 2, 3
            """, connection);
        command.Parameters.AddWithValue("unit", daily ? "day" : "hour");
        command.Parameters.AddWithValue("from", from.UtcDateTime);
        command.Parameters.AddWithValue("to", to.UtcDateTime);
        command.Parameters.Add(new NpgsqlParameter("currency", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)currency ?? DBNull.Value });
        var rows = new List<VolumeRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new VolumeRow(new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }
}
