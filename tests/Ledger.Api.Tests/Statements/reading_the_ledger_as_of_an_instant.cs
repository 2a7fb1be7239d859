using System.Globalization;
using System.Text.Json;
using CsvHelper;
using Npgsql;
using UglyToad.PdfPig;

namespace Ledger.Api.Tests.Statements;

public sealed class as_of_hosts : StatementHostsBase
{
    private readonly Lazy<Task<StatementHistory>> _history;

    public as_of_hosts() => _history = new(() => StatementHistory.BuildAsync(this));

    /// <summary>Built once for the class: every test reads the same history.</summary>
    public Task<StatementHistory> History => _history.Value;
}

/// <summary>SPEC "History, statements, audit": balances, statements and the trial balance as the ledger stood at an instant.</summary>
public class reading_the_ledger_as_of_an_instant(as_of_hosts hosts) : IClassFixture<as_of_hosts>
{
    private Task<StatementHistory> History() => hosts.History;

    [Fact]
    public async Task balances_as_of_each_instant_are_the_balances_shown_at_that_instant()
    {
        var history = await History();
        using var auditor = hosts.ClientFor("auditor-1", "auditor");
        foreach (var (at, alice, bob) in history.Steps)
        {
            JsonBalances.Of(await StatementHistory.Balances(auditor, history.Alice, StatementHistory.Iso(at))).Should().BeEquivalentTo(JsonBalances.Of(alice), $"alice at {at:O}");
            JsonBalances.Of(await StatementHistory.Balances(auditor, history.Bob, StatementHistory.Iso(at))).Should().BeEquivalentTo(JsonBalances.Of(bob), $"bob at {at:O}");
        }

        // Spelled out, so the comparison above cannot pass on two empty lists.
        JsonBalances.Of(history.Steps[0].Alice).Should().BeEmpty();
        JsonBalances.Of(history.Steps[1].Alice).Should().Equal(new Dictionary<string, string> { ["USD"] = "100.00/0.00/0.00" });
        JsonBalances.Of(history.Steps[3].Alice)["USD"].Should().Be("80.00/0.00/0.00");
        JsonBalances.Of(history.Steps[3].Bob)["USD"].Should().Be("20.00/0.00/0.00");
        JsonBalances.Of(history.Steps[4].Bob).Should().ContainKey("EUR");
        JsonBalances.Of(history.Steps[3].Bob).Should().NotContainKey("EUR");
        JsonBalances.Of(history.Steps[5].Alice)["USD"].Should().Be("460.00/600.00/0.00", "the payment in review keeps its reserve pending");

        // The owner reads its own history the same way; without asOf the answer is today's.
        using var owner = hosts.ClientFor("st-alice");
        JsonBalances.Of(await StatementHistory.Balances(owner, history.Alice, StatementHistory.Iso(history.Steps[2].At))).Should().BeEquivalentTo(JsonBalances.Of(history.Steps[2].Alice));
        (await StatementHistory.Balances(owner, history.Alice)).Should().Be(history.Steps[5].Alice);
    }

    [Fact]
    public async Task a_statement_opens_at_from_closes_at_as_of_and_its_entries_make_up_the_difference()
    {
        var history = await History();
        using var alice = hosts.ClientFor("st-alice");
        var (from, asOf) = (history.Steps[1].At, history.Steps[5].At);
        var json = await StatementJsonAsync(alice, history.Alice, from, asOf);

        json.GetProperty("accountId").GetString().Should().Be(history.Alice);
        json.GetProperty("name").GetString().Should().Be("Alice Liddell");
        var usd = json.GetProperty("currencies").EnumerateArray().Single(c => c.GetProperty("currency").GetString() == "USD");
        usd.GetProperty("opening").GetProperty("total").GetString().Should().Be("100.00");
        usd.GetProperty("closing").GetProperty("total").GetString().Should().Be("1060.00");
        usd.GetProperty("closing").GetProperty("pending").GetString().Should().Be("600.00");
        var entries = usd.GetProperty("entries").EnumerateArray().ToList();
        entries.Select(e => e.GetProperty("kind").GetString()).Should().Equal("payment", "refund", "payment", "deposit");
        var signed = entries.Select(Signed).ToList();
        signed.Should().Equal(-30.00m, 10.00m, -20.00m, 1000.00m);
        (100.00m + signed.Sum()).Should().Be(1060.00m);
        usd.GetProperty("credits").GetString().Should().Be("1010.00");
        usd.GetProperty("debits").GetString().Should().Be("50.00");

        // The opening of one period is the closing of the one before it.
        var before = await StatementJsonAsync(alice, history.Alice, null, from);
        before.GetProperty("currencies")[0].GetProperty("closing").GetProperty("total").GetString().Should().Be("100.00");
        before.GetProperty("currencies")[0].GetProperty("entries").GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task json_csv_and_pdf_statements_agree_to_the_cent()
    {
        var history = await History();
        using var bob = hosts.ClientFor("st-bob");
        var (from, asOf) = (history.Steps[1].At, history.Steps[5].At);
        var json = await StatementJsonAsync(bob, history.Bob, from, asOf);
        var expected = new List<string>();
        foreach (var c in json.GetProperty("currencies").EnumerateArray())
        {
            var code = c.GetProperty("currency").GetString();
            expected.Add($"opening {code} {c.GetProperty("opening").GetProperty("total").GetString()}");
            expected.AddRange(c.GetProperty("entries").EnumerateArray().Select(e =>
                $"entry {code} {e.GetProperty("id").GetString()!.Split(':')[1]} {Format(Signed(e), code!)} {e.GetProperty("balanceAfter").GetProperty("amount").GetString()}"));
            expected.Add($"closing {code} {c.GetProperty("closing").GetProperty("total").GetString()}");
        }

        expected.Should().Contain(l => l.StartsWith("entry EUR", StringComparison.Ordinal), "bob was paid in EUR");
        expected.Count(l => l.StartsWith("entry USD", StringComparison.Ordinal)).Should().Be(2, "the purchase and the refund; the payment in review has not reached bob");

        var csv = await StatementAsync(bob, history.Bob, from, asOf, "text/csv");
        csv.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        FromCsv(await csv.Content.ReadAsStringAsync()).Should().Equal(expected);

        var pdf = await StatementAsync(bob, history.Bob, from, asOf, "application/pdf");
        pdf.Content.Headers.ContentType!.MediaType.Should().Be("application/pdf");
        FromPdf(await pdf.Content.ReadAsByteArrayAsync()).Should().Equal(expected);
    }

    [Fact]
    public async Task bad_instants_and_a_period_that_ends_before_it_starts_are_refused()
    {
        var history = await History();
        using var alice = hosts.ClientFor("st-alice");
        foreach (var url in new[]
                 {
                     $"/v1/accounts/{history.Alice}/statement?from=yesterday",
                     $"/v1/accounts/{history.Alice}/statement?asOf=2026-13-45T00:00:00Z",
                     $"/v1/accounts/{history.Alice}/statement?from=2026-11-25T10:00:00Z&asOf=2026-11-25T09:00:00Z",
                     $"/v1/accounts/{history.Alice}/balances?asOf=not-a-date",
                     "/v1/ledger/trial-balance?asOf=soon",
                 })
        {
            using var client = url.StartsWith("/v1/ledger", StringComparison.Ordinal) ? hosts.ClientFor("auditor-1", "auditor") : hosts.ClientFor("st-alice");
            var response = await client.GetAsync(url);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, url);
            (await response.ProblemCodeAsync()).Should().Be("validation_failed");
        }
    }

    [Fact]
    public async Task the_trial_balance_balances_per_currency_and_lists_customer_and_system_accounts()
    {
        var history = await History();
        using var auditor = hosts.ClientFor("auditor-1", "auditor");
        foreach (var (at, _, _) in history.Steps.Skip(1).Append((DateTimeOffset.UtcNow, string.Empty, string.Empty)))
        {
            var response = await auditor.GetAsync($"/v1/ledger/trial-balance?asOf={Uri.EscapeDataString(StatementHistory.Iso(at))}");
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var json = await response.JsonAsync();
            json.GetProperty("balanced").GetBoolean().Should().BeTrue();
            var expected = await PostingsAsOfAsync(at);
            foreach (var currency in json.GetProperty("currencies").EnumerateArray())
            {
                var code = currency.GetProperty("currency").GetString()!;
                currency.GetProperty("balanced").GetBoolean().Should().BeTrue();
                currency.GetProperty("totalDebits").GetString().Should().Be(currency.GetProperty("totalCredits").GetString());
                var accounts = currency.GetProperty("accounts").EnumerateArray().ToList();
                accounts.Sum(a => decimal.Parse(a.GetProperty("balance").GetString()!, CultureInfo.InvariantCulture)).Should().Be(0m, $"{code} nets to zero");

                // Every account's balance is the sum of its postings in the raw events up to that instant.
                var listed = accounts.Where(a => a.GetProperty("balance").GetString()!.Trim('0', '.', '-').Length > 0)
                    .ToDictionary(a => a.GetProperty("account").GetString()!, a => a.GetProperty("balance").GetString()!);
                var fromEvents = expected.Where(e => e.Currency == code && e.Minor != 0)
                    .ToDictionary(e => e.Account, e => Ledger.Domain.Money.Amounts.Format(e.Minor, code));
                listed.Should().BeEquivalentTo(fromEvents);
            }
        }

        // Customers in it are today's balances; the system accounts carry the other side.
        var now = await (await auditor.GetAsync("/v1/ledger/trial-balance")).JsonAsync();
        var usd = now.GetProperty("currencies").EnumerateArray().Single(c => c.GetProperty("currency").GetString() == "USD").GetProperty("accounts").EnumerateArray().ToList();
        var alice = usd.Single(a => a.GetProperty("account").GetString() == history.Alice);
        alice.GetProperty("type").GetString().Should().Be("customer");
        alice.GetProperty("credit").GetString().Should().Be("1060.00");
        $"{alice.GetProperty("available").GetString()}/{alice.GetProperty("pending").GetString()}/{alice.GetProperty("held").GetString()}"
            .Should().Be(JsonBalances.Of(await StatementHistory.Balances(auditor, history.Alice))["USD"]);
        usd.Single(a => a.GetProperty("account").GetString() == "sys_settlement").GetProperty("debit").GetString().Should().NotBe("0.00");
        usd.Should().Contain(a => a.GetProperty("account").GetString() == "sys_fx", "the EUR payment sold USD to the fx account");
    }

    [Fact]
    public async Task only_support_auditors_and_regulators_read_the_trial_balance()
    {
        foreach (var role in new[] { "support", "auditor", "regulator" })
        {
            using var client = hosts.ClientFor($"tb-{role}", role);
            (await client.GetAsync("/v1/ledger/trial-balance")).StatusCode.Should().Be(HttpStatusCode.OK, role);
        }

        foreach (var role in new[] { "customer", "partner", "analyst" })
        {
            using var client = hosts.ClientFor($"tb-{role}", role);
            var response = await client.GetAsync("/v1/ledger/trial-balance");
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, role);
            (await response.ProblemCodeAsync()).Should().Be("forbidden");
        }

        using var anonymous = hosts.ClientFor(null);
        (await anonymous.GetAsync("/v1/ledger/trial-balance")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    private async Task<List<(string Account, string Currency, long Minor)>> PostingsAsOfAsync(DateTimeOffset at)
    {
        await using var connection = new NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            select leg->>'account', leg->>'currency', sum((leg->>'amount')::bigint)::bigint
            from ledger.mt_events e, jsonb_array_elements(e.data->'legs') leg where e.timestamp <= @at group by 1, 2
            """, connection);
        command.Parameters.AddWithValue("at", at);
        var rows = new List<(string, string, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return rows;
    }

    private static async Task<HttpResponseMessage> StatementAsync(LedgerClient client, string account, DateTimeOffset? from, DateTimeOffset asOf, string accept)
    {
        var query = $"asOf={Uri.EscapeDataString(StatementHistory.Iso(asOf))}" + (from is { } f ? $"&from={Uri.EscapeDataString(StatementHistory.Iso(f))}" : string.Empty);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/accounts/{account}/statement?{query}");
        request.Headers.Accept.ParseAdd(accept);
        var response = await client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return response;
    }

    private static async Task<JsonElement> StatementJsonAsync(LedgerClient client, string account, DateTimeOffset? from, DateTimeOffset asOf) =>
        await (await StatementAsync(client, account, from, asOf, "application/json")).JsonAsync();

    private static decimal Signed(JsonElement entry)
    {
        var amount = decimal.Parse(entry.GetProperty("amount").GetProperty("amount").GetString()!, CultureInfo.InvariantCulture);
        return entry.GetProperty("direction").GetString() == "debit" ? -amount : amount;
    }

    private static string Format(decimal amount, string currency) =>
        Ledger.Domain.Money.Amounts.Format((long)(amount * Ledger.Domain.Money.Currencies.Get(currency).Factor), currency);

    /// <summary>The CSV read back with a CSV reader: opening, entry and closing records.</summary>
    private static List<string> FromCsv(string text)
    {
        var lines = new List<string>();
        using var reader = CsvReader.FromText(text);
        while (reader.Read())
        {
            var r = Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray();
            lines.Add(r[0] == "entry" ? $"entry {r[1]} {r[2]} {r[8]} {r[9]}" : $"{r[0]} {r[1]} {r[9]}");
        }

        reader.Headers.Should().StartWith(["record", "currency", "seq"]);
        return lines;
    }

    /// <summary>The PDF's text, line by line (words grouped by baseline), parsed for the same records.</summary>
    private static List<string> FromPdf(byte[] pdf)
    {
        var lines = new List<string>();
        using var document = PdfDocument.Open(pdf);
        foreach (var page in document.GetPages())
        {
            var currency = string.Empty;
            var rows = page.GetWords()
                .GroupBy(w => Math.Round(w.BoundingBox.Bottom))
                .OrderByDescending(g => g.Key)
                .Select(g => string.Join(' ', g.OrderBy(w => w.BoundingBox.Left).Select(w => w.Text)));
            foreach (var row in rows)
            {
                var parts = row.Split(' ');
                if (row.StartsWith("Account statement · ", StringComparison.Ordinal))
                {
                    currency = parts[^1];
                }
                else if (row.StartsWith("Opening balance ", StringComparison.Ordinal))
                {
                    lines.Add($"opening {parts[^1]} {parts[^2]}");
                }
                else if (row.StartsWith('#'))
                {
                    lines.Add($"entry {currency} {parts[0][1..]} {parts[^2]} {parts[^1]}");
                }
                else if (row.StartsWith("Closing balance ", StringComparison.Ordinal))
                {
                    // Written in the summary above the entries; kept for after them, where the other formats put it.
                    currency = parts[^1];
                    lines.Add($"closing {parts[^1]} {parts[^2]}");
                }
            }
        }

        // Per currency: opening, entries, closing.
        return lines.GroupBy(l => l.Split(' ')[1])
            .SelectMany(g => g.Where(l => l.StartsWith("opening", StringComparison.Ordinal))
                .Concat(g.Where(l => l.StartsWith("entry", StringComparison.Ordinal)))
                .Concat(g.Where(l => l.StartsWith("closing", StringComparison.Ordinal))))
            .ToList();
    }
}
