using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;

namespace Ledger.FraudPipeline.Tests;

/// <summary>
/// The shipped model on the two situations a product meets on day one (issue 6): a customer who just opened an
/// account, topped it up and pays a friend or a shop within minutes (most new customers; must complete), and a
/// "testing" burst of tiny payments to accounts never paid (must be stopped). Each case is built the way the live
/// pipeline sees it: <see cref="AccountFeatures"/> documents opened by <c>account_opened.v1</c> (a deposit changes no
/// feature), each payment read with <see cref="FeatureExtractor.Extract"/> and then folded in with
/// <see cref="FeatureExtractor.Observe"/>. Thresholds are the <see cref="DecisionPolicy"/> defaults.
/// </summary>
public class judging_new_customers_and_testing_bursts
{
    private static readonly Lazy<ModelScorer> Shipped = new(() => ModelScorer.Load());

    /// <summary>Well clear of review (0.5): a new customer's everyday payment must not sit near the line.</summary>
    private const double Ordinary = 0.2;

    private static readonly DecisionPolicy Defaults = new();

    /// <summary>Every hour of one day: the end-to-end tests and the README walk-through run whenever someone runs them,
    /// and the model sees the UTC hour.</summary>
    private static readonly DateTimeOffset[] AllDay =
        [.. Enumerable.Range(0, 24).Select(h => new DateTimeOffset(2026, 11, 24, h, 17, 30, TimeSpan.Zero))];

    [Fact]
    public void a_new_customers_first_small_payment_to_a_new_friend_is_ordinary_at_any_hour()
    {
        foreach (var now in AllDay)
        {
            var world = new World(now);
            var alice = world.Open("alice", now.AddMinutes(-1));
            var bob = world.Open("bob", now.AddMinutes(-1));

            world.Pay(alice, bob, 12_00, "USD", "personal", now).Should().BeLessThan(Ordinary, $"at {now:HH:mm} UTC");
        }
    }

    [Fact]
    public void a_new_customers_first_small_payment_to_an_established_merchant_is_ordinary_at_any_hour()
    {
        foreach (var now in AllDay)
        {
            var world = new World(now);
            var shop = world.EstablishedMerchant("shop", now);
            var alice = world.Open("alice", now.AddMinutes(-1));

            world.Pay(alice, shop, 12_00, "USD", "purchase", now).Should().BeLessThan(Ordinary, $"purchase at {now:HH:mm} UTC");
            var carol = world.Open("carol", now.AddMinutes(-1));
            world.Pay(carol, shop, 12_00, "USD", "personal", now.AddSeconds(5)).Should().BeLessThan(Ordinary, $"personal at {now:HH:mm} UTC");
        }
    }

    [Fact]
    public void a_new_customers_second_and_third_payments_30_seconds_apart_to_the_same_friend_are_ordinary()
    {
        foreach (var now in AllDay)
        {
            var world = new World(now);
            var alice = world.Open("alice", now.AddMinutes(-1));
            var bob = world.Open("bob", now.AddMinutes(-1));

            var scores = Enumerable.Range(0, 3).Select(i => world.Pay(alice, bob, 12_00, "USD", "personal", now.AddSeconds(30 * i))).ToList();

            scores.Should().OnlyContain(s => s < Ordinary, $"at {now:HH:mm} UTC: {string.Join(", ", scores)}");
        }
    }

    [Fact]
    public void a_new_customers_second_and_third_payments_30_seconds_apart_to_different_new_friends_are_ordinary()
    {
        foreach (var now in AllDay)
        {
            var world = new World(now);
            var alice = world.Open("alice", now.AddMinutes(-1));
            var friends = new[] { "bob", "carol", "dave" }.Select(f => world.Open(f, now.AddMinutes(-1))).ToList();

            var scores = friends.Select((f, i) => world.Pay(alice, f, 12_00, "USD", "personal", now.AddSeconds(30 * i))).ToList();

            scores.Should().OnlyContain(s => s < Ordinary, $"at {now:HH:mm} UTC: {string.Join(", ", scores)}");
        }
    }

    [Fact]
    public void the_readme_walk_through_a_new_customer_paying_a_friend_then_paying_them_in_euros_completes()
    {
        foreach (var now in AllDay)
        {
            var world = new World(now);
            var alice = world.Open("alice", now.AddMinutes(-2));
            var bob = world.Open("bob", now.AddMinutes(-3));

            var first = world.Pay(alice, bob, 12_34, "USD", "personal", now);
            var second = world.Pay(alice, bob, 5_00, "USD", "personal", now.AddSeconds(45), payeeCurrency: "EUR");

            Defaults.Decide(first, ruleHit: false).Should().Be("approve", $"at {now:HH:mm} UTC, score {first}");
            Defaults.Decide(second, ruleHit: false).Should().Be("approve", $"at {now:HH:mm} UTC, score {second}");
        }
    }

    [Fact]
    public void a_new_accounts_burst_of_one_dollar_payments_to_never_paid_new_accounts_is_stopped_from_the_sixth()
    {
        foreach (var now in AllDay)
        {
            var world = new World(now);
            var mallory = world.Open("mallory", now.AddMinutes(-1));

            var scores = Burst(world, mallory, now, i => world.Open($"victim{i}", now.AddSeconds(-30)), "personal");

            scores[0].Should().BeLessThan(Defaults.ReviewAt, $"one small first payment is ordinary (at {now:HH:mm} UTC)");
            scores.Skip(5).Should().OnlyContain(s => s >= Defaults.ReviewAt, $"at {now:HH:mm} UTC: {string.Join(", ", scores)}");
        }
    }

    [Fact]
    public void an_established_customers_burst_of_one_dollar_payments_to_never_paid_accounts_is_stopped_from_the_sixth()
    {
        foreach (var now in AllDay)
        {
            var world = new World(now);
            var victim = world.EstablishedCustomer("victim", now);

            var personal = Burst(world, victim, now, i => world.Open($"new{i}", now.AddDays(-3)), "personal");
            var purchases = Burst(world, victim, now.AddHours(3), i => world.EstablishedMerchant($"shop{i}", now.AddHours(3)), "purchase");

            personal.Skip(5).Should().OnlyContain(s => s >= Defaults.ReviewAt, $"to new accounts at {now:HH:mm} UTC: {string.Join(", ", personal)}");
            purchases.Skip(5).Should().OnlyContain(s => s >= Defaults.ReviewAt, $"at shops at {now:HH:mm} UTC: {string.Join(", ", purchases)}");
        }
    }

    /// <summary>15 payments of 1.00 USD, 4 s apart (about a minute in all), each to a payee never paid.</summary>
    private static List<double> Burst(World world, AccountFeatures payer, DateTimeOffset start, Func<int, AccountFeatures> payee, string purpose) =>
        [.. Enumerable.Range(0, 15).Select(i => world.Pay(payer, payee(i), 1_00, "USD", purpose, start.AddSeconds(4 * i)))];

    /// <summary>Feature documents as the live pipeline keeps them, and the shipped model's score for each payment.</summary>
    private sealed class World(DateTimeOffset now)
    {
        private int payments;

        public AccountFeatures Open(string id, DateTimeOffset at)
        {
            var doc = new AccountFeatures { Id = id };
            FeatureExtractor.Opened(doc, at);
            return doc;
        }

        /// <summary>Open two years, about 40 sales a day from distinct customers over the last day.</summary>
        public AccountFeatures EstablishedMerchant(string id, DateTimeOffset at)
        {
            var shop = Open(id, at.AddYears(-2));
            for (var i = 0; i < 40; i++)
            {
                var customer = Open($"{id}-customer{i}", at.AddYears(-1));
                FeatureExtractor.Observe(customer, shop, Facts(customer, shop, 20_00 + (i * 37), "USD", "purchase", at.AddMinutes(-36 * (i + 1)), "USD"));
            }

            return shop;
        }

        /// <summary>Open three years, a payment a day of 20–60 USD to a handful of usual payees for the last 60 days.</summary>
        public AccountFeatures EstablishedCustomer(string id, DateTimeOffset at)
        {
            var customer = Open(id, at.AddYears(-3));
            var usual = Enumerable.Range(0, 5).Select(k => Open($"{id}-usual{k}", at.AddYears(-4))).ToList();
            for (var day = 60; day >= 1; day--)
            {
                var payee = usual[day % usual.Count];
                FeatureExtractor.Observe(customer, payee, Facts(customer, payee, 20_00 + (day * 67 % 4_000), "USD", "purchase", at.AddDays(-day).AddHours(-2), "USD"));
            }

            return customer;
        }

        public double Pay(AccountFeatures payer, AccountFeatures payee, long minor, string currency, string purpose, DateTimeOffset at,
            string? payeeCurrency = null)
        {
            var facts = Facts(payer, payee, minor, currency, purpose, at, payeeCurrency ?? currency);
            var features = FeatureExtractor.Extract(payer, payee, facts);
            FeatureExtractor.Observe(payer, payee, facts);
            return Shipped.Value.Score(features);
        }

        private PaymentFacts Facts(AccountFeatures payer, AccountFeatures payee, long minor, string currency, string purpose,
            DateTimeOffset at, string payeeCurrency) =>
            new($"pay_{now:HHmm}_{payments++}", payer.Id, payee.Id, minor, currency, payeeCurrency, purpose, at);
    }
}
