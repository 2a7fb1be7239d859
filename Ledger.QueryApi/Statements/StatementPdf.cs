using System.Globalization;
using Ledger.Domain.Money;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace Ledger.QueryApi.Statements;

/// <summary>
/// The statement as a PDF (PDFsharp): each currency starts on a page of its own with the account, the period, the
/// opening and closing balances, the period's credits and debits, a chart of the total balance over the period, and
/// the entries; entries that do not fit continue on further pages of that currency. Amounts are the same decimal
/// strings as in JSON and CSV (signed in the entries table: credits positive, debits negative), written as text so
/// any PDF text extractor reads them back (the tests do).
/// </summary>
public static class StatementPdf
{
    public const string ContentType = "application/pdf";

    private const double Margin = 48;
    private const double RowHeight = 13;
    private static readonly XFont Title;
    private static readonly XFont Heading;
    private static readonly XFont Body;
    private static readonly XFont Small;
    private static readonly XPen Line = new(XColor.FromArgb(31, 90, 160), 1.4);
    private static readonly XPen Axis = new(XColor.FromArgb(150, 150, 150), 0.5);

    static StatementPdf()
    {
        StatementFonts.Install();
        Title = new XFont(StatementFonts.Family, 16, XFontStyleEx.Bold);
        Heading = new XFont(StatementFonts.Family, 11, XFontStyleEx.Bold);
        Body = new XFont(StatementFonts.Family, 9.5, XFontStyleEx.Regular);
        Small = new XFont(StatementFonts.Family, 7.5, XFontStyleEx.Regular);
    }

    public static byte[] Render(Statement statement)
    {
        using var document = new PdfDocument();
        document.Info.Title = $"Statement {statement.AccountId}";
        document.Info.Creator = "Ledger";
        if (statement.Currencies.Count == 0)
        {
            var page = document.AddPage();
            using var gfx = XGraphics.FromPdfPage(page);
            var y = Header(gfx, statement, null);
            gfx.DrawString("No balance in any currency in this period.", Body, XBrushes.Black, Margin, y + 10, XStringFormats.TopLeft);
        }

        foreach (var part in statement.Currencies)
        {
            CurrencyPages(document, statement, part);
        }

        using var output = new MemoryStream();
        document.Save(output, false);
        return output.ToArray();
    }

    private static void CurrencyPages(PdfDocument document, Statement statement, CurrencyStatement part)
    {
        var c = part.Currency;
        var page = document.AddPage();
        var gfx = XGraphics.FromPdfPage(page);
        try
        {
            var y = Header(gfx, statement, c);
            y = Summary(gfx, y, part);
            y = Chart(gfx, page, y + 8, statement, part);
            y = TableHeader(gfx, page, y + 14);
            foreach (var e in part.Entries)
            {
                if (y + RowHeight > page.Height.Point - Margin)
                {
                    gfx.Dispose();
                    page = document.AddPage();
                    gfx = XGraphics.FromPdfPage(page);
                    gfx.DrawString($"{statement.AccountId} · {c}, continued", Heading, XBrushes.Black, Margin, Margin, XStringFormats.TopLeft);
                    y = TableHeader(gfx, page, Margin + 24);
                }

                var width = page.Width.Point - (2 * Margin);
                gfx.DrawString($"#{e.Seq.ToString(CultureInfo.InvariantCulture)}", Body, XBrushes.Black, Margin, y, XStringFormats.TopLeft);
                gfx.DrawString(e.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Body, XBrushes.Black, Margin + 45, y, XStringFormats.TopLeft);
                gfx.DrawString(e.Kind, Body, XBrushes.Black, Margin + 140, y, XStringFormats.TopLeft);
                gfx.DrawString(Clip(e.Counterparty ?? e.PaymentId ?? e.TransactionId ?? "-"), Small, XBrushes.DimGray, Margin + 225, y + 1.5, XStringFormats.TopLeft);
                gfx.DrawString(Amounts.Format(e.Amount, c), Body, XBrushes.Black, new XRect(Margin, y, width - 80, RowHeight), XStringFormats.TopRight);
                gfx.DrawString(Amounts.Format(e.BalanceAfter, c), Body, XBrushes.Black, new XRect(Margin, y, width, RowHeight), XStringFormats.TopRight);
                y += RowHeight;
            }

            if (part.Entries.Count == 0)
            {
                gfx.DrawString("No entries in this period.", Body, XBrushes.DimGray, Margin, y, XStringFormats.TopLeft);
            }
        }
        finally
        {
            gfx.Dispose();
        }
    }

    private static double Header(XGraphics gfx, Statement s, string? currency)
    {
        var y = Margin;
        gfx.DrawString(currency is null ? "Account statement" : $"Account statement · {currency}", Title, XBrushes.Black, Margin, y, XStringFormats.TopLeft);
        y += 26;
        Pair(gfx, y, "Account", $"{s.AccountId} ({s.Username})");
        y += RowHeight;
        Pair(gfx, y, "Holder", s.Name);
        y += RowHeight;
        Pair(gfx, y, "Status", s.Status);
        y += RowHeight;
        Pair(gfx, y, "Period", $"{(s.From is { } f ? Instant(f) : "opening of the account")} to {Instant(s.AsOf)}");
        return y + RowHeight + 6;
    }

    private static double Summary(XGraphics gfx, double y, CurrencyStatement part)
    {
        var c = part.Currency;
        gfx.DrawString("Summary", Heading, XBrushes.Black, Margin, y, XStringFormats.TopLeft);
        y += 18;
        foreach (var (label, value) in new[]
                 {
                     ("Opening balance", part.Opening.Total), ("Credits", part.Credits), ("Debits", part.Debits), ("Closing balance", part.Closing.Total),
                 })
        {
            gfx.DrawString(label, Body, XBrushes.Black, Margin, y, XStringFormats.TopLeft);
            gfx.DrawString($"{Amounts.Format(value, c)} {c}", Body, XBrushes.Black, new XRect(Margin, y, 240, RowHeight), XStringFormats.TopRight);
            y += RowHeight;
        }

        gfx.DrawString(
            $"Closing available {Amounts.Format(part.Closing.Available, c)}, pending {Amounts.Format(part.Closing.Pending, c)}, held {Amounts.Format(part.Closing.Held, c)} {c}",
            Small, XBrushes.DimGray, Margin, y + 2, XStringFormats.TopLeft);
        return y + RowHeight + 4;
    }

    /// <summary>The total balance over the period as a step line: flat between entries, a step at each.</summary>
    private static double Chart(XGraphics gfx, PdfPage page, double y, Statement s, CurrencyStatement part)
    {
        const double height = 150;
        var left = Margin + 60;
        var right = page.Width.Point - Margin;
        var box = new XRect(left, y, right - left, height);
        gfx.DrawString("Balance over the period", Heading, XBrushes.Black, Margin, y - 2, XStringFormats.TopLeft);
        box.Y += 16;
        gfx.DrawRectangle(Axis, box);

        var start = s.From ?? (part.Entries.Count > 0 ? part.Entries[0].OccurredAt : s.AsOf);
        var end = s.AsOf > start ? s.AsOf : start.AddSeconds(1);
        var values = part.Entries.Select(e => e.BalanceAfter).Append(part.Opening.Total).ToList();
        var (min, max) = (Math.Min(0, values.Min()), Math.Max(0, values.Max()));
        if (min == max)
        {
            max = min + 1;
        }

        double X(DateTimeOffset t) => box.Left + (box.Width * Math.Clamp((t - start).TotalSeconds / (end - start).TotalSeconds, 0, 1));
        double Y(long v) => box.Bottom - 4 - ((box.Height - 8) * (v - min) / (double)(max - min));

        var points = new List<XPoint> { new(X(start), Y(part.Opening.Total)) };
        var current = part.Opening.Total;
        foreach (var e in part.Entries)
        {
            var x = X(e.OccurredAt);
            points.Add(new XPoint(x, Y(current)));
            points.Add(new XPoint(x, Y(e.BalanceAfter)));
            current = e.BalanceAfter;
        }

        points.Add(new XPoint(X(end), Y(current)));
        if (min < 0)
        {
            gfx.DrawLine(Axis, box.Left, Y(0), box.Right, Y(0));
        }

        gfx.DrawLines(Line, [.. points]);
        var c = part.Currency;
        gfx.DrawString(Amounts.Format(max, c), Small, XBrushes.DimGray, new XRect(Margin, box.Top - 4, 56, 10), XStringFormats.TopRight);
        gfx.DrawString(Amounts.Format(min, c), Small, XBrushes.DimGray, new XRect(Margin, box.Bottom - 6, 56, 10), XStringFormats.TopRight);
        gfx.DrawString(Instant(start), Small, XBrushes.DimGray, box.Left, box.Bottom + 3, XStringFormats.TopLeft);
        gfx.DrawString(Instant(end), Small, XBrushes.DimGray, new XRect(box.Left, box.Bottom + 3, box.Width, 10), XStringFormats.TopRight);
        return box.Bottom + 16;
    }

    private static double TableHeader(XGraphics gfx, PdfPage page, double y)
    {
        var width = page.Width.Point - (2 * Margin);
        gfx.DrawString("Entries", Heading, XBrushes.Black, Margin, y, XStringFormats.TopLeft);
        y += 17;
        gfx.DrawString("Seq", Small, XBrushes.DimGray, Margin, y, XStringFormats.TopLeft);
        gfx.DrawString("Occurred (UTC)", Small, XBrushes.DimGray, Margin + 45, y, XStringFormats.TopLeft);
        gfx.DrawString("Kind", Small, XBrushes.DimGray, Margin + 140, y, XStringFormats.TopLeft);
        gfx.DrawString("Counterparty / reference", Small, XBrushes.DimGray, Margin + 225, y, XStringFormats.TopLeft);
        gfx.DrawString("Amount", Small, XBrushes.DimGray, new XRect(Margin, y, width - 80, 10), XStringFormats.TopRight);
        gfx.DrawString("Balance", Small, XBrushes.DimGray, new XRect(Margin, y, width, 10), XStringFormats.TopRight);
        gfx.DrawLine(Axis, Margin, y + 11, Margin + width, y + 11);
        return y + 14;
    }

    private static void Pair(XGraphics gfx, double y, string label, string value)
    {
        gfx.DrawString(label, Body, XBrushes.DimGray, Margin, y, XStringFormats.TopLeft);
        gfx.DrawString(value, Body, XBrushes.Black, Margin + 70, y, XStringFormats.TopLeft);
    }

    /// <summary>Ids are long; the column holds about 34 characters of the small font.</summary>
    private static string Clip(string text) => text.Length <= 34 ? text : string.Concat(text.AsSpan(0, 33), "…");

    private static string Instant(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
