using System.Globalization;
using System.Text;
using CsvHelper;
using Ledger.Domain.Money;

namespace Ledger.QueryApi.Statements;

/// <summary>
/// The statement as RFC 4180 CSV (CsvHelper quotes what needs quoting; CRLF line ends), one table with a header:
/// an <c>opening</c> row and a <c>closing</c> row per currency around its <c>entry</c> rows. Opening and closing rows
/// carry the buckets and the total in <c>balance</c>; entry rows carry the signed amount and the total after it.
/// Amounts are decimal strings in major units, as in JSON.
/// </summary>
public static class StatementCsv
{
    public const string ContentType = "text/csv";

    private static readonly string[] Header =
        ["record", "currency", "seq", "occurredAt", "kind", "paymentId", "transactionId", "counterparty", "amount", "balance", "available", "pending", "held"];

    public static byte[] Render(Statement statement)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, null, leaveOpen: true))
        {
            csv.WriteRecord(Header);
            foreach (var part in statement.Currencies)
            {
                var c = part.Currency;
                Row(csv, "opening", c, null, statement.From?.ToString("O", CultureInfo.InvariantCulture), null, null, null, null, null,
                    Amounts.Format(part.Opening.Total, c), Amounts.Format(part.Opening.Available, c), Amounts.Format(part.Opening.Pending, c), Amounts.Format(part.Opening.Held, c));
                foreach (var e in part.Entries)
                {
                    Row(csv, "entry", c, e.Seq.ToString(CultureInfo.InvariantCulture), e.OccurredAt.ToString("O", CultureInfo.InvariantCulture), e.Kind, e.PaymentId, e.TransactionId, e.Counterparty,
                        Amounts.Format(e.Amount, c), Amounts.Format(e.BalanceAfter, c), null, null, null);
                }

                Row(csv, "closing", c, null, statement.AsOf.ToString("O", CultureInfo.InvariantCulture), null, null, null, null, null,
                    Amounts.Format(part.Closing.Total, c), Amounts.Format(part.Closing.Available, c), Amounts.Format(part.Closing.Pending, c), Amounts.Format(part.Closing.Held, c));
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Row(CsvWriter csv, params string?[] fields) => csv.WriteRecord([.. fields.Select(f => f ?? string.Empty)]);
}
