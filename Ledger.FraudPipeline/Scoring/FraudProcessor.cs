using JasperFx;
using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Kafka;
using Ledger.Projections.Fraud;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Marten;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>What scores a payment: the primary scorer (model or SageMaker, with its fallback), the rules as one more
/// input (their hits become reasons and alerts), and the human-readable explanation of notable features.</summary>
public sealed record ScoringParts(IFraudScorer Scorer, IFraudScorer? Rules, Func<FraudFeatures, IReadOnlyList<string>> Explain);

/// <summary>A verdict to send to the ledger.</summary>
public sealed record Verdict(string PaymentId, string PayerAccountId, string Decision, double RiskScore, IReadOnlyList<string> Reasons, string Model, string ModelVersion);

public sealed record ProcessedBatch(IReadOnlyList<Verdict> Verdicts, IReadOnlyList<FraudAlert> Alerts, int Scored, int Duplicates);

/// <summary>A scored batch whose writes are serialised but not yet committed (<see cref="FraudProcessor.CommitAsync"/>);
/// no write when there was nothing new to write.</summary>
public sealed record PreparedBatch(ProcessedBatch Result, FraudWrites.PendingWrite? Write);

/// <summary>
/// Enrichment, scoring, analysis and alerts for one batch of events from Kafka (DESIGN step 4), committed in ONE
/// PostgreSQL transaction: the per-account feature documents updated from those events, the analyses, the alerts and
/// the ids of the events processed. An event whose id is already recorded changes nothing (at-least-once delivery);
/// a redelivered payment only has its stored verdict sent again, which the ledger ignores if it has one. Two pipeline
/// processes updating the same account's features meet Marten's optimistic concurrency, and the loser redoes its batch.
/// </summary>
public sealed class FraudProcessor(IDocumentStore store, ScoringParts parts, DecisionPolicy policy, TimeProvider clock, ILogger<FraudProcessor> logger)
{
    private readonly FraudWrites _writes = new(store);

    /// <summary>
    /// The feature documents this process last wrote, at the version it wrote them: a batch reads from here what it
    /// can instead of loading and deserialising the documents again (the consumer is the documents' only writer in
    /// the usual single-process deployment, so nearly every account it meets is here). Safe with several processes:
    /// a document changed elsewhere fails the version check at commit, and the batch is redone from the store. The
    /// processor's documents are changed in place while scoring, so any failed batch empties the cache. Bounded:
    /// past <see cref="CachedFeaturesLimit"/> accounts it starts again empty.
    /// </summary>
    private readonly Dictionary<string, (AccountFeatures Doc, Guid Version)> _cached = new(StringComparer.Ordinal);

    public const int CachedFeaturesLimit = 200_000;

    public const string AccountOpened = "account_opened.v1";
    public const string FundsReserved = "payment_funds_reserved.v1";

    /// <summary>Whether the processor reads events of this type (the rest of the stream is not its business).</summary>
    public static bool Consumes(string eventType) => eventType is AccountOpened or FundsReserved;

    public static string ProcessedTable => $"{LedgerStore.Schema}.fraud_processed_events";

    public static string Ddl => $"""
        create table if not exists {ProcessedTable} (
            event_id uuid primary key,
            processed_at timestamptz not null default now());
        create index if not exists fraud_processed_events_at on {ProcessedTable} (processed_at);
        """;

    /// <summary>Scores and commits one batch, redoing it (up to 5 times) when another process changed its feature documents.</summary>
    public async Task<ProcessedBatch> ProcessAsync(IReadOnlyList<EventEnvelope> envelopes, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var prepared = await PrepareAsync(envelopes, ct);
                await CommitAsync(prepared, ct);
                return prepared.Result;
            }
            catch (ConcurrencyException) when (attempt < 5)
            {
                logger.LogInformation("Feature documents changed under this batch (another pipeline process); redoing it.");
            }
        }
    }

    /// <summary>
    /// Everything but the commit: the dedup look-up, the payments, the feature documents (from the cache where it
    /// has them), scoring, and the batch's writes serialised. The cache then holds the documents as this batch will
    /// leave them, at the versions it will write, so the consumer can prepare the next batch while this one commits;
    /// if this one fails, the next fails the version check too, and <see cref="ForgetCached"/> starts over from the store.
    /// </summary>
    public async Task<PreparedBatch> PrepareAsync(IReadOnlyList<EventEnvelope> envelopes, CancellationToken ct)
    {
        try
        {
            return await PrepareOnceAsync(envelopes, ct);
        }
        catch
        {
            ForgetCached();
            throw;
        }
    }

    /// <summary>Commits a prepared batch (its own connection and transaction); on failure the cache is forgotten.</summary>
    public async Task CommitAsync(PreparedBatch prepared, CancellationToken ct)
    {
        if (prepared.Write is null)
        {
            return;
        }

        try
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            await _writes.ExecuteAsync(connection, prepared.Write, ct);
        }
        catch
        {
            ForgetCached();
            throw;
        }
    }

    /// <summary>Drops every cached feature document (after any failed batch: they were changed in place).</summary>
    public void ForgetCached()
    {
        lock (_cached)
        {
            _cached.Clear();
        }
    }

    private async Task<PreparedBatch> PrepareOnceAsync(IReadOnlyList<EventEnvelope> envelopes, CancellationToken ct)
    {
        var relevant = envelopes.Where(e => Consumes(e.Type)).DistinctBy(e => e.EventId).OrderBy(e => e.Sequence).ToList();
        if (relevant.Count == 0)
        {
            return new PreparedBatch(new ProcessedBatch([], [], 0, 0), null);
        }

        // One connection for the batch's reads (the dedup look-up with the payments, then the feature documents); the
        // commit takes its own.
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var paymentIds = relevant.Where(e => e.Type == FundsReserved).Select(e => e.StreamId).Distinct().ToArray();
        var (done, payments) = await _writes.ReadBatchAsync(connection, relevant.Select(e => e.EventId).ToArray(), paymentIds, ct);
        var fresh = relevant.Where(e => !done.Contains(e.EventId)).ToList();
        var repeated = relevant.Where(e => done.Contains(e.EventId) && e.Type == FundsReserved).ToList();

        var verdicts = new List<Verdict>();
        if (repeated.Count > 0)
        {
            // Already scored: send the stored verdict again (the first send may have been lost with the process).
            await using var session = store.QuerySession();
            var stored = await session.LoadManyAsync<FraudAnalysis>(ct, repeated.Select(e => FraudAnalysis.IdFor(e.StreamId)).ToArray());
            verdicts.AddRange(stored.Where(a => payments.GetValueOrDefault(a.PaymentId)?.Status == PaymentStatuses.Pending)
                .Select(a => new Verdict(a.PaymentId, a.PayerAccountId, a.Decision, a.RiskScore, a.Reasons, a.Model, a.ModelVersion)));
        }

        if (fresh.Count == 0)
        {
            return new PreparedBatch(new ProcessedBatch(verdicts, [], 0, relevant.Count), null);
        }

        var accountIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in fresh)
        {
            if (e.Type == AccountOpened)
            {
                accountIds.Add(e.StreamId);
            }
            else if (payments.TryGetValue(e.StreamId, out var p))
            {
                accountIds.Add(p.PayerAccountId);
                accountIds.Add(p.PayeeAccountId);
            }
        }

        var features = new Dictionary<string, (AccountFeatures Doc, Guid? ReadAt)>(StringComparer.Ordinal);
        lock (_cached)
        {
            foreach (var id in accountIds)
            {
                if (_cached.TryGetValue(id, out var cached))
                {
                    features[id] = (cached.Doc, cached.Version);
                }
            }
        }

        var missing = accountIds.Where(id => !features.ContainsKey(id)).ToArray();
        foreach (var (id, loaded) in await _writes.LoadFeaturesAsync(connection, missing, ct))
        {
            features[id] = (loaded.Doc, loaded.Version);
        }

        AccountFeatures Features(string id)
        {
            if (!features.TryGetValue(id, out var f))
            {
                features[id] = f = (new AccountFeatures { Id = id }, null);
            }

            return f.Doc;
        }

        var analyses = new List<FraudAnalysis>();

        var alerts = new List<FraudAlert>();
        var scored = 0;
        var now = clock.GetUtcNow();
        foreach (var e in fresh)
        {
            if (e.Type == AccountOpened)
            {
                FeatureExtractor.Opened(Features(e.StreamId), OpenedAt(e));
                continue;
            }

            if (!payments.TryGetValue(e.StreamId, out var payment))
            {
                logger.LogWarning("Event {EventId} reserves funds for payment {PaymentId}, which the store does not have; skipped.", e.EventId, e.StreamId);
                continue;
            }

            var facts = new PaymentFacts(payment.Id, payment.PayerAccountId, payment.PayeeAccountId, payment.Amount, payment.Currency,
                payment.SettledCurrency, payment.Purpose, payment.CreatedAt);
            var payer = Features(payment.PayerAccountId);
            var payee = Features(payment.PayeeAccountId);
            var vector = FeatureExtractor.Extract(payer, payee, facts);
            var score = await parts.Scorer.ScoreAsync(vector, ct);
            var ruleHits = parts.Rules is null ? [] : (await parts.Rules.ScoreAsync(vector, ct)).Reasons;
            var decision = policy.Decide(score.Score, ruleHits.Count > 0);
            var reasons = score.Reasons.Concat(ruleHits).Concat(decision == FraudDecisions.Approve ? [] : parts.Explain(vector)).Distinct().Take(20).ToList();
            FeatureExtractor.Observe(payer, payee, facts);
            scored++;

            var names = FraudFeatures.Names;
            var values = vector.ToArray();
            analyses.Add(new FraudAnalysis
            {
                Id = FraudAnalysis.IdFor(payment.Id),
                PaymentId = payment.Id,
                PayerAccountId = payment.PayerAccountId,
                PayeeAccountId = payment.PayeeAccountId,
                RiskScore = Math.Round(score.Score, 6),
                Decision = decision,
                Reasons = reasons,
                Model = score.Model,
                ModelVersion = score.ModelVersion,
                Features = names.Select((n, i) => (n, (double)values[i])).ToDictionary(x => x.n, x => x.Item2, StringComparer.Ordinal),
                AnalyzedAt = now,
                PaymentCreatedAt = payment.CreatedAt,
                PublishedAt = e.PublishedAt,
                EventSequence = e.Sequence,
            });

            if (decision != FraudDecisions.Approve)
            {
                alerts.Add(Alert(payment, "high_risk", decision == FraudDecisions.Reject ? "high" : "medium", score.Score, reasons, now));
            }

            if (ruleHits.Count > 0)
            {
                alerts.Add(Alert(payment, "rule_hit", decision == FraudDecisions.Approve ? "low" : "medium", score.Score, [.. ruleHits], now));
            }

            if (payment.Status == PaymentStatuses.Pending)
            {
                verdicts.Add(new Verdict(payment.Id, payment.PayerAccountId, decision, Math.Round(score.Score, 4), reasons, score.Model, score.ModelVersion));
            }
        }

        var write = _writes.Prepare(features.Values.ToList(), analyses, alerts, fresh.Select(e => e.EventId).ToArray());
        lock (_cached)
        {
            if (_cached.Count + write.Versions.Count > CachedFeaturesLimit)
            {
                _cached.Clear();
            }

            foreach (var (doc, _) in features.Values)
            {
                _cached[doc.Id] = (doc, write.Versions[doc.Id]);
            }
        }

        return new PreparedBatch(new ProcessedBatch(verdicts, alerts, scored, relevant.Count - fresh.Count), write);
    }

    private static FraudAlert Alert(PaymentRecord payment, string type, string severity, double score, List<string> reasons, DateTimeOffset now) => new()
    {
        Id = FraudAlert.IdFor(payment.Id, type),
        AccountId = payment.PayerAccountId,
        PaymentId = payment.Id,
        Type = type,
        Severity = severity,
        RiskScore = Math.Round(score, 6),
        Reasons = reasons,
        CreatedAt = now,
    };

    private static DateTimeOffset OpenedAt(EventEnvelope e) =>
        e.Data.TryGetProperty("at", out var at) && at.TryGetDateTimeOffset(out var value) ? value : e.Timestamp;
}
