using Ledger.CommandApi.Engine;

namespace Ledger.Api.Tests.Fraud;

/// <summary>The deadline list: a payment decided before its deadline gets no deadline verdict (each one was a command
/// and a read of the payment for the engine); one still waiting gets exactly one.</summary>
public class watching_verdict_deadlines
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void only_payments_still_waiting_at_their_deadline_are_due_and_each_once()
    {
        var deadlines = new VerdictDeadlines(TimeSpan.FromSeconds(2));
        deadlines.Watch("pay_decided", "acc_a", Start);
        deadlines.Watch("pay_waiting", "acc_a", Start);
        deadlines.Watch("pay_waiting", "acc_a", Start); // watched again (a batch decided twice after a fence)
        deadlines.Watch("pay_later", "acc_b", Start.AddSeconds(1));
        deadlines.Settle("pay_decided");

        deadlines.TakeDue(Start.AddSeconds(1.9)).Should().BeEmpty("no deadline has passed");
        deadlines.TakeDue(Start.AddSeconds(2)).Should().Equal([("pay_waiting", "acc_a")]);
        deadlines.TakeDue(Start.AddSeconds(2.5)).Should().BeEmpty("each payment is due once");
        deadlines.TakeDue(Start.AddSeconds(3)).Should().Equal([("pay_later", "acc_b")]);
    }

    [Fact]
    public void a_payment_settled_after_its_deadline_was_taken_is_not_due_again()
    {
        var deadlines = new VerdictDeadlines(TimeSpan.FromSeconds(2));
        deadlines.Watch("pay_1", "acc_a", Start);
        deadlines.TakeDue(Start.AddSeconds(2)).Should().ContainSingle();
        deadlines.Settle("pay_1");
        deadlines.Watch("pay_2", "acc_a", Start.AddSeconds(5));
        deadlines.TakeDue(Start.AddSeconds(10)).Should().Equal([("pay_2", "acc_a")]);
    }
}
