using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Statements;

public sealed class statement_access_hosts : StatementHostsBase;

/// <summary>Owners read their own statements; support, auditors and regulators read every account's; analysts none.</summary>
public class who_reads_statements(statement_access_hosts hosts) : IClassFixture<statement_access_hosts>
{
    private static string[] Urls(string account) =>
    [
        $"/v1/accounts/{account}/statement",
        $"/v1/accounts/{account}/statement?from=2020-01-01T00:00:00Z",
        $"/v1/accounts/{account}/balances?asOf={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}",
    ];

    [Fact]
    public async Task owners_and_readers_of_everything_get_statements_others_get_404()
    {
        using var owner = hosts.ClientFor("acc-owner");
        var account = await FundedAccountAsync(owner, "25.00");

        foreach (var (subject, role) in new[] { ("acc-owner", "customer"), ("acc-support", "support"), ("acc-auditor", "auditor"), ("acc-regulator", "regulator") })
        {
            using var client = hosts.ClientFor(subject, role);
            foreach (var url in Urls(account))
            {
                (await client.GetAsync(url)).StatusCode.Should().Be(HttpStatusCode.OK, $"{role} {url}");
            }
        }

        // Another customer, a partner and an analyst (aggregates only) cannot tell the account exists.
        foreach (var (subject, role) in new[] { ("acc-other", "customer"), ("acc-partner", "partner"), ("acc-analyst", "analyst") })
        {
            using var client = hosts.ClientFor(subject, role);
            foreach (var url in Urls(account).Append("/v1/accounts/acc_0000000000000000000000000000000/statement"))
            {
                var response = await client.GetAsync(url);
                response.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{role} {url}");
                (await response.ProblemCodeAsync()).Should().Be("not_found");
            }
        }

        using var anonymous = hosts.ClientFor(null);
        (await anonymous.GetAsync(Urls(account)[0])).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task a_deleted_account_keeps_its_statement_for_auditors_with_personal_data_redacted()
    {
        using var owner = hosts.ClientFor("erased-owner");
        var (account, _) = await AccountFixtures.CreateAsync(owner, name: "Dora Erased", email: "dora@example.com");
        await DepositAsync(owner, account, "12.50");
        var withdrawn = await owner.PostWithKeyAsync("/v1/withdrawals", new { accountId = account, amount = Amount("12.50"), reference = "closing" });
        withdrawn.StatusCode.Should().Be(HttpStatusCode.Created, await withdrawn.Content.ReadAsStringAsync());
        (await owner.DeleteAsync($"/v1/accounts/{account}")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await owner.GetAsync($"/v1/accounts/{account}/statement")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        foreach (var accept in new[] { "application/json", "text/csv", "application/pdf" })
        {
            using var auditor = hosts.ClientFor("erased-auditor", "auditor");
            var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/accounts/{account}/statement");
            request.Headers.Accept.ParseAdd(accept);
            var response = await auditor.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.OK, accept);
            if (accept == "application/json")
            {
                var json = await response.JsonAsync();
                json.GetProperty("name").GetString().Should().Be("[redacted]");
                var usd = json.GetProperty("currencies")[0];
                usd.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).Should().Equal("deposit", "withdrawal");
                usd.GetProperty("closing").GetProperty("total").GetString().Should().Be("0.00");
            }
            else if (accept == "application/pdf")
            {
                using var pdf = UglyToad.PdfPig.PdfDocument.Open(await response.Content.ReadAsByteArrayAsync());
                var text = string.Join(' ', pdf.GetPages().SelectMany(p => p.GetWords()).Select(w => w.Text));
                text.Should().Contain("[redacted]").And.NotContain("Dora");
            }
            else
            {
                (await response.Content.ReadAsStringAsync()).Should().Contain("deposit").And.NotContain("Dora");
            }
        }

        hosts.Logs.Lines.Should().NotContain(l => l.Contains("Dora Erased") || l.Contains("dora@example.com"), "PII never reaches the logs");
    }
}
