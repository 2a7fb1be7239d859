using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ledger.Projections.Store;

/// <summary>
/// The highest event sequence number below which no event can still appear. Sequence numbers are drawn before their
/// transactions commit, and concurrent appenders (the engine's shards, Marten's own appends) commit in any order, so
/// a reader that simply takes what is visible can pass a number whose event becomes visible later — and then never
/// deliver it. The horizon is the sequence's value L at one instant, once every transaction that could hold a number
/// up to L has finished.
/// <para>
/// Which transactions: drawing a number (<c>nextval</c>) takes a RowExclusiveLock on the sequence that is held to the
/// end of the transaction (PostgreSQL's sequence.c takes it under the top transaction's resource owner), and inserting
/// an event takes one on <c>mt_events</c>. So only transactions holding either can be appenders; a long read-only
/// transaction (a report, an export) does not hold the horizon back. The two look-ups run in this order in one round
/// trip: anyone who drew a number up to L was open when L was read, so is in the list or already finished.
/// </para>
/// <para>
/// Never skips: an appender that stays open holds the horizon until it commits or aborts (the ledger's transactions
/// take milliseconds), and a warning names the wait every <see cref="WarnEvery"/>. The audit sealer
/// (<c>ChainSealer</c>) waits on every open transaction instead and gives up after a bound, which suits a background
/// pass; a publisher needs to be prompt.
/// </para>
/// </summary>
public sealed class SequenceHorizon(string schema, ILogger logger)
{
    public static readonly TimeSpan WarnEvery = TimeSpan.FromSeconds(5);

    private readonly string _sequenceSql = $"select case when is_called then last_value else 0 end from {schema}.mt_events_sequence";

    private readonly string _appendersSql = $"""
        select coalesce(array_agg(distinct virtualtransaction), array[]::text[]) from pg_locks
        where locktype = 'relation' and granted and mode = 'RowExclusiveLock' and pid <> pg_backend_pid()
          and database = (select oid from pg_database where datname = current_database())
          and relation in ('{schema}.mt_events_sequence'::regclass, '{schema}.mt_events'::regclass)
        """;

    private const string StillOpenSql = "select count(*) from pg_locks where locktype = 'virtualxid' and granted and virtualxid = any($1)";

    public async Task<long> FinalSequenceAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        long last;
        string[] open;
        await using (var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(_sequenceSql), new NpgsqlBatchCommand(_appendersSql) } })
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            last = reader.GetInt64(0);
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            open = reader.GetFieldValue<string[]>(0);
        }

        if (open.Length == 0)
        {
            return last;
        }

        await using var still = new NpgsqlCommand(StillOpenSql, connection);
        still.Parameters.Add(new NpgsqlParameter { Value = open });
        var started = DateTime.UtcNow;
        var warned = started;
        var pause = TimeSpan.FromMilliseconds(1);
        while (Convert.ToInt64(await still.ExecuteScalarAsync(ct)) > 0)
        {
            if (DateTime.UtcNow - warned > WarnEvery)
            {
                warned = DateTime.UtcNow;
                logger.LogWarning("Waiting {Seconds:F0} s for a transaction that may append events (sequence {Sequence}) to finish.", (warned - started).TotalSeconds, last);
            }

            await Task.Delay(pause, ct);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 20));
        }

        return last;
    }
}
