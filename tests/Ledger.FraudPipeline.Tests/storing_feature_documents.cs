using System.Text.Json;
using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Tests;

/// <summary>
/// Feature documents are rewritten on every payment, so they hold panes and a counterparty map, stored compactly
/// (<c>[start, currency, count, sum]</c>, <c>[id, unix ms]</c>); documents with the older per-payment lists still read
/// and are folded into the new form. Serialized with the options the ledger's Marten store uses (System.Text.Json,
/// camelCase).
/// </summary>
public class storing_feature_documents
{
    private static readonly JsonSerializerOptions Marten = new(JsonSerializerDefaults.Web);

    private static readonly DateTimeOffset T = new(2026, 11, 25, 10, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void panes_and_counterparties_round_trip_in_the_compact_form()
    {
        var doc = new AccountFeatures { Id = "acc_a", OpenedAt = T.AddDays(-3) };
        FeatureExtractor.Observe(doc, new AccountFeatures { Id = "acc_b" }, new PaymentFacts("pay_1", "acc_a", "acc_b", 1_234, "USD", "USD", "personal", T));
        FeatureExtractor.Observe(new AccountFeatures { Id = "Acc_C" }, doc, new PaymentFacts("pay_2", "Acc_C", "acc_a", 50, "JPY", "JPY", "personal", T.AddMinutes(1)));

        var json = JsonSerializer.Serialize(doc, Marten);
        var back = JsonSerializer.Deserialize<AccountFeatures>(json, Marten)!;

        json.Should().Contain($"\"seconds\":[[{T.ToUnixTimeSeconds()},\"USD\",1,12.34]]");
        json.Should().Contain($"\"paidBy\":[[\"Acc_C\",{T.AddMinutes(1).ToUnixTimeMilliseconds()}]]", "ids are kept exactly as written");
        json.Should().NotContain("\"sent\"").And.NotContain("\"received\"");
        back.Should().BeEquivalentTo(doc);
    }

    [Fact]
    public void documents_with_the_older_per_payment_lists_are_read_and_folded_into_panes()
    {
        var compact = $$$"""{"id":"acc_a","sent":[[{{{T.AddMinutes(-5).ToUnixTimeMilliseconds()}}},5,"USD","acc_c"],[{{{T.ToUnixTimeMilliseconds()}}},12.34,"USD","acc_b"]],"received":[[{{{T.ToUnixTimeMilliseconds()}}},1,"USD","acc_d"]],"payees":["acc_b"],"sentStats":{}}""";
        var objects = """{"id":"acc_a","sent":[{"at":"2026-11-25T10:00:00.123+00:00","amount":12.34,"currency":"USD","counterparty":"acc_b"}],"received":[],"payees":["acc_b"],"sentStats":{}}""";

        var doc = FeatureExtractor.Upgrade(JsonSerializer.Deserialize<AccountFeatures>(compact, Marten)!);
        var older = FeatureExtractor.Upgrade(JsonSerializer.Deserialize<AccountFeatures>(objects, Marten)!);

        (doc.SentPanes.Count(T, TimeSpan.FromMinutes(1)), doc.SentPanes.Count(T, TimeSpan.FromHours(1))).Should().Be((1L, 2L));
        doc.SentPanes.Sum(T, TimeSpan.FromHours(1), "USD").Should().BeApproximately(17.34, 1e-9);
        doc.PaidBy.Should().Equal(new Dictionary<string, long> { ["acc_d"] = T.ToUnixTimeMilliseconds() });
        (doc.Sent, doc.Received).Should().Be((null, null), "folded, and never written again");
        older.SentPanes.Count(T, TimeSpan.FromMinutes(1)).Should().Be(1);
        older.Payees.Should().Equal("acc_b");
    }

    [Theory]
    [InlineData("""{"id":"acc_a","sent":[[1,2,"USD","acc_b","extra"]]}""")]
    [InlineData("""{"id":"acc_a","sentPanes":{"seconds":[[1,"USD",1]]}}""")]
    [InlineData("""{"id":"acc_a","paidBy":[["acc_b",1,2]]}""")]
    public void a_malformed_entry_is_refused_not_misread(string json)
    {
        var act = () => JsonSerializer.Deserialize<AccountFeatures>(json, Marten);

        act.Should().Throw<JsonException>();
    }
}
