using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.Testing;
using Marten;
using Npgsql;

namespace Ledger.Projections.Tests;

public class CommitFixture : IAsyncLifetime
{
    /// <summary>Each fixture's own database (test classes run in parallel).</summary>
    protected virtual string Database => nameof(committing_a_batch_set_based);

    public DocumentStore Store { get; private set; } = null!;
    public LedgerTables Tables { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        var connectionString = await server.CreateDatabaseAsync(Database);
        Store = DocumentStore.For(opts => LedgerStore.Configure(opts, connectionString));
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var connection = await Open();
        await LedgerSql.EnsureAsync(connection, CancellationToken.None);
        Tables = new LedgerTables(Store);
    }

    public async Task<NpgsqlConnection> Open()
    {
        var connection = Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        return connection;
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();
}

/// <summary>The engine's set-based commit writes what Marten's own append would: Marten reads it back unchanged.</summary>
public class committing_a_batch_set_based(CommitFixture fixture) : IClassFixture<CommitFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private static MoneyEvent[] Payment(string id) =>
    [
        new PaymentInitiated(id, "acc_a", "acc_b", 500, "USD", "personal", null, null, "alice", T0),
        new PaymentFundsReserved(id, Postings.Move("USD", 500, "acc_a", Bucket.Available, "acc_a", Bucket.Pending), T0),
        new PaymentCompleted(id, Postings.Move("USD", 500, "acc_a", Bucket.Pending, "acc_b", Bucket.Available), T0),
    ];

    private async Task<int> Count(string sql, string id)
    {
        await using var connection = await fixture.Open();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task streams_events_and_documents_read_back_through_marten_in_order()
    {
        var first = Ids.New("pay_");
        var second = Ids.New("pay_");
        var commit = new LedgerCommit(fixture.Tables);
        commit.StartStream(first, Payment(first));
        commit.StartStream(second, Payment(second)[..2]);
        commit.Upsert([new PaymentRecord { Id = first, Status = PaymentStatuses.Completed, Amount = 500, Currency = "USD" }], p => p.Id);
        await using (var connection = await fixture.Open())
        {
            await commit.ExecuteAsync(connection, CancellationToken.None);
        }

        // A later batch continues the second stream where it stopped.
        var more = new LedgerCommit(fixture.Tables);
        more.AppendToStream(second, [Payment(second)[2]]);
        more.Upsert([new PaymentRecord { Id = first, Status = PaymentStatuses.Rejected, Amount = 500, Currency = "USD" }], p => p.Id);
        await using (var connection = await fixture.Open())
        {
            await more.ExecuteAsync(connection, CancellationToken.None);
        }

        await using var query = fixture.Store.QuerySession();
        foreach (var id in new[] { first, second })
        {
            var events = await query.Events.FetchStreamAsync(id);
            events.Select(e => e.Version).Should().Equal(1, 2, 3);
            events.Select(e => e.EventTypeName).Should().Equal("payment_initiated.v1", "payment_funds_reserved.v1", "payment_completed.v1");
            events.Select(e => e.Sequence).Should().BeInAscendingOrder();
            events.Select(e => e.Data).Should().BeEquivalentTo(Payment(id), o => o.RespectingRuntimeTypes());
            (await query.Events.FetchStreamStateAsync(id))!.Version.Should().Be(3);
        }

        (await query.LoadAsync<PaymentRecord>(first))!.Status.Should().Be(PaymentStatuses.Rejected);
    }

    [Fact]
    public async Task appending_to_a_stream_that_does_not_exist_fails_the_batch_and_writes_nothing()
    {
        var ghost = Ids.New("pay_");
        var fresh = Ids.New("pay_");
        var commit = new LedgerCommit(fixture.Tables);
        commit.StartStream(fresh, Payment(fresh));
        commit.AppendToStream(ghost, [Payment(ghost)[2]]);
        await using (var connection = await fixture.Open())
        {
            var act = () => commit.ExecuteAsync(connection, CancellationToken.None);
            await act.Should().ThrowAsync<PostgresException>();
        }

        (await Count("select count(*) from ledger.mt_events where stream_id in (@id)", fresh)).Should().Be(0);
        (await Count("select count(*) from ledger.mt_streams where id = @id", fresh)).Should().Be(0);
    }

    [Fact]
    public async Task starting_a_stream_that_already_exists_fails_the_batch()
    {
        var id = Ids.New("pay_");
        var commit = new LedgerCommit(fixture.Tables);
        commit.StartStream(id, Payment(id)[..1]);
        await using (var connection = await fixture.Open())
        {
            await commit.ExecuteAsync(connection, CancellationToken.None);
        }

        var again = new LedgerCommit(fixture.Tables);
        again.StartStream(id, Payment(id)[1..]);
        await using (var connection = await fixture.Open())
        {
            var act = () => again.ExecuteAsync(connection, CancellationToken.None);
            (await act.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(PostgresErrorCodes.UniqueViolation);
        }

        (await Count("select count(*) from ledger.mt_events where stream_id = @id", id)).Should().Be(1);
    }

    [Fact]
    public async Task a_stale_fence_refuses_the_whole_batch()
    {
        var id = Ids.New("pay_");
        await using (var connection = await fixture.Open())
        await using (var seed = new NpgsqlCommand("insert into ledger.shard_versions (shard, version) values (77, 5) on conflict (shard) do update set version = 5", connection))
        {
            await seed.ExecuteNonQueryAsync();
        }

        var commit = new LedgerCommit(fixture.Tables);
        commit.Fence(77, expected: 4);
        commit.StartStream(id, Payment(id));
        await using (var connection = await fixture.Open())
        {
            var act = () => commit.ExecuteAsync(connection, CancellationToken.None);
            (await act.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(LedgerSql.FencedSqlState);
        }

        (await Count("select count(*) from ledger.mt_streams where id = @id", id)).Should().Be(0);
    }

    [Fact]
    public async Task a_claimed_key_held_by_a_live_record_rolls_the_whole_batch_back_and_an_expired_one_is_replaced()
    {
        var live = "idem_" + Guid.NewGuid().ToString("N");
        var expired = "idem_" + Guid.NewGuid().ToString("N");
        var first = new LedgerCommit(fixture.Tables);
        first.ClaimKeys(T0, T0.AddHours(48), [live], ["hash-1"], [201], ["/v1/withdrawals/1"], ["{\"first\":true}"]);
        first.ClaimKeys(T0.AddDays(-3), T0.AddDays(-1), [expired], ["old"], [201], [null], ["{}"]);
        await using (var connection = await fixture.Open())
        {
            await first.ExecuteAsync(connection, CancellationToken.None);
        }

        // The live key again, with a payment: nothing of the batch is written, the stored answer is untouched.
        var payment = Ids.New("pay_");
        var collide = new LedgerCommit(fixture.Tables);
        collide.StartStream(payment, Payment(payment));
        collide.ClaimKeys(T0.AddMinutes(1), T0.AddHours(49), [live, Ids.New("idem_")], ["hash-2", "hash-3"], [201, 201], [null, null], ["{}", "{}"]);
        await using (var connection = await fixture.Open())
        {
            var act = () => collide.ExecuteAsync(connection, CancellationToken.None);
            await act.Should().ThrowAsync<IdempotencyKeyTakenException>();
        }

        (await Count("select count(*) from ledger.mt_streams where id = @id", payment)).Should().Be(0);
        (await Count("select count(*) from ledger.idempotency_keys where id = @id and request_hash = 'hash-1'", live)).Should().Be(1);

        // The expired key (not yet purged) is a new request's to take.
        var reclaim = new LedgerCommit(fixture.Tables);
        reclaim.ClaimKeys(T0, T0.AddHours(48), [expired], ["new"], [201], [null], ["{}"]);
        await using (var connection = await fixture.Open())
        {
            await reclaim.ExecuteAsync(connection, CancellationToken.None);
        }

        (await Count("select count(*) from ledger.idempotency_keys where id = @id and request_hash = 'new'", expired)).Should().Be(1);
    }
}
