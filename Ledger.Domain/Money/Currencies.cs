using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;

namespace Ledger.Domain.Money;

/// <summary>An ISO 4217 currency and its minor units (JPY 0, USD 2, KWD 3).</summary>
public sealed record Currency(string Code, int MinorUnits, string Name)
{
    /// <summary>10^MinorUnits: how many minor units make one major unit.</summary>
    public long Factor { get; } = (long)Math.Pow(10, MinorUnits);
}

/// <summary>
/// The currency table, shipped as data (<c>iso4217.csv</c>, embedded), never guessed from .NET cultures.
/// Codes that are well-formed but not in the table (retired, funds codes, metals) are "not supported".
/// </summary>
public static class Currencies
{
    private static readonly FrozenDictionary<string, Currency> Table = Load();

    public static IReadOnlyCollection<Currency> All => Table.Values;

    public static bool TryGet(string? code, out Currency currency) => Table.TryGetValue(code ?? string.Empty, out currency!);

    public static Currency Get(string code) =>
        Table.TryGetValue(code, out var currency) ? currency : throw new ArgumentException($"Unknown currency {code}.", nameof(code));

    /// <summary>Three upper-case ASCII letters: the shape of an ISO 4217 code, known or not.</summary>
    public static bool IsWellFormed(string? code) => code is { Length: 3 } && code.All(char.IsAsciiLetterUpper);

    private static FrozenDictionary<string, Currency> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Ledger.Domain.Money.iso4217.csv")
            ?? throw new InvalidOperationException("The ISO 4217 table is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<string, Currency>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("code,", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line.Split(',', 3);
            table.Add(parts[0], new Currency(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2]));
        }

        return table.ToFrozenDictionary();
    }
}
