using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Ledger.FraudPipeline.Kafka;

/// <summary>
/// Where this process's Kafka is, and its one producer (MARTEN9.md: one producer per process, idempotent). In the
/// embedded default the producer's own client hosts librdkafka's mock cluster (<c>test.mock.num.brokers</c>), and
/// every other client (the scoring consumer, tests) connects to the brokers it reports — so the cluster lives exactly
/// as long as this object.
/// </summary>
public sealed class KafkaCluster : IDisposable
{
    private readonly IProducer<string, byte[]> _producer;

    public KafkaCluster(KafkaSettings settings)
    {
        Settings = settings;
        Embedded = string.IsNullOrWhiteSpace(settings.BootstrapServers);
        var config = new ProducerConfig
        {
            // Idempotent: librdkafka's retries never duplicate or reorder within a partition (acks=all implied).
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 1, // latency over batching: a payment waits for its verdict
            MessageTimeoutMs = settings.MessageTimeoutMs,
            ClientId = "ledger-bridge",
        };
        if (Embedded)
        {
            config.Set("test.mock.num.brokers", settings.MockBrokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            settings.ApplyTo(config, settings.BootstrapServers!);
        }

        _producer = new ProducerBuilder<string, byte[]>(config).Build();
        if (Embedded)
        {
            using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
            BootstrapServers = string.Join(',', metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
        }
        else
        {
            BootstrapServers = settings.BootstrapServers!;
        }
    }

    public KafkaSettings Settings { get; }
    public bool Embedded { get; }
    public string BootstrapServers { get; }
    public IProducer<string, byte[]> Producer => _producer;

    /// <summary>A client config for a consumer or admin client of this cluster.</summary>
    public T Config<T>(T config)
        where T : ClientConfig
    {
        Settings.ApplyTo(config, BootstrapServers);
        return config;
    }

    /// <summary>Embedded only: takes a mock broker away (connections refused) or brings it back — a broker outage over the
    /// real protocol, for fault tests. librdkafka exposes this in C only (rd_kafka_mock_broker_set_down/up).</summary>
    public void SetBrokerUp(int brokerId, bool up)
    {
        if (!Embedded)
        {
            throw new InvalidOperationException("Only the embedded mock cluster can be taken down.");
        }

        var cluster = Native.rd_kafka_mock_cluster_handle(RawHandle(_producer.Handle));
        var rc = up ? Native.rd_kafka_mock_broker_set_up(cluster, brokerId) : Native.rd_kafka_mock_broker_set_down(cluster, brokerId);
        if (rc != 0)
        {
            throw new InvalidOperationException($"librdkafka refused to change mock broker {brokerId} (error {rc}).");
        }
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }

    /// <summary>The rd_kafka_t* behind a client handle (Confluent keeps it internal).</summary>
    private static IntPtr RawHandle(Handle handle)
    {
        var property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException("Confluent.Kafka's Handle no longer has LibrdkafkaHandle.");
        return ((SafeHandle)property.GetValue(handle)!).DangerousGetHandle();
    }

    private static class Native
    {
        [DllImport("librdkafka")]
        public static extern IntPtr rd_kafka_mock_cluster_handle(IntPtr rk);

        [DllImport("librdkafka")]
        public static extern int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

        [DllImport("librdkafka")]
        public static extern int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);
    }
}
