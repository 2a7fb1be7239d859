namespace Ledger.FraudPipeline.Synthetic;

/// <summary>
/// Brand-new customers, who are most of a payments product's first impressions: people sign up because someone asked
/// them to pay (a friend, often one who has just joined too) or to buy something, so they open an account, top it up
/// and pay within minutes — sometimes a tiny "does this work?" amount first, often two or three payments in a row.
/// Without them the only brand-new accounts paying within minutes would be the testing scenario's, and the model
/// learns "new account pays soon" = fraud (issue 6: the README's alice, paying bob right after opening, was stopped).
/// </summary>
internal sealed partial class SyntheticWorld
{
    /// <summary>Customers who open during the simulated 180 days: a young product growing about 50 % a year.</summary>
    private const double NewcomerShare = 0.25;

    /// <summary>Newcomers who joined because another newcomer invited them, opening minutes after the inviter.</summary>
    private const double InvitedByNewcomerShare = 0.5;

    /// <summary>Newcomers who pay within minutes of opening (the rest start later, through the everyday plan).</summary>
    private const double PaysRightAwayShare = 0.8;

    /// <summary>Onboarding payments that start with a tiny test amount to the same payee.</summary>
    private const double TinyFirstShare = 0.3;

    /// <summary>Onboarding sessions that go on with a bill split: the newcomer pays back 3–6 friends within minutes
    /// (the dinner they joined for), ordinary amounts in a burst — unlike testing's tiny ones.</summary>
    private const double SplitsABillShare = 0.1;

    private readonly List<SimAccount> newcomers = [];

    /// <summary>
    /// The onboarding sessions: 0.5–10 minutes after opening (a top-up in between, which changes no feature), a
    /// first payment to a newcomer friend (40 %, if one is open), an established friend (35 %) or a merchant (25 %);
    /// 30 % of the time preceded by 0.5–2 USD to the same payee 20–120 s earlier; then a bill split (10 %) or
    /// nothing (45 %), one (35 %) or two (20 %) more payments 15 s–3 min apart, to the same payee or another.
    /// </summary>
    public void PlanOnboarding()
    {
        foreach (var c in newcomers)
        {
            if (rng.NextDouble() >= PaysRightAwayShare)
            {
                continue;
            }

            var at = c.OpenedAt.AddMinutes(Uniform(0.5, 10));
            var (payee, purpose) = OnboardingPayee(c, at);
            if (payee is null)
            {
                continue;
            }

            if (rng.NextDouble() < TinyFirstShare)
            {
                Add(at, c, payee, Uniform(0.5, 2), purpose, Scenarios.Legit);
                at = at.AddSeconds(Uniform(20, 120));
            }

            Add(at, c, payee, OnboardingAmount(c, purpose), purpose, Scenarios.Legit);
            if (rng.NextDouble() < SplitsABillShare && c.Contacts.Count > 0)
            {
                SplitBill(c, at);
                continue;
            }

            var roll = rng.NextDouble();
            for (var more = roll < 0.45 ? 0 : roll < 0.8 ? 1 : 2; more > 0; more--)
            {
                at = at.AddSeconds(Uniform(15, 180));
                if (rng.NextDouble() >= 0.4 && OnboardingPayee(c, at) is ({ } next, var nextPurpose))
                {
                    (payee, purpose) = (next, nextPurpose);
                }

                Add(at, c, payee, OnboardingAmount(c, purpose), purpose, Scenarios.Legit);
            }
        }
    }

    /// <summary>A newcomer's sign-up time: any day but the last week; half around their midday, half in their
    /// evening (local 19:00, when friends settle up after dinner or a night out), widely spread either way.</summary>
    private DateTimeOffset SignUpTime(double activeHourUtc) =>
        TimeOnDay((int)Uniform(0, TotalDays - 7), rng.NextDouble() < 0.5 ? activeHourUtc : activeHourUtc + 7, 4);

    /// <summary>The earlier newcomer who invited this one, or null (an independent sign-up).</summary>
    private SimAccount? InvitingNewcomer() =>
        newcomers.Count > 0 && rng.NextDouble() < InvitedByNewcomerShare ? Pick(newcomers) : null;

    private (SimAccount? Payee, string Purpose) OnboardingPayee(SimAccount c, DateTimeOffset at)
    {
        var roll = rng.NextDouble();
        var newFriends = c.Contacts.Where(f => f.OpenedAt >= options.Start && f.OpenedAt <= at).ToList();
        if (roll < 0.4 && newFriends.Count > 0)
        {
            return (Pick(newFriends), "personal");
        }

        var oldFriends = c.Contacts.Where(f => f.OpenedAt < options.Start).ToList();
        if (roll < 0.75 && oldFriends.Count > 0)
        {
            return (Pick(oldFriends), "personal");
        }

        var shop = c.UsualMerchants.Count > 0 ? Pick(c.UsualMerchants) : null;
        // A quarter of newcomers' first payments to shops say "personal": small sellers ask for friends-and-family
        // payments (no fees, no buyer protection) and a newcomer does not know better yet.
        return shop is null || shop.OpenedAt > at ? (null, "purchase") : (shop, rng.NextDouble() < 0.25 ? "personal" : "purchase");
    }

    private double OnboardingAmount(SimAccount c, string purpose) =>
        purpose == "personal" ? Amount(1.5 * c.MeanUsd, c.MeanUsd) : Amount(c.MeanUsd, c.MeanUsd / 2);
}
