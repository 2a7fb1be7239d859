using Ledger.Domain.Money;
using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Synthetic;

/// <summary>
/// Generates a labelled payments history from a seed (model and sources: docs/fraud-model.md). Three phases: a
/// population of customers and merchants with spending profiles, a plan of legitimate payments day by day, and
/// injected fraud scenarios; then every planned payment is replayed in time order through
/// <see cref="FeatureExtractor.Extract"/> (before) and <see cref="FeatureExtractor.Observe"/> (after) — the live
/// pipeline's own code — so a row's features are exactly what serving would have computed at that instant.
/// </summary>
public static class SyntheticDataGenerator
{
    public static IReadOnlyList<SyntheticPayment> Generate(SyntheticOptions options)
    {
        options.Validate();
        var world = new SyntheticWorld(options);
        world.Populate();
        world.PlanDormancy();
        world.PlanLegit();
        world.PlanOnboarding();
        world.PlanFraud();
        return world.Replay();
    }
}

/// <summary>One payment in the plan, before features exist. <see cref="Seq"/> breaks ties in time deterministically.</summary>
internal sealed record PlannedPayment(long Seq, DateTimeOffset At, SimAccount Payer, SimAccount Payee, long AmountMinor,
    string Purpose, string Scenario);

internal sealed partial class SyntheticWorld(SyntheticOptions options)
{
    /// <summary>Home currencies, their share of accounts, US dollars per major unit (a fixed reference rate: the
    /// generator needs plausible magnitudes, not today's market), and the UTC hour of local midday.</summary>
    private static readonly (string Code, double Share, double UsdPer, double MiddayUtc)[] Regions =
    [
        ("USD", 0.45, 1.00, 17), ("EUR", 0.30, 1.08, 11), ("GBP", 0.17, 1.27, 12), ("JPY", 0.08, 0.0066, 3),
    ];

    private readonly Random rng = new(options.Seed);
    private readonly List<SimAccount> customers = [];
    private readonly List<SimAccount> merchants = [];
    private readonly List<SimAccount> others = [];
    private readonly List<PlannedPayment> plan = [];

    private int TotalDays => options.WarmupDays + options.Days;

    public void Populate()
    {
        for (var i = 0; i < options.Merchants; i++)
        {
            // One merchant in ten opens during the emitted period: young payees with many payers are not only mules.
            var opened = rng.NextDouble() < 0.1
                ? DayStart(Uniform(options.WarmupDays, TotalDays - 7)).AddHours(Uniform(0, 24))
                : options.Start.AddDays(-Uniform(30, 3000));
            merchants.Add(new SimAccount($"acc_syn_m{i:D5}", AccountKind.Merchant, opened, PickCurrency()));
        }

        for (var i = 0; i < options.Customers; i++)
        {
            var currency = PickCurrency();
            var activeHour = Region(currency).MiddayUtc + Normal(0, 1.5);
            var newcomer = rng.NextDouble() < NewcomerShare;
            var invitedBy = newcomer ? InvitingNewcomer() : null;
            var opened = !newcomer ? options.Start.AddDays(-Uniform(1, 2500))
                : invitedBy is not null ? invitedBy.OpenedAt.AddMinutes(Uniform(0.5, 15))
                : SignUpTime(activeHour);
            var c = new SimAccount($"acc_syn_c{i:D6}", AccountKind.Customer, opened, currency)
            {
                // The Handbook's profile: mean amount U(5, 100), mean transactions a day U(0, 4) (narrowed so the
                // average customer makes about one payment a day).
                MeanUsd = Uniform(5, 100),
                TxPerDay = Uniform(0.05, 2.5),
                ActiveHourUtc = activeHour,
            };
            customers.Add(c);
            if (newcomer)
            {
                newcomers.Add(c);
            }

            if (invitedBy is not null)
            {
                c.Contacts.Add(invitedBy);
                invitedBy.Contacts.Add(c);
            }
        }

        var established = merchants.Where(m => m.OpenedAt < options.Start).ToList();
        var oldCustomers = customers.Where(c => c.OpenedAt < options.Start).ToList();
        foreach (var c in customers)
        {
            var usual = (int)Uniform(3, 16);
            for (var k = 0; k < usual; k++)
            {
                var m = PopularMerchant(established, sameCurrencyAs: rng.NextDouble() < 0.9 ? c.Currency : null);
                if (!c.UsualMerchants.Contains(m))
                {
                    c.UsualMerchants.Add(m);
                }
            }

            // Newcomers are invited by friends: 1–4 established customers know them and pay them once they open,
            // so young payees receiving personal payments are ordinary, not only mules.
            if (c.OpenedAt >= options.Start)
            {
                for (var k = (int)Uniform(1, 5); k > 0; k--)
                {
                    var friend = Pick(oldCustomers);
                    if (!friend.Contacts.Contains(c))
                    {
                        friend.Contacts.Add(c);
                    }
                }
            }

            var contacts = (int)Uniform(2, 9);
            for (var k = 0; k < contacts; k++)
            {
                var friend = Pick(oldCustomers);
                if (friend != c && !c.Contacts.Contains(friend) && (friend.Currency == c.Currency || rng.NextDouble() < 0.15))
                {
                    c.Contacts.Add(friend);
                }
            }
        }
    }

    /// <summary>
    /// Silent spells, decided before the legit plan so that nothing is planned inside them: legit sleepers (4 % of
    /// customers, who come back with ordinary payments) and the victims of dormant-account drains (0.4 %, whose first
    /// payment after the spell is the drain).
    /// </summary>
    public void PlanDormancy()
    {
        var old = customers.Where(c => c.OpenedAt < options.Start).ToList();
        var victims = Math.Max(1, (int)Math.Round(0.004 * old.Count));
        for (var i = 0; i < old.Count; i++)
        {
            // The first draws are drain victims (at least one, so every world has the scenario), then 4 % sleepers.
            var c = old[rng.Next(old.Count)];
            if (c.Silent is not null)
            {
                continue;
            }

            var wakeDay = (int)Uniform(options.WarmupDays + (options.Days / 3.0), TotalDays - 1);
            var idle = (int)Math.Min(Uniform(45, 240), wakeDay - 3);
            if (drainVictims.Count < victims)
            {
                drainVictims.Add((c, wakeDay));
                c.Silent = (wakeDay - idle, wakeDay + (int)Uniform(10, 40));
            }
            else if (i < victims + (0.04 * old.Count))
            {
                c.Silent = (wakeDay - idle, wakeDay);
            }
            else
            {
                break;
            }
        }
    }

    public IReadOnlyList<SyntheticPayment> Replay()
    {
        var documents = new Dictionary<string, AccountFeatures>(StringComparer.Ordinal);
        foreach (var a in customers.Concat(merchants).Concat(others))
        {
            var doc = new AccountFeatures { Id = a.Id };
            FeatureExtractor.Opened(doc, a.OpenedAt);
            documents[a.Id] = doc;
        }

        plan.Sort((x, y) => x.At != y.At ? x.At.CompareTo(y.At) : x.Seq.CompareTo(y.Seq));
        var rows = new List<SyntheticPayment>(plan.Count);
        var n = 0;
        foreach (var p in plan)
        {
            var facts = new PaymentFacts($"pay_syn_{n++:D8}", p.Payer.Id, p.Payee.Id, p.AmountMinor, p.Payer.Currency,
                p.Payee.Currency, p.Purpose, p.At);
            var payer = documents[p.Payer.Id];
            var payee = documents[p.Payee.Id];
            if (p.At >= options.EmitFrom)
            {
                var features = FeatureExtractor.Extract(payer, payee, facts);
                rows.Add(new SyntheticPayment(facts, features, p.Scenario != Scenarios.Legit, p.Scenario));
            }

            FeatureExtractor.Observe(payer, payee, facts);
        }

        return rows;
    }

    private void Add(DateTimeOffset at, SimAccount payer, SimAccount payee, double usd, string purpose, string scenario) =>
        plan.Add(new PlannedPayment(plan.Count, at, payer, payee, ToMinor(usd, payer.Currency), purpose, scenario));

    /// <summary>US dollars to minor units of the payer's currency, at least one minor unit.</summary>
    private static long ToMinor(double usd, string currency) =>
        Math.Max(1, (long)Math.Round(usd / Region(currency).UsdPer * Currencies.Get(currency).Factor));

    private static (string Code, double Share, double UsdPer, double MiddayUtc) Region(string currency) =>
        Regions.First(r => r.Code == currency);

    private bool IsAvailable(SimAccount a, DateTimeOffset at) =>
        a.OpenedAt <= at && !(a.Silent is { } s && DayOf(at) >= s.From && DayOf(at) < s.To);

    private int DayOf(DateTimeOffset at) => (int)Math.Floor((at - options.Start).TotalDays);

    private DateTimeOffset DayStart(double day) => options.Start.AddDays(Math.Floor(day));

    /// <summary>A time on <paramref name="day"/> near the given UTC hour (the Handbook draws seconds from a normal
    /// around midday; a 4 h deviation, wrapped into the day).</summary>
    private DateTimeOffset TimeOnDay(int day, double hourUtc, double sdHours = 4)
    {
        var seconds = (Normal(hourUtc, sdHours) * 3600) % 86_400;
        return DayStart(day).AddSeconds(seconds < 0 ? seconds + 86_400 : seconds);
    }

    private string PickCurrency()
    {
        var u = rng.NextDouble();
        foreach (var r in Regions)
        {
            if ((u -= r.Share) < 0)
            {
                return r.Code;
            }
        }

        return Regions[0].Code;
    }

    /// <summary>A skewed pick: low indexes are popular, so a few merchants take a large share of purchases.</summary>
    private SimAccount PopularMerchant(List<SimAccount> pool, string? sameCurrencyAs)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var m = pool[(int)(pool.Count * Math.Pow(rng.NextDouble(), 2))];
            if (sameCurrencyAs is null || m.Currency == sameCurrencyAs)
            {
                return m;
            }
        }

        return Pick(pool);
    }

    private T Pick<T>(List<T> list) => list[rng.Next(list.Count)];

    private double Uniform(double from, double to) => from + (rng.NextDouble() * (to - from));

    private double Normal(double mean, double sd) =>
        mean + (sd * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

    /// <summary>An amount from N(mean, sd); a non-positive draw is redrawn from U(0, 2·mean), as in the Handbook.</summary>
    private double Amount(double mean, double sd)
    {
        var x = Normal(mean, sd);
        return x > 0.5 ? x : Uniform(0.5, 2 * mean);
    }

    private int Poisson(double lambda)
    {
        var limit = Math.Exp(-lambda);
        var k = 0;
        for (var p = rng.NextDouble(); p > limit; p *= rng.NextDouble())
        {
            k++;
        }

        return k;
    }
}
