using Ledger.FraudPipeline.Kafka;

namespace Ledger.FraudPipeline.Tests.Kafka;

public class encoding_event_envelopes
{
    [Fact]
    public void the_bridges_encoder_writes_what_consumers_read()
    {
        var id = Guid.CreateVersion7();
        var at = new DateTimeOffset(2026, 11, 25, 18, 0, 0, 123, TimeSpan.Zero);
        var bytes = EventEnvelope.Write(id, 42, "pay_1", 3, "payment_funds_reserved.v1", at,
            """{"paymentId":"pay_1","legs":[{"account":"acc_1","amount":-500}],"note":"caf\u00e9 \"x\""}""", at.AddMilliseconds(7));

        var envelope = EventEnvelope.Parse(bytes)!;
        envelope.EventId.Should().Be(id);
        envelope.Sequence.Should().Be(42);
        envelope.StreamId.Should().Be("pay_1");
        envelope.Version.Should().Be(3);
        envelope.Type.Should().Be("payment_funds_reserved.v1");
        envelope.Timestamp.Should().Be(at);
        envelope.PublishedAt.Should().Be(at.AddMilliseconds(7));
        envelope.Data.GetProperty("legs")[0].GetProperty("amount").GetInt64().Should().Be(-500);
        envelope.Data.GetProperty("note").GetString().Should().Be("café \"x\"");

        // The same message as the record's own serializer writes, field for field.
        var again = EventEnvelope.Parse(envelope.ToBytes())!;
        again.Should().BeEquivalentTo(envelope, o => o.Excluding(e => e.Data));
        again.Data.GetProperty("note").GetString().Should().Be("café \"x\"");
        again.Data.GetProperty("legs")[0].GetProperty("account").GetString().Should().Be("acc_1");
    }
}
