using Ledger.Projections.Audit;
using Npgsql;

namespace Ledger.Projections.Tests;

public sealed class SealingFixture : AuditStoreFixture
{
    protected override string Name => nameof(sealing_the_event_log);
}

/// <summary>
/// The sealer's rule: seal only below the lowest sequence number an open transaction may still commit. Transactions
/// here are held open by hand to make the interleavings the engine's concurrent shard writers produce.
/// </summary>
public class sealing_the_event_log(SealingFixture fixture) : IClassFixture<SealingFixture>
{
    private async Task<long> CountAsync(string sql)
    {
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private async Task<VerifyReport> VerifyAsync()
    {
        await using var connection = await fixture.OpenAsync();
        return await ChainVerifier.VerifyAsync(connection, fixture.Key, CancellationToken.None);
    }

    private static async Task InsertEventAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long seq)
    {
        var stream = Store.Ids.New(Store.Ids.DepositPrefix);
        await using var command = new NpgsqlCommand("""
            insert into ledger.mt_streams (id, version, timestamp, created, tenant_id, is_archived) values (@stream, 1, now(), now(), '*DEFAULT*', false);
            insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived)
            values (@seq, gen_random_uuid(), @stream, 1, '{"note":"late"}'::jsonb, 'late_event.v1', '*DEFAULT*', now(), 'Late', false);
            """, connection, tx);
        command.Parameters.AddWithValue("stream", stream);
        command.Parameters.AddWithValue("seq", seq);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> DrawSequenceAsync(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        await using var command = new NpgsqlCommand("select nextval('ledger.mt_events_sequence')", connection, tx);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task an_event_committed_late_with_a_lower_sequence_is_waited_for_and_sealed_in_sequence_order()
    {
        var seed = new AuditSeed(fixture.Store);
        await seed.OpenAccountsAsync(2);
        await fixture.Sealer().SealAsync(CancellationToken.None);

        // Writer A draws a number and stays open; writer B commits a higher one.
        await using var a = await fixture.OpenAsync();
        await using var txA = await a.BeginTransactionAsync();
        var low = await DrawSequenceAsync(a, txA);
        await seed.MoveMoneyAsync(1);
        var high = await CountAsync("select max(seq_id) from ledger.mt_events");
        high.Should().BeGreaterThan(low);

        var waiting = await fixture.Sealer(TimeSpan.FromMilliseconds(200)).SealAsync(CancellationToken.None);
        waiting.Stalled.Should().BeTrue("A may still commit a number below B's");
        (await CountAsync($"select count(*) from ledger.event_hashes where seq_id >= {low}")).Should().Be(0);

        await InsertEventAsync(a, txA, low);
        await txA.CommitAsync();
        var sealedNow = await fixture.Sealer().SealAsync(CancellationToken.None);

        sealedNow.Stalled.Should().BeFalse();
        sealedNow.SealedThrough.Should().Be(high);
        (await CountAsync($"select count(*) from ledger.event_hashes where seq_id = {low}")).Should().Be(1, "the late event is in the chain at its own place");
        var report = await VerifyAsync();
        report.Valid.Should().BeTrue(report.ToString());
        report.Checked.Should().Be(await CountAsync("select count(*) from ledger.mt_events"));
    }

    [Fact]
    public async Task a_rolled_back_batch_leaves_a_gap_that_the_sealer_passes()
    {
        var seed = new AuditSeed(fixture.Store);
        await seed.OpenAccountsAsync(1);
        await using (var a = await fixture.OpenAsync())
        await using (var txA = await a.BeginTransactionAsync())
        {
            await DrawSequenceAsync(a, txA);
            await txA.RollbackAsync();
        }

        await seed.MoveMoneyAsync(1);
        var result = await fixture.Sealer().SealAsync(CancellationToken.None);

        result.SealedThrough.Should().Be(await CountAsync("select max(seq_id) from ledger.mt_events"));
        (await VerifyAsync()).Valid.Should().BeTrue();
    }

    [Fact]
    public async Task sealers_racing_each_other_while_events_arrive_seal_each_event_once_in_one_chain()
    {
        var seeds = Enumerable.Range(0, 4).Select(_ => new AuditSeed(fixture.Store)).ToList();
        foreach (var seed in seeds)
        {
            await seed.OpenAccountsAsync(3);
        }

        using var stop = new CancellationTokenSource();
        async Task SealUntilStopped()
        {
            var sealer = fixture.Sealer();
            while (!stop.IsCancellationRequested)
            {
                await sealer.SealAsync(CancellationToken.None);
            }
        }

        var sealers = new[] { Task.Run(SealUntilStopped), Task.Run(SealUntilStopped), Task.Run(SealUntilStopped) };
        // Four writers committing concurrently, like the engine's shard writers.
        await Task.WhenAll(seeds.Select(seed => Task.Run(async () =>
        {
            for (var round = 1; round <= 5; round++)
            {
                await seed.MoveMoneyAsync(round);
            }
        })));
        await stop.CancelAsync();
        await Task.WhenAll(sealers);
        await fixture.Sealer().SealAsync(CancellationToken.None);

        (await CountAsync("select count(*) from ledger.event_hashes")).Should().Be(await CountAsync("select count(*) from ledger.mt_events"));
        var report = await VerifyAsync();
        report.Valid.Should().BeTrue(report.ToString());
    }
}
