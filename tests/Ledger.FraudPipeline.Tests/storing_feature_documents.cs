using System.Text.Json;
using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Tests;

/// <summary>
/// Feature documents are rewritten on every payment, so their recent-payment lists are stored compactly
/// (<c>[unix ms, amount, currency, counterparty]</c>); documents in the older object form still read. Serialized
/// with the options the ledger's Marten store uses (System.Text.Json, camelCase).
/// </summary>
public class storing_feature_documents
{
    private static readonly JsonSerializerOptions Marten = new(JsonSerializerDefaults.Web);

    private static readonly DateTimeOffset T = new(2026, 11, 25, 10, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void recent_payments_round_trip_in_the_compact_form()
    {
        var doc = new AccountFeatures { Id = "acc_a", OpenedAt = T.AddDays(-3) };
        doc.Sent.Add(new RecentPayment(T, 12.34, "USD", "acc_b"));
        doc.Received.Add(new RecentPayment(T.AddMinutes(1), 0.5, "JPY", "acc_c"));

        var json = JsonSerializer.Serialize(doc, Marten);
        var back = JsonSerializer.Deserialize<AccountFeatures>(json, Marten)!;

        json.Should().Contain($"\"sent\":[[{T.ToUnixTimeMilliseconds()},12.34,\"USD\",\"acc_b\"]]");
        back.Sent.Should().Equal(doc.Sent);
        back.Received.Should().Equal(doc.Received);
        back.OpenedAt.Should().Be(doc.OpenedAt);
    }

    [Fact]
    public void documents_written_in_the_older_object_form_are_read()
    {
        var json = """{"id":"acc_a","sent":[{"at":"2026-11-25T10:00:00.123+00:00","amount":12.34,"currency":"USD","counterparty":"acc_b"}],"received":[],"payees":["acc_b"],"sentStats":{}}""";

        var doc = JsonSerializer.Deserialize<AccountFeatures>(json, Marten)!;

        doc.Sent.Should().Equal(new RecentPayment(T, 12.34, "USD", "acc_b"));
        doc.Payees.Should().Equal("acc_b");
    }

    [Fact]
    public void a_malformed_entry_is_refused_not_misread()
    {
        var act = () => JsonSerializer.Deserialize<AccountFeatures>("""{"id":"acc_a","sent":[[1,2,"USD","acc_b","extra"]]}""", Marten);

        act.Should().Throw<JsonException>();
    }
}
