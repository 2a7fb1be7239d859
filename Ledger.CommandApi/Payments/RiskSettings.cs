using Ledger.Domain.Money;
using Ledger.Domain.Payments;

namespace Ledger.CommandApi.Payments;

/// <summary>
/// Section <c>Risk</c>: limits in major units per currency code, or <c>*</c> for every currency without its own
/// entry (scaled to each currency's minor units), e.g. <c>Risk:MaxPerPayment:USD = "5000.00"</c>,
/// <c>Risk:MaxPerDay:* = "50000"</c>, <c>Risk:ReviewAbove:EUR = "2500"</c>, <c>Risk:MaxPaymentsPerMinute = 30</c>.
/// Defaults: 1,000,000 per payment and 5,000,000 a day in any currency; no review threshold; no velocity limit.
/// </summary>
public static class RiskSettings
{
    public static RiskPolicy Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Risk");
        return new RiskPolicy(
            Limits(section.GetSection("MaxPerPayment"), "1000000"),
            Limits(section.GetSection("MaxPerDay"), "5000000"),
            Limits(section.GetSection("ReviewAbove"), null),
            section.GetValue<int?>("MaxPaymentsPerMinute"));
    }

    private static Dictionary<string, long> Limits(IConfigurationSection section, string? defaultForAll)
    {
        var limits = new Dictionary<string, long>(StringComparer.Ordinal);
        var all = section["*"] ?? defaultForAll;
        foreach (var currency in Currencies.All)
        {
            var value = section[currency.Code] ?? all;
            if (value is null)
            {
                continue;
            }

            if (Amounts.TryParse(value, currency.Code, out var money) != Amounts.Problem.None)
            {
                throw new InvalidOperationException($"Risk:{section.Key}:{currency.Code} must be a positive amount in major units (got '{value}').");
            }

            limits[currency.Code] = money.Minor;
        }

        return limits;
    }
}
