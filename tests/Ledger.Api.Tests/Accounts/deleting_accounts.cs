using System.Diagnostics;
using Npgsql;

namespace Ledger.Api.Tests.Accounts;

public class deleting_accounts_hosts : ApiHosts;

/// <summary>SPEC "Accounts" DELETE: close, crypto-shred, 404 to the owner, redacted to auditors, nothing left to find.</summary>
public class deleting_accounts(deleting_accounts_hosts hosts) : IClassFixture<deleting_accounts_hosts>
{
    [Fact]
    public async Task after_delete_nothing_in_the_database_or_the_logs_reveals_the_name_or_email()
    {
        using var owner = hosts.ClientFor("carol");
        using var auditor = hosts.ClientFor("audrey", "auditor");
        var marker = Guid.NewGuid().ToString("N")[..10];
        var name = $"Carol Shredme {marker}";
        var email = $"carol.{marker}@shred.example";
        var (id, _) = await AccountFixtures.CreateAsync(owner, name: name, email: email);
        (await owner.PatchJsonAsync($"/v1/accounts/{id}", new { name = name + " Jr", email = "jr." + email })).StatusCode.Should().Be(HttpStatusCode.OK);
        (await (await owner.GetAsync($"/v1/accounts/{id}")).JsonAsync()).GetProperty("name").GetString().Should().Be(name + " Jr");

        // At rest the personal data is only ever ciphertext, even before the delete.
        (await DumpDatabaseAsync()).Should().NotContain(marker);

        var delete = await owner.DeleteAsync($"/v1/accounts/{id}");
        delete.StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await owner.GetAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await owner.PatchJsonAsync($"/v1/accounts/{id}", new { name = "Back" })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await owner.DeleteAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var audited = await auditor.GetAsync($"/v1/accounts/{id}");
        audited.StatusCode.Should().Be(HttpStatusCode.OK);
        var view = await audited.JsonAsync();
        view.GetProperty("name").GetString().Should().Be("[redacted]");
        view.GetProperty("email").GetString().Should().Be("[redacted]");
        view.GetProperty("status").GetString().Should().Be("closed");

        // The key is gone, and with it every way back to the plaintext.
        (await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger_keys.mt_doc_personkey where id = @p", id)).Should().Be(0);
        var dump = await DumpDatabaseAsync();
        dump.Should().Contain(id, "the ledger history stays");
        dump.Should().NotContain(marker);
        hosts.Logs.Lines.Should().NotContain(line => line.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task the_history_stays_and_stays_balanced_as_events()
    {
        using var owner = hosts.ClientFor("dave");
        var (id, _) = await AccountFixtures.CreateAsync(owner);
        (await owner.DeleteAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var count = await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_events where stream_id = @p", id);
        count.Should().Be(3, "opened, closed, personal data erased");
    }

    [Fact]
    public async Task a_stale_if_match_on_delete_is_412()
    {
        using var owner = hosts.ClientFor("erin");
        var (id, etag) = await AccountFixtures.CreateAsync(owner);
        (await owner.PatchJsonAsync($"/v1/accounts/{id}", new { name = "Erin 2" })).StatusCode.Should().Be(HttpStatusCode.OK);
        (await owner.DeleteAsync($"/v1/accounts/{id}", etag)).StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        (await owner.GetAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    /// <summary>The whole database as pg_dump sees it: every schema, table and row.</summary>
    private async Task<string> DumpDatabaseAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(hosts.ConnectionString);
        var start = new ProcessStartInfo(Path.Combine(PostgresServer.BinDirectory, "pg_dump"),
            $"-h {builder.Host} -p {builder.Port} -U {builder.Username} --no-owner {builder.Database}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, await error);
        var dump = await output;
        dump.Should().Contain("mt_events", "the dump must include the event table for the search to mean anything");
        return dump;
    }
}
