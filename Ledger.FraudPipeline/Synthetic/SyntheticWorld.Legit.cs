namespace Ledger.FraudPipeline.Synthetic;

/// <summary>
/// Legitimate behaviour, including the look-alikes that keep the problem honest: big one-off purchases, bill
/// splitting (a burst of small personal payments), collections among friends followed by one large payment (a fan-in
/// that is not a mule), sleepers who come back, brand-new customers, foreign purchases and young merchants.
/// </summary>
internal sealed partial class SyntheticWorld
{
    private const double PurchaseShare = 0.75;
    private const double NewPayeeShare = 0.05;
    private const double ForeignShare = 0.03;

    public void PlanLegit()
    {
        for (var day = 0; day < TotalDays; day++)
        {
            foreach (var c in customers)
            {
                var noon = DayStart(day).AddHours(12);
                if (!IsAvailable(c, noon) && !IsAvailable(c, DayStart(day + 1).AddTicks(-1)))
                {
                    continue;
                }

                var count = Poisson(c.TxPerDay);
                for (var i = 0; i < count; i++)
                {
                    var at = TimeOnDay(day, c.ActiveHourUtc);
                    if (IsAvailable(c, at))
                    {
                        Everyday(c, at);
                    }
                }

                if (rng.NextDouble() < 0.01 && c.Contacts.Count > 0)
                {
                    SplitBill(c, TimeOnDay(day, c.ActiveHourUtc + 6, 2));
                }

                if (rng.NextDouble() < 0.002)
                {
                    Collect(c, TimeOnDay(day, c.ActiveHourUtc, 2));
                }
            }
        }
    }

    private void Everyday(SimAccount c, DateTimeOffset at)
    {
        if (rng.NextDouble() < PurchaseShare || c.Contacts.Count == 0)
        {
            var merchant = ChooseMerchant(c, at);
            if (merchant is null)
            {
                return;
            }

            // One purchase in 200 is a big-ticket item (a laptop, a flight): 8–40 times the usual amount.
            var usd = rng.NextDouble() < 0.005 ? c.MeanUsd * Uniform(8, 40) : Amount(c.MeanUsd, c.MeanUsd / 2);
            Add(at, c, merchant, usd, "purchase", Scenarios.Legit);
        }
        else
        {
            var friend = ChooseContact(c, at);
            if (friend is not null)
            {
                Add(at, c, friend, Amount(1.5 * c.MeanUsd, c.MeanUsd), "personal", Scenarios.Legit);
            }
        }
    }

    private SimAccount? ChooseMerchant(SimAccount c, DateTimeOffset at)
    {
        if (rng.NextDouble() < NewPayeeShare + ForeignShare || c.UsualMerchants.Count == 0)
        {
            var foreign = rng.NextDouble() < ForeignShare / (NewPayeeShare + ForeignShare);
            for (var attempt = 0; attempt < 10; attempt++)
            {
                var m = Pick(merchants);
                if (m.OpenedAt <= at && (foreign ? m.Currency != c.Currency : m.Currency == c.Currency))
                {
                    if (!foreign && rng.NextDouble() < 0.5)
                    {
                        c.UsualMerchants.Add(m);
                    }

                    return m;
                }
            }
        }

        return c.UsualMerchants.Count == 0 ? null : c.UsualMerchants[(int)(c.UsualMerchants.Count * Math.Pow(rng.NextDouble(), 1.5))];
    }

    private SimAccount? ChooseContact(SimAccount c, DateTimeOffset at)
    {
        if (rng.NextDouble() < NewPayeeShare)
        {
            var stranger = Pick(customers);
            if (stranger != c && stranger.OpenedAt <= at)
            {
                c.Contacts.Add(stranger);
                return stranger;
            }
        }

        var friend = Pick(c.Contacts);
        return friend.OpenedAt <= at ? friend : null;
    }

    /// <summary>3–6 personal payments to known contacts within a few minutes: velocity without fraud.</summary>
    private void SplitBill(SimAccount c, DateTimeOffset at)
    {
        var share = Uniform(5, 60);
        var n = (int)Uniform(3, 7);
        for (var i = 0; i < n; i++)
        {
            at = at.AddSeconds(Uniform(10, 120));
            var friend = Pick(c.Contacts);
            if (friend.OpenedAt <= at && IsAvailable(c, at))
            {
                Add(at, c, friend, share * Uniform(0.9, 1.1), "personal", Scenarios.Legit);
            }
        }
    }

    /// <summary>4–10 people chip in to a collector within hours, who then pays a merchant most of it (a group trip):
    /// the legit twin of a mule's fan-in and cash-out.</summary>
    private void Collect(SimAccount collector, DateTimeOffset at)
    {
        var n = (int)Uniform(4, 11);
        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            var when = at.AddMinutes(Uniform(0, 360));
            var friend = Pick(customers);
            if (friend != collector && IsAvailable(friend, when) && collector.OpenedAt <= when)
            {
                var usd = Uniform(15, 120);
                total += usd;
                Add(when, friend, collector, usd, "personal", Scenarios.Legit);
            }
        }

        var payAt = at.AddHours(6 + Uniform(1, 24));
        var merchant = Pick(merchants);
        if (total > 0 && IsAvailable(collector, payAt) && merchant.OpenedAt <= payAt)
        {
            Add(payAt, collector, merchant, total * Uniform(0.8, 1.0), "purchase", Scenarios.Legit);
        }
    }
}
