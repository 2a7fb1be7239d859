using JasperFx;
using Ledger.Domain.Accounts;
using Ledger.Projections.Store;
using Ledger.Testing;
using Marten;

namespace Ledger.Projections.Tests;

public sealed class StoreFixture : IAsyncLifetime
{
    public DocumentStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        var connectionString = await server.CreateDatabaseAsync(nameof(account_state_projection));
        Store = DocumentStore.For(opts => LedgerStore.Configure(opts, connectionString));
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();
}

public class account_state_projection(StoreFixture fixture) : IClassFixture<StoreFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private static AccountOpened Opened(string id) =>
        new(id, "alice", "alice" + id[^6..], new Protected("c1", "f1"), new Protected("c2", "f2"), AccountStatus.Active, T0);

    [Fact]
    public async Task the_inline_snapshot_equals_the_domain_fold_and_commits_with_the_events()
    {
        var id = Ids.NewAccountId();
        AccountEvent[] events =
        [
            Opened(id),
            new AccountNameChanged(id, new Protected("c3", "f3"), T0.AddMinutes(1)),
            new AccountSuspended(id, "sam", T0.AddMinutes(2)),
        ];
        await using (var session = fixture.Store.LightweightSession())
        {
            session.Events.StartStream<AccountState>(id, events.Cast<object>().ToArray());
            await session.SaveChangesAsync();
        }

        await using var query = fixture.Store.QuerySession();
        var snapshot = await query.LoadAsync<AccountState>(id);
        snapshot.Should().Be(AccountDecider.Fold(events));
        var live = await query.Events.AggregateStreamAsync<AccountState>(id);
        live.Should().Be(snapshot);
    }

    [Fact]
    public async Task a_writer_holding_an_old_version_is_fenced()
    {
        var id = Ids.NewAccountId();
        await using (var session = fixture.Store.LightweightSession())
        {
            session.Events.StartStream<AccountState>(id, Opened(id));
            await session.SaveChangesAsync();
        }

        await using var first = fixture.Store.LightweightSession();
        await using var second = fixture.Store.LightweightSession();
        var a = await first.Events.FetchForWriting<AccountState>(id);
        var b = await second.Events.FetchForWriting<AccountState>(id);
        a.AppendOne(new AccountNameChanged(id, new Protected("a", "a"), T0));
        b.AppendOne(new AccountNameChanged(id, new Protected("b", "b"), T0));
        await first.SaveChangesAsync();

        await FluentActions.Awaiting(() => second.SaveChangesAsync()).Should().ThrowAsync<ConcurrencyException>();
        await using var query = fixture.Store.QuerySession();
        (await query.LoadAsync<AccountState>(id))!.Name.Cipher.Should().Be("a");
        (await query.Events.FetchStreamStateAsync(id))!.Version.Should().Be(2);
    }

    [Fact]
    public async Task stored_event_names_are_the_explicit_versioned_ones()
    {
        var id = Ids.NewAccountId();
        await using (var session = fixture.Store.LightweightSession())
        {
            session.Events.StartStream<AccountState>(id, Opened(id), new AccountClosed(id, "alice", T0));
            await session.SaveChangesAsync();
        }

        await using var query = fixture.Store.QuerySession();
        var events = await query.Events.FetchStreamAsync(id);
        events.Select(e => e.EventTypeName).Should().Equal("account_opened.v1", "account_closed.v1");
    }
}
