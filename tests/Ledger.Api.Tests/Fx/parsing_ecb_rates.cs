using Ledger.CommandApi.Fx;
using Ledger.Domain.Money;
using static Ledger.Api.Tests.Fx.FxFixtures;

namespace Ledger.Api.Tests.Fx;

public class parsing_ecb_rates
{
    private static readonly string[] EcbCurrencies =
    [
        "USD", "JPY", "BGN", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF", "ISK", "NOK", "TRY", "AUD",
        "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN", "MYR", "NZD", "PHP", "SGD", "THB", "ZAR",
    ];

    [Fact]
    public void the_shipped_file_has_ecbs_thirty_currencies_and_two_three_decimal_ones()
    {
        using var file = File.OpenRead(ShippedFile);
        var table = EcbRates.Parse(file, "ecb-xml:file:eurofxref-daily.xml");

        table.Base.Should().Be("EUR");
        table.Source.Should().Be("ecb-xml:file:eurofxref-daily.xml");
        table.AsOf.Should().Be(new DateTimeOffset(2026, 11, 24, 15, 0, 0, TimeSpan.Zero), "ECB publishes at 16:00 CET");
        table.PerBase.Keys.Should().BeEquivalentTo([.. EcbCurrencies, "KWD", "BHD"]);
        table.PerBase["USD"].Should().Be(1.0823m);
        table.PerBase["KWD"].Should().BeInRange(0.30m, 0.36m);
        table.PerBase["BHD"].Should().BeInRange(0.38m, 0.44m);
        Currencies.Get("KWD").MinorUnits.Should().Be(3);
        Currencies.Get("BHD").MinorUnits.Should().Be(3);
        table.PerBase.Values.Should().OnlyContain(rate => rate > 0);
    }

    [Fact]
    public void the_shipped_file_is_copied_to_the_build_output()
    {
        // The test project's output holds what the CommandApi build copies next to its dll (CopyToOutputDirectory).
        var copied = Path.Combine(AppContext.BaseDirectory, "Fx", "eurofxref-daily.xml");
        File.Exists(copied).Should().BeTrue();
        File.ReadAllText(copied).Should().Be(File.ReadAllText(ShippedFile));
    }

    [Fact]
    public void rates_keep_every_digit_as_decimals()
    {
        var table = EcbRates.Parse(Rates(usd: "1.123456789012345678901", jpy: "163.40"), "test");

        table.PerBase["USD"].Should().Be(1.123456789012345678901m, "a double would keep ~16 digits");
        table.PerBase["JPY"].Should().Be(163.40m);
        table.AsOf.Should().Be(new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero));
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "not XML", "rates: USD 1.08", "Not well-formed XML, or a DTD (refused) at line 1, position 1." },
        { "truncated XML", Rates()[..200], "Not well-formed" },
        { "another root", "<Envelope><Cube/></Envelope>", "gesmes:Envelope" },
        { "no outer Cube", "<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01'/>", "found 0" },
        { "Cube outside ECB's namespace", Rates().Replace("xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\"", "xmlns=\"urn:other\"", StringComparison.Ordinal), "found 0" },
        { "no dated Cube", Rates().Replace("<Cube time='2026-11-25'>", "<Cube foo='1'>", StringComparison.Ordinal), "no time" },
        { "empty time", Daily("<Cube currency='USD' rate='1.08'/>", time: ""), "yyyy-MM-dd" },
        { "time that is not a date", Daily("<Cube currency='USD' rate='1.08'/>", time: "2026-02-30"), "yyyy-MM-dd" },
        { "time with a clock", Daily("<Cube currency='USD' rate='1.08'/>", time: "2026-11-25T16:00"), "yyyy-MM-dd" },
        { "two dated Cubes", Rates().Replace("</Cube>\n  </Cube>", "</Cube><Cube time='2026-11-24'/>\n  </Cube>", StringComparison.Ordinal), "found 2" },
        { "no rates", Daily(string.Empty), "no rates" },
        { "zero rate", Rates(usd: "0"), "USD is not positive" },
        { "negative rate", Rates(usd: "-1.0823"), "USD is not positive" },
        { "unparseable rate", Rates(usd: "one-point-oh-eight"), "USD is not a decimal" },
        { "comma decimal", Rates(usd: "1,0823"), "USD is not a decimal" },
        { "exponent rate", Rates(usd: "1.08e0"), "USD is not a decimal" },
        { "empty rate", Rates(usd: string.Empty), "USD is not a decimal" },
        { "missing rate", Daily("<Cube currency='USD'/>"), "USD has no rate" },
        { "missing currency", Daily("<Cube rate='1.08'/>"), "no currency" },
        { "currency not in the ISO table", Daily("<Cube currency='XAU' rate='0.0004'/>"), "XAU is not in the ledger's ISO 4217 table" },
        { "made-up currency", Daily("<Cube currency='ABC' rate='1.5'/>"), "ABC is not in" },
        { "lower-case code", Daily("<Cube currency='usd' rate='1.08'/>"), "entry 1 is not in" },
        { "the base quoted", Daily("<Cube currency='EUR' rate='1'/>"), "EUR is the base" },
        { "a currency twice", Daily("<Cube currency='USD' rate='1.08'/><Cube currency='USD' rate='1.09'/>"), "USD is listed twice" },
        { "an unknown element among the rates", Daily("<Cube currency='USD' rate='1.08'/><Rate currency='JPY' rate='163'/>"), "Entry 2 is not an empty Cube" },
        { "a nested Cube under a rate", Daily("<Cube currency='USD' rate='1.08'><Cube currency='JPY' rate='163'/></Cube>"), "Entry 1 is not an empty Cube" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void a_malformed_file_is_refused_with_the_reason(string scenario, string xml, string reason)
    {
        var parse = () => EcbRates.Parse(xml, "test");

        parse.Should().Throw<RatesRejectedException>(scenario).Which.Message.Should().Contain(reason);
    }

    [Fact]
    public void the_reason_never_repeats_the_offending_text()
    {
        var parse = () => EcbRates.Parse(Daily("<Cube currency='not a code at all' rate='1'/><Cube currency='USD' rate='SECRET-1.08'/>"), "test");

        parse.Should().Throw<RatesRejectedException>().Which.Message.Should().NotContain("not a code").And.Contain("entry 1");
        var rate = () => EcbRates.Parse(Rates(usd: "SECRET-1.08"), "test");
        rate.Should().Throw<RatesRejectedException>().Which.Message.Should().NotContain("SECRET");
    }

    [Fact]
    public void an_external_entity_is_never_read()
    {
        var secret = Path.GetTempFileName();
        File.WriteAllText(secret, "1.2345");
        try
        {
            var xxe = $"""
                <?xml version="1.0"?>
                <!DOCTYPE gesmes:Envelope [ <!ENTITY usd SYSTEM "file://{secret}"> ]>
                <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
                  <Cube><Cube time='2026-11-25'><Cube currency='USD' rate='&usd;'/></Cube></Cube>
                </gesmes:Envelope>
                """;
            var parse = () => EcbRates.Parse(xxe, "test");

            parse.Should().Throw<RatesRejectedException>().Which.Message.Should().Contain("DTD").And.NotContain("1.2345");
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void an_entity_expansion_bomb_is_refused_before_it_expands()
    {
        var bomb = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [ <!ENTITY lol "lol"> <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"> ]>
            <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01">&lol3;</gesmes:Envelope>
            """;

        var parse = () => EcbRates.Parse(bomb, "test");

        parse.Should().Throw<RatesRejectedException>().Which.Message.Should().Contain("DTD");
    }

    [Fact]
    public void a_document_past_the_size_limit_is_refused()
    {
        var padding = new string(' ', EcbRates.MaxBytes);
        var parse = () => EcbRates.Parse(Rates().Replace("<Cube>", $"<Cube>{padding}", StringComparison.Ordinal), "test");

        parse.Should().Throw<RatesRejectedException>();
    }
}
