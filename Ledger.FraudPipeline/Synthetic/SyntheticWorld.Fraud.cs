namespace Ledger.FraudPipeline.Synthetic;

/// <summary>
/// The injected, labelled fraud scenarios. All of them happen in the emitted period; every payment a scenario makes
/// is labelled with it. Incidents are added until fraud reaches <see cref="SyntheticOptions.FraudRate"/> of the
/// emitted rows.
/// </summary>
internal sealed partial class SyntheticWorld
{
    private readonly List<(SimAccount Victim, int Day)> drainVictims = [];
    private readonly List<SimAccount> exits = [];

    public void PlanFraud()
    {
        var legit = plan.Count(p => p.At >= options.EmitFrom);
        var target = (int)Math.Round(options.FraudRate * legit / (1 - options.FraudRate));
        var fraud = drainVictims.Sum(v => DormantDrain(v.Victim, v.Day));
        while (fraud < target)
        {
            var at = options.EmitFrom.AddDays(Uniform(0, options.Days - 1));
            var roll = rng.NextDouble();
            fraud += roll < 0.4 ? AccountTakeover(at) : roll < 0.7 ? MuleRing(at) : CardTesting(at);
        }
    }

    /// <summary>
    /// A takeover: at the victim's night, 2–8 payments 10 s to 2 min apart to 1–3 accounts it never paid (the ring's exits),
    /// each 3–15 times the victim's usual amount.
    /// </summary>
    private int AccountTakeover(DateTimeOffset around)
    {
        var victim = EstablishedCustomer(around);
        if (victim is null)
        {
            return 0;
        }

        var at = TimeOnDay(DayOf(around), victim.ActiveHourUtc + 12, 2);
        var targets = Enumerable.Range(0, (int)Uniform(1, 4)).Select(_ => Exit(at)).ToList();
        var n = (int)Uniform(2, 9);
        var made = 0;
        for (var i = 0; i < n && IsAvailable(victim, at); i++)
        {
            Add(at, victim, targets[i % targets.Count], victim.MeanUsd * Uniform(3, 15),
                rng.NextDouble() < 0.8 ? "personal" : "purchase", Scenarios.AccountTakeover);
            made++;
            at = at.AddSeconds(Uniform(10, 120)); // scripted: faster than a person types
        }

        return made;
    }

    /// <summary>
    /// A money-mule ring: a young account (1–20 days) receives scam payments from 5–20 distinct customers within
    /// hours, then pays out about 90 % of it in 1–3 large payments to a new exit account.
    /// </summary>
    private int MuleRing(DateTimeOffset around)
    {
        var start = TimeOnDay(DayOf(around), Uniform(0, 24), 0.5);
        // Most mules are opened for the job; a third are aged accounts (recruited customers, bought accounts).
        var opened = start.AddDays(-(rng.NextDouble() < 0.67 ? Uniform(1, 20) : Uniform(60, 1500)));
        var mule = new SimAccount($"acc_syn_u{others.Count:D5}", AccountKind.Mule, opened, PickCurrency());
        others.Add(mule);
        var span = Uniform(1, 12);
        var last = start;
        var inflowUsd = 0.0;
        var made = 0;
        var victims = new HashSet<SimAccount>();
        var n = (int)Uniform(5, 21);
        for (var attempt = 0; attempt < n * 3 && victims.Count < n; attempt++)
        {
            var when = start.AddHours(Uniform(0, span));
            var victim = Pick(customers);
            if (IsAvailable(victim, when) && victims.Add(victim))
            {
                var usd = victim.MeanUsd * Uniform(1, 4);
                inflowUsd += usd;
                Add(when, victim, mule, usd, "personal", Scenarios.MuleFanIn);
                made++;
                last = when > last ? when : last;
            }
        }

        var exit = Exit(last);
        var payouts = (int)Uniform(1, 4);
        var at = last.AddHours(Uniform(0.5, 6));
        for (var i = 0; i < payouts; i++)
        {
            Add(at, mule, exit, 0.9 * inflowUsd / payouts, "personal", Scenarios.MuleCashOut);
            made++;
            at = at.AddMinutes(Uniform(1, 30));
        }

        return made;
    }

    /// <summary>
    /// Card-testing, carried to accounts: someone checks stolen funding (or a stolen login) with 5–20 tiny payments
    /// (0.5–3 USD) to as many accounts it never paid, 1–20 s apart — within a minute or two, faster than a person —
    /// either purchases at distinct merchants or personal payments to accounts the ring controls (most opened minutes
    /// to days before) and to random customers. The payer is a compromised established account (80 %) or one opened
    /// minutes to two days before (20 %: fraudulent sign-ups are a few percent of a product's sign-ups); half the time a large purchase follows within the hour. The first one or two
    /// payments look like a newcomer's "does this work?" payment and cannot be told apart from it; the burst can.
    /// </summary>
    private int CardTesting(DateTimeOffset around)
    {
        var at = TimeOnDay(DayOf(around), Uniform(0, 24), 0.5);
        SimAccount? payer;
        if (rng.NextDouble() < 0.8)
        {
            payer = EstablishedCustomer(at);
        }
        else
        {
            var opened = at.AddMinutes(-(rng.NextDouble() < 0.5 ? Uniform(1, 60) : Uniform(60, 2 * 1440)));
            payer = new SimAccount($"acc_syn_t{others.Count:D5}", AccountKind.Exit, opened, PickCurrency())
            {
                MeanUsd = Uniform(5, 100),
            };
            others.Add(payer);
        }

        if (payer is null)
        {
            return 0;
        }

        var toMerchants = rng.NextDouble() < 0.5;
        var gapSeconds = Uniform(2, 10);
        var paid = new HashSet<SimAccount>();
        var made = 0;
        var n = (int)Uniform(5, 21);
        for (var i = 0; i < n && IsAvailable(payer, at); i++)
        {
            var payee = toMerchants ? Pick(merchants) : TestingTarget(at);
            if (payee.OpenedAt <= at && payee != payer && paid.Add(payee))
            {
                Add(at, payer, payee, Uniform(0.5, 3), toMerchants ? "purchase" : "personal", Scenarios.CardTesting);
                made++;
            }

            at = at.AddSeconds(gapSeconds * Uniform(0.5, 2));
        }

        at = at.AddMinutes(Uniform(5, 60));
        var big = Pick(merchants);
        if (made > 0 && rng.NextDouble() < 0.5 && big.OpenedAt <= at && IsAvailable(payer, at))
        {
            Add(at, payer, big, Uniform(300, 2000), "purchase", Scenarios.CardTesting);
            made++;
        }

        return made;
    }

    /// <summary>Where a personal testing payment goes: an account the ring opened minutes (half of them) to 30 days
    /// before (70 %), or a random customer (30 %).</summary>
    private SimAccount TestingTarget(DateTimeOffset at)
    {
        if (rng.NextDouble() < 0.3)
        {
            return Pick(customers);
        }

        var age = rng.NextDouble() < 0.5 ? TimeSpan.FromMinutes(Uniform(0.5, 60)) : TimeSpan.FromDays(Uniform(0.05, 30));
        var target = new SimAccount($"acc_syn_r{others.Count:D5}", AccountKind.Exit, at - age, PickCurrency());
        others.Add(target);
        return target;
    }

    /// <summary>A long-idle account wakes with a large payment (10–40 times its usual, at least a few hundred
    /// dollars) to an account it never paid; a second one follows minutes later a third of the time.</summary>
    private int DormantDrain(SimAccount victim, int day)
    {
        var at = TimeOnDay(day, Uniform(0, 24), 0.5);
        var exit = Exit(at);
        var usd = Math.Max(victim.MeanUsd * Uniform(10, 40), Uniform(300, 3000));
        Add(at, victim, exit, usd, "personal", Scenarios.DormantDrain);
        if (rng.NextDouble() < 1 / 3.0)
        {
            Add(at.AddMinutes(Uniform(2, 20)), victim, exit, usd * Uniform(0.3, 1), "personal", Scenarios.DormantDrain);
            return 2;
        }

        return 1;
    }

    /// <summary>A customer with at least 60 days behind it, available at that time (not in a silent spell).</summary>
    private SimAccount? EstablishedCustomer(DateTimeOffset at)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var c = Pick(customers);
            if (c.OpenedAt <= at.AddDays(-60) && IsAvailable(c, at) && IsAvailable(c, at.AddHours(1)))
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>The ring's receiving account: a recent one reused 30 % of the time, else a new one, opened 0–30 days
    /// before (60 %) or an aged account the ring bought or recruited (40 %).</summary>
    private SimAccount Exit(DateTimeOffset at)
    {
        var recent = exits.Where(e => e.OpenedAt <= at && e.OpenedAt > at.AddDays(-1500)).TakeLast(20).ToList();
        if (recent.Count > 0 && rng.NextDouble() < 0.3)
        {
            return Pick(recent);
        }

        var age = rng.NextDouble() < 0.6 ? Uniform(0, 30) : Uniform(60, 1500);
        var exit = new SimAccount($"acc_syn_x{exits.Count:D5}", AccountKind.Exit, at.AddDays(-age), PickCurrency());
        exits.Add(exit);
        others.Add(exit);
        return exit;
    }
}
