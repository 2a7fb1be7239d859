using Ledger.Projections.Audit;
using Npgsql;
using static Ledger.Api.Tests.Audit.AuditFixtures;

namespace Ledger.Api.Tests.Audit;

public class verifying_hosts : ApiHosts;

/// <summary>
/// SPEC "audit": the log is chained by hashes and signed checkpoints; verify names the first edited, deleted,
/// inserted or reordered event. Each test tampers as a superuser would (triggers off), checks verify's answer, then
/// puts the log back and checks it verifies again — the tests share one history.
/// </summary>
public class verifying_the_event_log(verifying_hosts hosts) : IClassFixture<verifying_hosts>, IAsyncLifetime
{
    private LedgerClient _auditor = null!;

    public async Task InitializeAsync()
    {
        _auditor = hosts.ClientFor("auditor-1", "auditor");
        if (await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_events where type = 'funds_withdrawn.v1'") == 0)
        {
            using var alice = hosts.ClientFor("alice");
            await Money.MoneyFixtures.FundedAccountAsync(alice);
            // A number drawn and never used: a gap like a rolled-back batch leaves, inside what will be sealed.
            await Db.ScalarAsync<long>(hosts.ConnectionString, "select nextval('ledger.mt_events_sequence')");
            await SomeHistoryAsync(hosts);
        }

        var report = await SealedAndVerifiedAsync(_auditor);
        report.GetProperty("valid").GetBoolean().Should().BeTrue(report.ToString());
    }

    public Task DisposeAsync()
    {
        _auditor.Dispose();
        return Task.CompletedTask;
    }

    private async Task<System.Text.Json.JsonElement> VerifyAsync()
    {
        var response = await _auditor.GetAsync("/v1/audit/verify");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return await response.JsonAsync();
    }

    private async Task ShouldFailAtAsync(long sequence, string reason)
    {
        var report = await VerifyAsync();
        report.GetProperty("valid").GetBoolean().Should().BeFalse(report.ToString());
        report.GetProperty("firstInvalidSequence").GetInt64().Should().Be(sequence, report.ToString());
        report.GetProperty("reason").GetString().Should().Be(reason);
    }

    private async Task ShouldBeValidAgainAsync()
    {
        var report = await VerifyAsync();
        report.GetProperty("valid").GetBoolean().Should().BeTrue(report.ToString());
    }

    [Fact]
    public async Task an_untouched_log_verifies_and_every_event_is_checked()
    {
        var report = await VerifyAsync();
        var events = await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_events");
        report.GetProperty("checked").GetInt64().Should().Be(events);
        report.GetProperty("sealedThrough").GetInt64().Should().Be(await Db.ScalarAsync<long>(hosts.ConnectionString, "select max(seq_id) from ledger.mt_events"));
        report.TryGetProperty("firstInvalidSequence", out _).Should().BeFalse();
    }

    [Fact]
    public async Task an_edited_event_is_named()
    {
        var seq = await SequenceOfAsync(hosts.ConnectionString, "type = 'funds_withdrawn.v1'");
        var original = await Db.ScalarAsync<string>(hosts.ConnectionString, "select data::text from ledger.mt_events where seq_id = @p", seq);
        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, "update ledger.mt_events set data = jsonb_set(data, '{amount}', '1') where seq_id = @s", ("s", seq));

        await ShouldFailAtAsync(seq, ChainFaults.EventModified);

        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, "update ledger.mt_events set data = @d::jsonb where seq_id = @s", ("s", seq), ("d", original));
        await ShouldBeValidAgainAsync();
    }

    [Fact]
    public async Task a_deleted_event_is_named()
    {
        var seq = await SequenceOfAsync(hosts.ConnectionString, "type = 'payment_completed.v1'");
        await Db.ExecuteAsync(hosts.ConnectionString, $"create table public.kept_event as select * from ledger.mt_events where seq_id = {seq}");
        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, "delete from ledger.mt_events where seq_id = @s", ("s", seq));

        await ShouldFailAtAsync(seq, ChainFaults.EventDeleted);

        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, "insert into ledger.mt_events select * from public.kept_event");
        await Db.ExecuteAsync(hosts.ConnectionString, "drop table public.kept_event");
        await ShouldBeValidAgainAsync();
    }

    [Fact]
    public async Task an_event_written_into_the_past_is_named()
    {
        // The gap left by the unused sequence number, inside the sealed range.
        var gap = await Db.ScalarAsync<long>(hosts.ConnectionString, """
            select s from generate_series(1, (select max(seq_id) from ledger.event_hashes)) s
            where not exists (select 1 from ledger.mt_events where seq_id = s) order by s limit 1
            """);
        var source = await SequenceOfAsync(hosts.ConnectionString, "type = 'funds_deposited.v1'");
        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, """
            insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived)
            select @gap, gen_random_uuid(), stream_id, version + 1000, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived
            from ledger.mt_events where seq_id = @source
            """, ("gap", gap), ("source", source));

        await ShouldFailAtAsync(gap, ChainFaults.EventInserted);

        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, "delete from ledger.mt_events where seq_id = @gap", ("gap", gap));
        await ShouldBeValidAgainAsync();
    }

    [Fact]
    public async Task two_events_swapped_are_caught_at_the_first()
    {
        var first = await SequenceOfAsync(hosts.ConnectionString, "type = 'payment_initiated.v1'");
        var second = await SequenceOfAsync(hosts.ConnectionString, $"type = 'payment_initiated.v1' and seq_id > {first}");
        const string swap = """
            update ledger.mt_events e set data = o.data
            from ledger.mt_events o
            where (e.seq_id, o.seq_id) in ((@a, @b), (@b, @a))
            """;
        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, swap, ("a", first), ("b", second));

        await ShouldFailAtAsync(first, ChainFaults.EventModified);

        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, swap, ("a", first), ("b", second));
        await ShouldBeValidAgainAsync();
    }

    [Fact]
    public async Task rehashing_the_chain_after_an_edit_is_caught_by_the_signed_checkpoints()
    {
        // The attacker edits an event and recomputes every later hash (SHA-256 needs no key): the chain links hold,
        // the HMAC-signed checkpoints do not.
        var seq = await SequenceOfAsync(hosts.ConnectionString, "type = 'funds_withdrawn.v1'");
        var original = await Db.ScalarAsync<string>(hosts.ConnectionString, "select data::text from ledger.mt_events where seq_id = @p", seq);
        await Db.ExecuteAsync(hosts.ConnectionString, $"create table public.kept_hashes as select * from ledger.event_hashes where seq_id >= {seq}");
        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, "update ledger.mt_events set data = jsonb_set(data, '{amount}', '1') where seq_id = @s", ("s", seq));
        await RehashFromAsync(seq);
        var checkpoint = await Db.ScalarAsync<long>(hosts.ConnectionString, "select min(seq_id) from ledger.chain_checkpoints where seq_id >= @p", seq);

        await ShouldFailAtAsync(checkpoint, ChainFaults.CheckpointMismatch);

        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, "update ledger.mt_events set data = @d::jsonb where seq_id = @s", ("s", seq), ("d", original));
        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString,
            "update ledger.event_hashes h set hash = k.hash, prev_hash = k.prev_hash from public.kept_hashes k where k.seq_id = h.seq_id");
        await Db.ExecuteAsync(hosts.ConnectionString, "drop table public.kept_hashes");
        await ShouldBeValidAgainAsync();
    }

    [Fact]
    public async Task the_application_connection_cannot_rewrite_events_hashes_or_checkpoints()
    {
        var seq = await SequenceOfAsync(hosts.ConnectionString, "type = 'funds_deposited.v1'");
        string[] statements =
        [
            $"update ledger.mt_events set data = jsonb_set(data, '{{amount}}', '1') where seq_id = {seq}",
            $"delete from ledger.mt_events where seq_id = {seq}",
            "truncate ledger.mt_events cascade",
            $"update ledger.event_hashes set hash = prev_hash where seq_id = {seq}",
            $"delete from ledger.event_hashes where seq_id = {seq}",
            "delete from ledger.chain_checkpoints",
            "truncate ledger.event_hashes",
        ];
        await using var connection = new NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var act = () => command.ExecuteNonQueryAsync();
            (await act.Should().ThrowAsync<PostgresException>(sql)).Which.SqlState.Should().Be(AuditSql.AppendOnlySqlState);
        }

        await ShouldBeValidAgainAsync();
    }

    private async Task RehashFromAsync(long seq)
    {
        await using var connection = new NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        byte[] previous;
        await using (var prev = new NpgsqlCommand("select prev_hash from ledger.event_hashes where seq_id = @s", connection))
        {
            prev.Parameters.AddWithValue("s", seq);
            previous = (byte[])(await prev.ExecuteScalarAsync())!;
        }

        var rehashed = new List<(long Seq, byte[] Hash, byte[] Prev)>();
        await using (var read = new NpgsqlCommand(
            "select seq_id, id, stream_id, version, type, timestamp, data::text from ledger.mt_events where seq_id >= @s and seq_id <= (select max(seq_id) from ledger.event_hashes) order by seq_id", connection))
        {
            read.Parameters.AddWithValue("s", seq);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var hash = HashChain.Hash(previous, AuditReader.Event(reader, 0));
                rehashed.Add((reader.GetInt64(0), hash, previous));
                previous = hash;
            }
        }

        foreach (var (s, hash, prevHash) in rehashed)
        {
            await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, "update ledger.event_hashes set hash = @h, prev_hash = @p where seq_id = @s",
                ("h", hash), ("p", prevHash), ("s", s));
        }
    }
}
