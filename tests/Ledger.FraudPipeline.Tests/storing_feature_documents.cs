using System.Text.Json;
using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Tests;

/// <summary>
/// Feature documents are rewritten on every payment, so they hold panes and counterparty sets, stored compactly
/// (<c>[start, currency, count, sum]</c>; base64 of hashed ids with times); documents in the older forms still read
/// and are folded into the new one. Serialized with the options the ledger's Marten store uses (System.Text.Json,
/// camelCase).
/// </summary>
public class storing_feature_documents
{
    private static readonly JsonSerializerOptions Marten = new(JsonSerializerDefaults.Web);

    private static readonly DateTimeOffset T = new(2026, 11, 25, 10, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void panes_and_counterparty_sets_round_trip_in_the_compact_form()
    {
        var doc = new AccountFeatures { Id = "acc_a", OpenedAt = T.AddDays(-3) };
        FeatureExtractor.Observe(doc, new AccountFeatures { Id = "acc_b" }, new PaymentFacts("pay_1", "acc_a", "acc_b", 1_234, "USD", "USD", "personal", T));
        FeatureExtractor.Observe(new AccountFeatures { Id = "Acc_C" }, doc, new PaymentFacts("pay_2", "Acc_C", "acc_a", 50, "JPY", "JPY", "personal", T.AddMinutes(1)));

        var json = JsonSerializer.Serialize(doc, Marten);
        var back = JsonSerializer.Deserialize<AccountFeatures>(json, Marten)!;

        json.Should().Contain($"\"seconds\":[[{T.ToUnixTimeSeconds()},\"USD\",1,12.34]]");
        json.Should().MatchRegex("\"paidBy\":\"[A-Za-z0-9+/]{16}\"", "one 12-byte record, base64").And.NotContain("Acc_C").And.NotContain("acc_b");
        json.Should().NotContain("\"sent\"").And.NotContain("\"received\"").And.NotContain("\"payees\"");
        back.Should().BeEquivalentTo(doc, o => o.Excluding(d => d.PaidBy).Excluding(d => d.PaidTo));
        (back.PaidBy.Contains("Acc_C"), back.PaidBy.Contains("acc_c"), back.PaidBy.Count).Should().Be((true, false, 1), "ids are case-sensitive");
        back.PaidBy.SeenWithin(T, T.AddMinutes(1)).Should().Be(1);
        back.PaidBy.SeenWithin(T.AddMinutes(1), T.AddMinutes(2)).Should().Be(0, "seen at T+1 min, which that window excludes");
        (back.PaidTo.Contains("acc_b"), back.PaidTo.Count).Should().Be((true, 1));
    }

    [Fact]
    public void documents_in_the_older_forms_are_read_and_folded_into_panes_and_sets()
    {
        var compact = $$$"""{"id":"acc_a","sent":[[{{{T.AddMinutes(-5).ToUnixTimeMilliseconds()}}},5,"USD","acc_c"],[{{{T.ToUnixTimeMilliseconds()}}},12.34,"USD","acc_b"]],"received":[[{{{T.ToUnixTimeMilliseconds()}}},1,"USD","acc_d"]],"payees":["acc_b"],"sentStats":{}}""";
        var objects = """{"id":"acc_a","sent":[{"at":"2026-11-25T10:00:00.123+00:00","amount":12.34,"currency":"USD","counterparty":"acc_b"}],"received":[],"payees":["acc_b"],"sentStats":{}}""";

        var doc = FeatureExtractor.Upgrade(JsonSerializer.Deserialize<AccountFeatures>(compact, Marten)!);
        var older = FeatureExtractor.Upgrade(JsonSerializer.Deserialize<AccountFeatures>(objects, Marten)!);

        (doc.SentPanes.Count(T, TimeSpan.FromMinutes(1)), doc.SentPanes.Count(T, TimeSpan.FromHours(1))).Should().Be((1L, 2L));
        doc.SentPanes.Sum(T, TimeSpan.FromHours(1), "USD").Should().BeApproximately(17.34, 1e-9);
        (doc.PaidBy.Count, doc.PaidBy.SeenWithin(T.AddSeconds(-1), T)).Should().Be((1, 1));
        doc.PaidBy.Contains("acc_d").Should().BeTrue();
        (doc.Sent, doc.Received, doc.Payees).Should().Be((null, null, null), "folded, and never written again");
        older.SentPanes.Count(T, TimeSpan.FromMinutes(1)).Should().Be(1);
        (older.PaidTo.Contains("acc_b"), older.PaidTo.Count).Should().Be((true, 1));
        var pairs = JsonSerializer.Deserialize<AccountFeatures>($$$"""{"id":"acc_a","paidBy":[["acc_d",{{{T.ToUnixTimeMilliseconds()}}}]]}""", Marten)!;
        (pairs.PaidBy.Contains("acc_d"), pairs.PaidBy.SeenWithin(T.AddSeconds(-1), T)).Should().Be((true, 1), "the id-and-time pairs of the first pane documents");
    }

    [Theory]
    [InlineData("""{"id":"acc_a","sent":[[1,2,"USD","acc_b","extra"]]}""")]
    [InlineData("""{"id":"acc_a","sentPanes":{"seconds":[[1,"USD",1]]}}""")]
    [InlineData("""{"id":"acc_a","paidBy":[["acc_b",1,2]]}""")]
    [InlineData("""{"id":"acc_a","paidBy":"AAAA"}""")]
    [InlineData("""{"id":"acc_a","paidTo":"not base64!"}""")]
    public void a_malformed_entry_is_refused_not_misread(string json)
    {
        var act = () => JsonSerializer.Deserialize<AccountFeatures>(json, Marten);

        act.Should().Throw<JsonException>();
    }
}
