using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Ledger.FraudPipeline.Kafka;

/// <summary>
/// Where this process's Kafka is, and its one producer (MARTEN9.md: one producer per process, idempotent). In the
/// embedded default this object owns a librdkafka mock cluster — created through librdkafka's mock API on a host
/// client, so it can also be taken down and brought back (<see cref="SetBrokerUp"/>) — and every client, the bridge's
/// producer included, connects to it by its bootstrap address exactly as to a real cluster. It lives exactly as long
/// as this object.
/// </summary>
public sealed class KafkaCluster : IDisposable
{
    private readonly IProducer<string, byte[]> _producer;
    private readonly IProducer<Null, Null>? _mockHost;
    private readonly IntPtr _mock;

    public KafkaCluster(KafkaSettings settings)
    {
        Settings = settings;
        Embedded = string.IsNullOrWhiteSpace(settings.BootstrapServers);
        if (Embedded)
        {
            // A client whose only job is to own the mock cluster (test.mock.num.brokers gives it a private one to talk
            // to, so it never looks for a real broker); ours is made on it with rd_kafka_mock_cluster_new.
            var hostConfig = new ProducerConfig { ClientId = "ledger-kafka-host" };
            hostConfig.Set("test.mock.num.brokers", "1");
            _mockHost = new ProducerBuilder<Null, Null>(hostConfig).Build();
            _mock = Native.ClusterNew(RawHandle(_mockHost.Handle), settings.MockBrokers);
            if (_mock == IntPtr.Zero)
            {
                throw new InvalidOperationException("librdkafka could not create the embedded mock cluster.");
            }

            BootstrapServers = Native.Bootstraps(_mock);
            // Topics exist before anyone subscribes (a consumer subscribed to a missing topic waits for a metadata
            // refresh). Production topics are provisioned with the cluster (partitions, replication, retention).
            foreach (var topic in new[] { settings.EventsTopic, settings.AlertsTopic })
            {
                var rc = Native.TopicCreate(_mock, topic, settings.MockPartitions, 1);
                if (rc != 0)
                {
                    throw new InvalidOperationException($"librdkafka could not create topic {topic} on the embedded cluster (error {rc}).");
                }
            }
        }
        else
        {
            BootstrapServers = settings.BootstrapServers!;
        }

        var config = new ProducerConfig
        {
            // Idempotent: librdkafka's retries never duplicate or reorder within a partition (acks=all implied).
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 1, // latency over batching: a payment waits for its verdict
            MessageTimeoutMs = settings.MessageTimeoutMs,
            ClientId = "ledger-bridge",
        };
        settings.ApplyTo(config, BootstrapServers);
        _producer = new ProducerBuilder<string, byte[]>(config).Build();
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

        var rc = up ? Native.BrokerSetUp(_mock, brokerId) : Native.BrokerSetDown(_mock, brokerId);
        if (rc != 0)
        {
            throw new InvalidOperationException($"librdkafka refused to change mock broker {brokerId} (error {rc}).");
        }
    }

    /// <summary>Embedded only: drops a partition's records below <paramref name="beforeOffset"/> (its log start moves
    /// there), as a real broker's retention does; librdkafka runs it on the mock cluster's own thread.</summary>
    public void DeleteRecords(string topic, int partition, long beforeOffset)
    {
        if (!Embedded)
        {
            throw new InvalidOperationException("Only the embedded mock cluster's records are dropped by the ledger.");
        }

        var rc = Native.PartitionDeleteRecords(_mock, topic, partition, beforeOffset);
        if (rc != 0)
        {
            throw new InvalidOperationException($"librdkafka refused to drop records of {topic} [{partition}] below {beforeOffset} (error {rc}).");
        }
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
        if (_mockHost is not null)
        {
            Native.ClusterDestroy(_mock);
            _mockHost.Dispose();
        }
    }

    /// <summary>The rd_kafka_t* behind a client handle (Confluent keeps it internal).</summary>
    private static IntPtr RawHandle(Handle handle)
    {
        var property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException("Confluent.Kafka's Handle no longer has LibrdkafkaHandle.");
        return ((SafeHandle)property.GetValue(handle)!).DangerousGetHandle();
    }

    /// <summary>
    /// The mock-cluster functions of the librdkafka Confluent.Kafka already loaded (it picks one of several builds at
    /// run time, so a plain DllImport could bind another, or none): found through this process's memory map.
    /// </summary>
    private static class Native
    {
        private static readonly Lazy<IntPtr> Library = new(() =>
        {
            var path = File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(parts => parts.Length >= 6 && Path.GetFileName(parts[5]).Contains("librdkafka", StringComparison.Ordinal))
                .Select(parts => parts[5]).FirstOrDefault()
                ?? throw new InvalidOperationException("librdkafka is not loaded in this process.");
            return NativeLibrary.Load(path);
        });

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr ClusterNewFn(IntPtr rk, int brokers);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr ClusterFn(IntPtr cluster);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void ClusterDestroyFn(IntPtr cluster);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int BrokerSetFn(IntPtr cluster, int brokerId);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int TopicCreateFn(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partitions, int replication);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int DeleteRecordsFn(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partition, long beforeOffset);

        public static int PartitionDeleteRecords(IntPtr cluster, string topic, int partition, long beforeOffset) =>
            Function<DeleteRecordsFn>("rd_kafka_mock_partition_delete_records")(cluster, topic, partition, beforeOffset);

        public static int TopicCreate(IntPtr cluster, string topic, int partitions, int replication) =>
            Function<TopicCreateFn>("rd_kafka_mock_topic_create")(cluster, topic, partitions, replication);

        public static IntPtr ClusterNew(IntPtr rk, int brokers) => Function<ClusterNewFn>("rd_kafka_mock_cluster_new")(rk, brokers);

        public static string Bootstraps(IntPtr cluster) =>
            Marshal.PtrToStringUTF8(Function<ClusterFn>("rd_kafka_mock_cluster_bootstraps")(cluster)) ?? throw new InvalidOperationException("The mock cluster has no bootstrap address.");

        public static void ClusterDestroy(IntPtr cluster) => Function<ClusterDestroyFn>("rd_kafka_mock_cluster_destroy")(cluster);

        public static int BrokerSetDown(IntPtr cluster, int brokerId) => Function<BrokerSetFn>("rd_kafka_mock_broker_set_down")(cluster, brokerId);

        public static int BrokerSetUp(IntPtr cluster, int brokerId) => Function<BrokerSetFn>("rd_kafka_mock_broker_set_up")(cluster, brokerId);

        private static T Function<T>(string name)
            where T : Delegate =>
            Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(Library.Value, name));
    }
}
