using Ledger.Projections.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Ledger.Projections.Tests;

public sealed class HorizonFixture : AuditStoreFixture
{
    protected override string Name => nameof(finding_the_sequence_horizon);
}

/// <summary>
/// The Kafka bridge publishes only up to <see cref="SequenceHorizon"/>: a number an open transaction drew must hold it
/// back (else the bridge passes an event that commits later and never publishes it), while transactions that cannot
/// append must not. Transactions are held open by hand to make the interleavings concurrent shard writers produce.
/// </summary>
public class finding_the_sequence_horizon(HorizonFixture fixture) : IClassFixture<HorizonFixture>
{
    private SequenceHorizon Horizon() => new(Store.LedgerStore.Schema, NullLogger.Instance);

    private async Task<long> MaxSequenceAsync()
    {
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand("select coalesce(max(seq_id), 0) from ledger.mt_events", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task waits_for_a_transaction_that_drew_a_number_and_then_covers_what_it_committed()
    {
        var seed = new AuditSeed(fixture.Store);
        await seed.OpenAccountsAsync(2);

        // Writer A draws a number and stays open; writer B commits a higher one.
        await using var a = await fixture.OpenAsync();
        await using var txA = await a.BeginTransactionAsync();
        await using (var draw = new NpgsqlCommand("select nextval('ledger.mt_events_sequence')", a, txA))
        {
            await draw.ExecuteScalarAsync();
        }

        await seed.MoveMoneyAsync(1);
        var high = await MaxSequenceAsync();

        await using var reader = await fixture.OpenAsync();
        using (var patience = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await FluentActions.Awaiting(() => Horizon().FinalSequenceAsync(reader, patience.Token)).Should()
                .ThrowAsync<OperationCanceledException>("A may still commit a number below B's, so nothing past it is final yet");
        }

        await txA.RollbackAsync();
        var horizon = await Horizon().FinalSequenceAsync(reader, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        horizon.Should().BeGreaterThanOrEqualTo(high, "once A has finished, everything B committed is below the horizon");
    }

    [Fact]
    public async Task is_not_held_back_by_a_transaction_that_only_reads()
    {
        var seed = new AuditSeed(fixture.Store);
        await seed.OpenAccountsAsync(2);
        await seed.MoveMoneyAsync(1);
        var high = await MaxSequenceAsync();

        // A long report: reads events and the sequence, appends nothing.
        await using var report = await fixture.OpenAsync();
        await using var tx = await report.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("select count(*), (select last_value from ledger.mt_events_sequence) from ledger.mt_events", report, tx))
        {
            await read.ExecuteScalarAsync();
        }

        await using var reader = await fixture.OpenAsync();
        var horizon = await Horizon().FinalSequenceAsync(reader, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        horizon.Should().BeGreaterThanOrEqualTo(high);
        await tx.RollbackAsync();
    }
}
