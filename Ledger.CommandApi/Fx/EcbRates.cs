using System.Collections.Frozen;
using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Ledger.Domain.Fx;
using Ledger.Domain.Money;

namespace Ledger.CommandApi.Fx;

/// <summary>
/// Rates (or the answer that carried them) refused as a whole. The message names what is wrong and where, never the
/// offending text, so providers can log it as it is.
/// </summary>
public sealed class RatesRejectedException(string message) : Exception(message);

/// <summary>
/// Reads the ECB daily reference rates XML (eurofxref-daily.xml): <c>gesmes:Envelope / Cube / Cube time / Cube
/// currency rate</c>. Strict on purpose: a rate the ledger would misread is worse than no new rates, because the
/// providers keep serving the last good table when this throws.
/// </summary>
public static class EcbRates
{
    public const string GesmesNamespace = "http://www.gesmes.org/xml/2002-08-01";
    public const string EurofxrefNamespace = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref";
    public const string Base = "EUR";

    /// <summary>The daily file is ~1.5 KB; anything near this is not a rates file (and is not read further).</summary>
    public const int MaxBytes = 256 * 1024;

    // The ECB publishes the reference rates at about 16:00 CET, i.e. 15:00 UTC. Fixed at UTC+1 all year: under
    // CEST the real publication is at 14:00 UTC, so the table is taken as an hour younger than it is, never older.
    private static readonly TimeOnly PublishedAtUtc = new(15, 0);

    private static readonly XNamespace Gesmes = GesmesNamespace;
    private static readonly XNamespace Eurofxref = EurofxrefNamespace;
    private static readonly XName Cube = Eurofxref + "Cube";

    /// <summary>No DTD (so no external entities and no entity expansion: XXE-safe), no resolver, bounded size.</summary>
    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxBytes,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = false,
    };

    /// <summary>The table in <paramref name="xml"/>, or <see cref="RatesRejectedException"/>.</summary>
    /// <param name="source">What <see cref="RateTable.Source"/> says, e.g. <c>ecb-xml:file:eurofxref-daily.xml</c>.</param>
    public static RateTable Parse(Stream xml, string source)
    {
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(xml, ReaderSettings);
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            // XmlException's message quotes the document (token names, entity names): only its position is kept.
            var where = e.LineNumber > 0 ? $" at line {e.LineNumber}, position {e.LinePosition}" : string.Empty;
            throw new RatesRejectedException($"Not well-formed XML, or a DTD (refused){where}.");
        }

        return Read(document, source);
    }

    public static RateTable Parse(string xml, string source)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(xml));
        return Parse(stream, source);
    }

    private static RateTable Read(XDocument document, string source)
    {
        var root = document.Root!;
        if (root.Name != Gesmes + "Envelope")
        {
            throw new RatesRejectedException($"The root element is not gesmes:Envelope in namespace {GesmesNamespace}.");
        }

        var outer = root.Elements(Cube).ToList();
        if (outer.Count != 1)
        {
            throw new RatesRejectedException($"Expected one Cube in namespace {EurofxrefNamespace} under the envelope, found {outer.Count}.");
        }

        Expect(outer[0].Elements().All(e => e.Name == Cube), "Only Cube elements may stand inside the outer Cube.");
        var dated = outer[0].Elements().ToList();
        // The daily file has one dated Cube; the 90-day history has many and is a different feed.
        Expect(dated.Count == 1, $"Expected one dated Cube (the daily file), found {dated.Count}.");
        var day = dated[0];
        var time = (string?)day.Attribute("time") ?? throw new RatesRejectedException("The dated Cube has no time attribute.");
        if (!DateOnly.TryParseExact(time, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new RatesRejectedException("The dated Cube's time is not a yyyy-MM-dd date.");
        }

        var rates = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var position = 0;
        foreach (var cube in day.Elements())
        {
            position++;
            Expect(cube.Name == Cube && !cube.HasElements, $"Entry {position} is not an empty Cube element.");
            var code = (string?)cube.Attribute("currency") ?? throw new RatesRejectedException($"Entry {position} has no currency attribute.");
            // Only a well-formed code is repeated in the message: anything else could be arbitrary text.
            var shown = Currencies.IsWellFormed(code) ? code : $"entry {position}";
            Expect(Currencies.TryGet(code, out _), $"The currency of {shown} is not in the ledger's ISO 4217 table.");
            Expect(code != Base, $"{Base} is the base and cannot have a rate of its own.");
            Expect(!rates.ContainsKey(code), $"{shown} is listed twice.");
            var text = (string?)cube.Attribute("rate") ?? throw new RatesRejectedException($"{shown} has no rate attribute.");
            // Plain decimal notation only (no exponent, no grouping), parsed as decimal: a double would round the rate.
            if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var rate))
            {
                throw new RatesRejectedException($"The rate of {shown} is not a decimal number.");
            }

            Expect(rate > 0, $"The rate of {shown} is not positive.");
            rates.Add(code, rate);
        }

        Expect(rates.Count > 0, "The dated Cube lists no rates.");
        var asOf = new DateTimeOffset(date.ToDateTime(PublishedAtUtc, DateTimeKind.Utc));
        return new RateTable(Base, rates.ToFrozenDictionary(StringComparer.Ordinal), source, asOf);
    }

    private static void Expect(bool condition, string problem)
    {
        if (!condition)
        {
            throw new RatesRejectedException(problem);
        }
    }
}
