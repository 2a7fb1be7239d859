using Ledger.Domain.Accounts;
using Ledger.Projections.Audit;
using Ledger.Projections.Money;
using Marten;
using Npgsql;

namespace Ledger.Projections.Tests;

public sealed class RebuildFixture : AuditStoreFixture
{
    protected override string Name => nameof(rebuilding_projections_from_zero);
}

/// <summary>DESIGN: the event log is the only source of truth; every read model can be rebuilt from it and must match.</summary>
public class rebuilding_projections_from_zero(RebuildFixture fixture) : IClassFixture<RebuildFixture>
{
    private async Task ExecAsync(string sql)
    {
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task balances_account_views_and_volume_deleted_outright_are_rebuilt_from_the_events_and_match()
    {
        var seed = new AuditSeed(fixture.Store);
        await seed.OpenAccountsAsync(6);
        for (var round = 1; round <= 4; round++)
        {
            await seed.MoveMoneyAsync(round);
        }

        await fixture.Sealer().SealAsync(CancellationToken.None);
        var replay = new BalanceReplay(fixture.Store);
        (await replay.RunAsync(null, CancellationToken.None)).Matches.Should().BeTrue("the seeded projections agree with the events");

        IReadOnlyList<AccountBalances> balancesBefore;
        IReadOnlyList<AccountState> viewsBefore;
        List<VolumeRow> volumeBefore;
        await using (var query = fixture.Store.QuerySession())
        {
            balancesBefore = await query.Query<AccountBalances>().OrderBy(b => b.Id).ToListAsync();
            viewsBefore = await query.Query<AccountState>().OrderBy(a => a.Id).ToListAsync();
        }

        await using (var connection = await fixture.OpenAsync())
        {
            volumeBefore = await VolumeProjection.QueryAsync(connection, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow.AddYears(1), daily: false, null, CancellationToken.None);
        }

        balancesBefore.Should().HaveCount(6);
        viewsBefore.Should().HaveCount(6);
        volumeBefore.Should().Contain(v => v.Kind == "payment" && v.Count == 24);

        await ExecAsync("delete from ledger.mt_doc_accountbalances; delete from ledger.mt_doc_accountstate; delete from ledger.volume_hourly");
        var missing = await replay.RunAsync(null, CancellationToken.None);
        missing.Matches.Should().BeFalse("with the documents gone, every balance differs");
        missing.Differences.Should().Contain(d => d.Source == "balances" && d.Field == "available");

        var rebuilt = await ProjectionRebuild.RebuildAllAsync(fixture.Store, CancellationToken.None);

        rebuilt.Rebuilt.Should().BeTrue();
        (await replay.RunAsync(null, CancellationToken.None)).Matches.Should().BeTrue();
        await using (var query = fixture.Store.QuerySession())
        {
            var balancesAfter = await query.Query<AccountBalances>().OrderBy(b => b.Id).ToListAsync();
            balancesAfter.Should().BeEquivalentTo(balancesBefore, o => o.Excluding(b => b.Revision));
            var viewsAfter = await query.Query<AccountState>().OrderBy(a => a.Id).ToListAsync();
            viewsAfter.Should().BeEquivalentTo(viewsBefore);
        }

        await using (var connection = await fixture.OpenAsync())
        {
            var volumeAfter = await VolumeProjection.QueryAsync(connection, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow.AddYears(1), daily: false, null, CancellationToken.None);
            volumeAfter.Should().Equal(volumeBefore);
        }
    }

    [Fact]
    public async Task a_rebuild_fences_every_shard_so_a_running_writer_reloads_instead_of_overwriting()
    {
        await ExecAsync("insert into ledger.shard_versions (shard, version) values (0, 7), (1, 3) on conflict (shard) do update set version = excluded.version");

        await new BalanceReplay(fixture.Store).RebuildAsync(CancellationToken.None);

        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand(Money.LedgerSql.AdvanceShardPositional, connection);
        command.Parameters.AddWithValue(8L);
        command.Parameters.AddWithValue(7L);
        command.Parameters.AddWithValue(0);
        var stale = () => command.ExecuteNonQueryAsync();
        (await stale.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(Money.LedgerSql.FencedSqlState);
    }
}
