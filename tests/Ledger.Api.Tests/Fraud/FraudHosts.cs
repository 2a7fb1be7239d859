using Ledger.FraudPipeline.Kafka;
using Ledger.FraudPipeline.Scoring;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ledger.Api.Tests.Fraud;

/// <summary>
/// CommandApi + QueryApi + FraudPipeline on one database, payments decided by the pipeline: the real Marten
/// subscription, the real Kafka protocol (librdkafka's mock cluster, hosted by the pipeline's producer), the real
/// scoring consumer, and verdicts over HTTP into CommandApi's pipeline (its in-memory test server).
/// </summary>
public class FraudHosts : ApiHosts, IAsyncLifetime
{
    public FraudFactory Fraud { get; private set; } = null!;

    /// <summary>Long enough that a verdict in these tests comes from the pipeline, not from the deadline's rules.</summary>
    protected virtual string VerdictDeadline => "00:01:00";

    protected virtual IEnumerable<KeyValuePair<string, string?>> FraudSettings => [];

    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
    [
        new("Risk:Decider", "pipeline"),
        new("Risk:VerdictDeadline", VerdictDeadline),
        new("Fraud:LedgerUrl", "http://commandapi"),
        new("Kafka:MessageTimeoutMs", "2000"),
        // PublishedEvents reads the events topic from its start: the embedded cluster's retention stays off here,
        // and on in the test of it (keeping_the_embedded_kafka_small).
        new("Kafka:MockTrimInterval", "00:00:00"),
        .. FraudSettings,
    ];

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public KafkaCluster Kafka => Fraud.Services.GetRequiredService<KafkaCluster>();

    /// <summary>Every event on the events topic so far, in topic order.</summary>
    public List<EventEnvelope> PublishedEvents() =>
        Messages(Kafka.Settings.EventsTopic).Select(m => EventEnvelope.Parse(m.Message.Value)).OfType<EventEnvelope>().ToList();

    /// <summary>Each payment as GET returns it once decided (no longer pending or processing), in the order given;
    /// fails if one is still undecided <paramref name="within"/> (20 s by default) after the call.</summary>
    public static async Task<List<System.Text.Json.JsonElement>> DecidedAsync(LedgerClient client, IEnumerable<string> paymentIds, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        var decided = new List<System.Text.Json.JsonElement>();
        foreach (var id in paymentIds)
        {
            var payment = default(System.Text.Json.JsonElement);
            await Money.MoneyFixtures.EventuallyAsync(
                async () => (payment = await (await client.GetAsync($"/v1/payments/{id}")).JsonAsync()).GetProperty("status").GetString() is not ("pending" or "processing"),
                () => $"payment {id} should be decided, but it is {payment.GetProperty("status")}",
                deadline - DateTime.UtcNow);
            decided.Add(payment);
        }

        return decided;
    }

    /// <summary>Up to <paramref name="count"/> messages of a topic from its start, read by a consumer group of its own
    /// (joining takes a few seconds; then <paramref name="quiet"/>, 3 s by default, without a message ends the read).</summary>
    public List<Confluent.Kafka.ConsumeResult<string, byte[]>> Messages(string topic, int count = int.MaxValue, TimeSpan? quiet = null)
    {
        using var consumer = new Confluent.Kafka.ConsumerBuilder<string, byte[]>(Kafka.Config(new Confluent.Kafka.ConsumerConfig
        {
            GroupId = "check-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        })).Build();
        consumer.Subscribe(topic);
        var results = new List<Confluent.Kafka.ConsumeResult<string, byte[]>>();
        var idleUntil = DateTime.UtcNow.AddSeconds(20);
        while (results.Count < count && DateTime.UtcNow < idleUntil)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
                idleUntil = DateTime.UtcNow + (quiet ?? TimeSpan.FromSeconds(3));
            }
        }

        consumer.Close();
        return results;
    }

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        Fraud = new FraudFactory(this);
        _ = Fraud.Server; // start: the bridge, the consumer, the mock cluster
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await Fraud.DisposeAsync();
        await DisposeAsync();
    }

    public sealed class FraudFactory(FraudHosts hosts) : WebApplicationFactory<KafkaCluster>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            foreach (var (key, value) in hosts.Settings())
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging => logging.AddProvider(hosts.Logs));
            builder.ConfigureTestServices(services =>
            {
                services.AddHttpClient<VerdictClient>().ConfigurePrimaryHttpMessageHandler(() => hosts.Command.Server.CreateHandler());
                hosts.ConfigureServices(services);
            });
        }
    }
}
