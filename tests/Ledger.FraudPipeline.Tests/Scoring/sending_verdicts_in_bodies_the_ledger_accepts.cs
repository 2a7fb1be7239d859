using System.Text.Json;
using Ledger.FraudPipeline.Scoring;
using Ledger.ServiceDefaults;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>
/// The ledger refuses request bodies over 64 KB with 413 (SPEC), so verdicts go in as many calls as their size needs:
/// found at 1,000 payments/s, where batches of 120-230 rejections (each with up to 20 reasons) were refused whole.
/// </summary>
public class sending_verdicts_in_bodies_the_ledger_accepts
{
    private static Verdict Rejected(int i) => new($"pay_{i:D32}", $"acc_{i:D32}", "reject", 0.97,
        Enumerable.Range(0, 20).Select(r => $"reason {r}: " + new string('x', 250)).ToList(), "fraud-model", "2026-11-25.1");

    [Fact]
    public void every_call_fits_under_the_body_limit_and_every_verdict_goes_once_in_order()
    {
        var verdicts = Enumerable.Range(0, 500).Select(Rejected).ToList();

        var chunks = VerdictClient.Chunks(verdicts).ToList();

        chunks.Should().HaveCountGreaterThan(1);
        chunks.Should().OnlyContain(c => c.Body.Length <= RequestLimits.MaxBodyBytes);
        foreach (var c in chunks)
        {
            c.Body.Should().Equal(VerdictClient.Body(c.Verdicts), "the body assembled from each verdict's bytes is the body of the list");
        }

        chunks.SelectMany(c => c.Verdicts).Should().Equal(verdicts);
        using var body = JsonDocument.Parse(chunks[0].Body);
        body.RootElement.GetProperty("verdicts")[0].GetProperty("paymentId").GetString().Should().Be(verdicts[0].PaymentId);
    }

    [Fact]
    public void calls_are_as_full_as_the_limit_allows()
    {
        var verdicts = Enumerable.Range(0, 2_500).Select(i => new Verdict($"pay_{i}", $"acc_{i}", "approve", 0.01, [], "m", "1")).ToList();

        var chunks = VerdictClient.Chunks(verdicts).ToList();

        chunks.Should().OnlyContain(c => c.Body.Length <= VerdictClient.MaxBodyBytes);
        for (var i = 0; i < chunks.Count - 1; i++)
        {
            VerdictClient.Body([.. chunks[i].Verdicts, chunks[i + 1].Verdicts[0]]).Length.Should().BeGreaterThan(VerdictClient.MaxBodyBytes, "a call is cut only when the next verdict would not fit");
        }
    }
}
