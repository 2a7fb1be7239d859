using Ledger.CommandApi.Accounts;
using Ledger.QueryApi.Accounts;

namespace Ledger.Api.Tests;

/// <summary>CommandApi + QueryApi on a database of the test class's own (the subclass name names the database).</summary>
public class ApiHosts : LedgerHosts<CreateAccountRequest, AccountViewCache>
{
    /// <summary>More than one shard everywhere, so cross-shard paths run in every test class. Payments are decided by
    /// the synchronous rules unless a class says otherwise: these hosts run no fraud pipeline (the fraud tests do).</summary>
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Engine:Shards", "4"), new("Risk:Decider", "rules"), .. MoreSettings];

    protected virtual IEnumerable<KeyValuePair<string, string?>> MoreSettings => [];

    public Ledger.CommandApi.Engine.LedgerEngine Engine =>
        (Ledger.CommandApi.Engine.LedgerEngine)Command.Services.GetService(typeof(Ledger.CommandApi.Engine.LedgerEngine))!;
}

public static class AccountFixtures
{
    private static int _counter;

    /// <summary>A username nobody else in the run has.</summary>
    public static string UniqueUsername(string stem = "user") =>
        $"{stem}{Interlocked.Increment(ref _counter)}{Guid.NewGuid().ToString("N")[..6]}";

    public static async Task<(string Id, string ETag)> CreateAsync(LedgerClient client, string? username = null, string name = "Alice Liddell", string email = "alice@example.com")
    {
        var response = await client.PostJsonAsync("/v1/accounts", new { username = username ?? UniqueUsername(), name, email });
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var json = await response.JsonAsync();
        return (json.GetProperty("id").GetString()!, response.Headers.ETag!.Tag);
    }
}
