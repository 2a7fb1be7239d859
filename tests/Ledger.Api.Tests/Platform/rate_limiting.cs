namespace Ledger.Api.Tests.Platform;

public class rate_limited_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
    [
        new("RateLimiting:PermitsPerSecond", "1"),
        new("RateLimiting:Burst", "3"),
    ];
}

public class rate_limiting(rate_limited_hosts hosts) : IClassFixture<rate_limited_hosts>
{
    [Fact]
    public async Task a_subject_over_its_budget_gets_429_with_retry_after_and_others_do_not()
    {
        using var greedy = hosts.ClientFor("greedy");
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            responses.Add(await greedy.GetAsync("/v1/accounts/acc_00000000000000000000000000000000"));
        }

        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        limited.Should().NotBeEmpty("a burst of 3 and 1 per second cannot serve 6 requests at once");
        limited[0].Headers.RetryAfter!.Delta.Should().BeGreaterThan(TimeSpan.Zero);
        (await limited[0].ProblemCodeAsync()).Should().Be("rate_limited");

        using var polite = hosts.ClientFor("polite");
        (await polite.GetAsync("/v1/accounts/acc_00000000000000000000000000000000")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
