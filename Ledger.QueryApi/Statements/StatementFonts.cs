using PdfSharp.Fonts;

namespace Ledger.QueryApi.Statements;

/// <summary>
/// PDFsharp finds no fonts on Linux by itself. The statement's two faces (DejaVu Sans, regular and bold, freely
/// licensed: Statements/Fonts/LICENSE.txt) ship inside this assembly, so no machine needs a font package installed.
/// Every family name resolves to them.
/// </summary>
public sealed class StatementFonts : IFontResolver
{
    public const string Family = "DejaVu Sans";
    private const string Regular = "DejaVuSans";
    private const string Bold = "DejaVuSans-Bold";

    private static readonly StatementFonts Instance = new();
    private static readonly object Gate = new();
    private static bool _installed;

    private StatementFonts()
    {
    }

    /// <summary>PDFsharp's resolver is process-wide and may be set once (or again with the same instance).</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (!_installed)
            {
                GlobalFontSettings.FontResolver = Instance;
                _installed = true;
            }
        }
    }

    public FontResolverInfo ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? Bold : Regular, false, italic);

    public byte[] GetFont(string faceName)
    {
        using var stream = typeof(StatementFonts).Assembly.GetManifestResourceStream($"Ledger.QueryApi.Fonts.{faceName}.ttf")
            ?? throw new InvalidOperationException($"The font {faceName} is not embedded in Ledger.QueryApi.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
