namespace Ledger.Api.Tests.Accounts;

public class concurrent_creates_hosts : ApiHosts;

public class concurrent_creates_with_one_username(concurrent_creates_hosts hosts) : IClassFixture<concurrent_creates_hosts>
{
    [Fact]
    public async Task exactly_one_succeeds_and_the_rest_are_409()
    {
        for (var round = 0; round < 5; round++)
        {
            var username = AccountFixtures.UniqueUsername("race");
            var clients = Enumerable.Range(0, 12).Select(i => hosts.ClientFor($"racer{i}")).ToList();
            using var start = new ManualResetEventSlim();
            var attempts = clients.Select((c, i) => Task.Run(async () =>
            {
                start.Wait();
                return await c.PostJsonAsync("/v1/accounts", new { username = i % 2 == 0 ? username : username.ToUpperInvariant(), name = "Racer", email = "r@example.com" });
            })).ToList();
            start.Set();
            var responses = await Task.WhenAll(attempts);

            responses.Count(r => r.StatusCode == HttpStatusCode.Created).Should().Be(1);
            responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).Should().Be(11);
            (await Db.ScalarAsync<long>(hosts.ConnectionString,
                "select count(*) from ledger.mt_doc_accountstate where data->>'username' = @p", username)).Should().Be(1);
            clients.ForEach(c => c.Dispose());
        }
    }
}
