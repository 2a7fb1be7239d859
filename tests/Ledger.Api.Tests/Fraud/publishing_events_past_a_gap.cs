using Ledger.FraudPipeline.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Fraud;

public class gap_hosts : FraudHosts
{
}

/// <summary>
/// The bridge publishes events that follow its position without a gap as soon as they are visible, and asks the
/// sequence horizon only at a gap. These hold a transaction open by hand after it drew a sequence number (as another
/// shard's writer does) and commit a payment above it: the bridge must neither run ahead of the open number (and then
/// never publish its event) nor wait forever for a number that was rolled back, nor wait for a number drawn above
/// everything committed.
/// </summary>
public class publishing_events_past_a_gap(gap_hosts hosts) : IClassFixture<gap_hosts>
{
    /// <param name="commits">Whether the transaction holding the number commits its event or rolls it back.</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task events_above_a_number_an_open_transaction_drew_wait_for_it_and_none_is_skipped(bool commits)
    {
        using var alice = hosts.ClientFor("alice");
        var (payer, payee) = await AccountsAsync(alice);
        await using var connection = await OpenAsync();
        await CaughtUpAsync(connection);

        await using var late = await OpenAsync();
        await using var tx = await late.BeginTransactionAsync();
        var (lateId, lateSeq) = await AppendHeldOpenAsync(late, tx);
        var (paymentEvents, paymentMax) = await PayAsync(alice, payer, payee, connection);
        paymentMax.Should().BeGreaterThan(lateSeq);

        await Task.Delay(TimeSpan.FromSeconds(1));
        (await PositionAsync(connection)).Should().BeLessThan(lateSeq, "the payment's events follow a number that may still commit below them");

        await (commits ? tx.CommitAsync() : tx.RollbackAsync());
        await WaitForPositionAsync(connection, paymentMax);
        var published = hosts.PublishedEvents().Select(e => e.EventId).ToHashSet();
        published.Should().Contain(paymentEvents, "once the number is committed or abandoned for good, the events above it go out");
        if (commits)
        {
            published.Should().Contain(lateId, "the event that committed after the ones above it is published, not skipped");
        }
        else
        {
            published.Should().NotContain(lateId);
        }
    }

    /// <summary>
    /// The point of publishing without a gap: a transaction still open with a number above the committed events does
    /// not hold them back. Asking the horizon first, as the bridge did on every wake, waits for that transaction to
    /// end. The fixture's bridge is stopped while the payment commits and a stand-in starts once the number above it
    /// is drawn, so the stand-in's first look meets exactly that.
    /// </summary>
    [Fact]
    public async Task events_below_a_number_still_in_flight_are_published_without_waiting_for_it()
    {
        using var alice = hosts.ClientFor("alice");
        var (payer, payee) = await AccountsAsync(alice);
        await using var connection = await OpenAsync();
        await CaughtUpAsync(connection);
        var hosted = hosts.Fraud.Services.GetServices<IHostedService>().OfType<KafkaBridge>().Single();
        await hosted.StopAsync(CancellationToken.None);
        var standIn = ActivatorUtilities.CreateInstance<KafkaBridge>(hosts.Fraud.Services);
        try
        {
            var (paymentEvents, paymentMax) = await PayAsync(alice, payer, payee, connection);
            await using var above = await OpenAsync();
            await using var aboveTx = await above.BeginTransactionAsync();
            var (aboveId, aboveSequence) = await AppendHeldOpenAsync(above, aboveTx);
            aboveSequence.Should().BeGreaterThan(paymentMax);

            await standIn.StartAsync(CancellationToken.None);
            await WaitForPositionAsync(connection, paymentMax);
            (await PositionAsync(connection)).Should().BeLessThan(aboveSequence, "the number still in flight holds back what may follow it");
            var published = hosts.PublishedEvents().Select(e => e.EventId).ToHashSet();
            published.Should().Contain(paymentEvents).And.NotContain(aboveId);
            await aboveTx.RollbackAsync();
        }
        finally
        {
            await standIn.StopAsync(CancellationToken.None);
            await hosted.StartAsync(CancellationToken.None);
        }
    }

    private async Task<(string Payer, string Payee)> AccountsAsync(Ledger.Testing.LedgerClient alice)
    {
        using var bob = hosts.ClientFor("bob");
        var payer = await FundedAccountAsync(alice, "100.00");
        var payee = (await AccountFixtures.CreateAsync(bob)).Id;
        return (payer, payee);
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>An event in a stream of its own, its sequence number drawn, its transaction left open.</summary>
    private static async Task<(Guid Id, long Sequence)> AppendHeldOpenAsync(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        var id = Guid.NewGuid();
        var stream = "gap-" + id.ToString("N");
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    "insert into ledger.mt_streams (id, version, timestamp, created, tenant_id, is_archived) values ($1, 1, now(), now(), '*DEFAULT*', false)")
                {
                    Parameters = { new NpgsqlParameter { Value = stream } },
                },
                new NpgsqlBatchCommand(
                    "insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
                    "select nextval('ledger.mt_events_sequence'), $1, $2, 1, data, type, '*DEFAULT*', now(), mt_dotnet_type, false " +
                    "from ledger.mt_events where type = 'funds_deposited.v1' limit 1 returning seq_id")
                {
                    Parameters = { new NpgsqlParameter { Value = id }, new NpgsqlParameter { Value = stream } },
                },
            },
        };
        var sequence = Convert.ToInt64(await batch.ExecuteScalarAsync());
        return (id, sequence);
    }

    private static async Task<(List<Guid> Events, long Max)> PayAsync(Ledger.Testing.LedgerClient alice, string payer, string payee, NpgsqlConnection connection)
    {
        var response = await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "1.00"));
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var id = (await response.JsonAsync()).GetProperty("id").GetString()!;
        var rows = await Money.LedgerInvariants.RowsAsync(connection, $"select id, seq_id from ledger.mt_events where stream_id = '{id}'");
        rows.Should().NotBeEmpty();
        return (rows.Select(r => (Guid)r[0]).ToList(), rows.Max(r => (long)r[1]));
    }

    private static async Task<long> PositionAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("select last_seq_id from ledger.mt_event_progression where name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = KafkaBridge.ProgressName });
        return await command.ExecuteScalarAsync() is long position ? position : 0;
    }

    private static async Task WaitForPositionAsync(NpgsqlConnection connection, long atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await PositionAsync(connection) < atLeast)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, $"the bridge should reach sequence {atLeast}");
            await Task.Delay(50);
        }
    }

    /// <summary>The bridge has published everything committed so far (the fixture's earlier payments and verdicts).</summary>
    private static async Task CaughtUpAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("select coalesce(max(seq_id), 0) from ledger.mt_events", connection);
        await WaitForPositionAsync(connection, Convert.ToInt64(await command.ExecuteScalarAsync()));
    }
}
