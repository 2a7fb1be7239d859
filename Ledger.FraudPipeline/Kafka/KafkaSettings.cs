using Confluent.Kafka;

namespace Ledger.FraudPipeline.Kafka;

/// <summary>
/// Section <c>Kafka</c>. Without <c>BootstrapServers</c> the process hosts librdkafka's mock cluster (the embedded
/// default: the real Kafka protocol, in process, gone when the process stops); with it, a real cluster (MSK or any
/// Kafka), optionally over SASL/TLS (<c>SecurityProtocol</c> = SaslSsl, <c>SaslMechanism</c> = ScramSha512 |
/// Plain | AwsMskIam..., <c>SaslUsername</c>, <c>SaslPassword</c>, <c>SslCaLocation</c>).
/// </summary>
public sealed class KafkaSettings
{
    public string? BootstrapServers { get; set; }
    public string EventsTopic { get; set; } = "ledger.events";
    public string AlertsTopic { get; set; } = "ledger.alerts";
    public string ConsumerGroup { get; set; } = "ledger-fraud";

    /// <summary>Brokers of the embedded mock cluster (ignored with <see cref="BootstrapServers"/>).</summary>
    public int MockBrokers { get; set; } = 1;

    /// <summary>Partitions of each topic of the embedded mock cluster.</summary>
    public int MockPartitions { get; set; } = 4;

    /// <summary>How often the embedded cluster drops events-topic records the scoring consumer has committed
    /// (<see cref="EmbeddedRetention"/>); zero turns it off (librdkafka's own cap of 5 MB per partition then applies).</summary>
    public TimeSpan MockTrimInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Committed records the embedded cluster keeps per partition below the consumer's position, for anyone
    /// inspecting recent traffic.</summary>
    public int MockKeepConsumed { get; set; } = 1_000;

    /// <summary>How long librdkafka keeps trying one message before reporting it failed; the bridge then retries the
    /// whole page with backoff, so nothing is lost either way.</summary>
    public int MessageTimeoutMs { get; set; } = 10_000;

    /// <summary>The scoring consumer's session.timeout.ms (unset: librdkafka's 45 s): how long the group waits for a
    /// member that went away without leaving before handing its partitions to another.</summary>
    public int? ConsumerSessionTimeoutMs { get; set; }

    public SecurityProtocol? SecurityProtocol { get; set; }
    public SaslMechanism? SaslMechanism { get; set; }
    public string? SaslUsername { get; set; }
    public string? SaslPassword { get; set; }
    public string? SslCaLocation { get; set; }

    /// <summary>The connection part every client shares.</summary>
    public void ApplyTo(ClientConfig config, string bootstrapServers)
    {
        config.BootstrapServers = bootstrapServers;
        config.SecurityProtocol = SecurityProtocol;
        config.SaslMechanism = SaslMechanism;
        config.SaslUsername = SaslUsername;
        config.SaslPassword = SaslPassword;
        config.SslCaLocation = SslCaLocation;
    }
}
