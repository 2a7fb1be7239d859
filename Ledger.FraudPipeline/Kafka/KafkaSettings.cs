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

    /// <summary>How long librdkafka keeps trying one message before reporting it failed; the bridge then retries the
    /// whole page with backoff, so nothing is lost either way.</summary>
    public int MessageTimeoutMs { get; set; } = 10_000;

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
