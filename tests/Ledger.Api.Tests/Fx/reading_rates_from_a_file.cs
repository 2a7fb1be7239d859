using Ledger.CommandApi.Fx;
using static Ledger.Api.Tests.Fx.FxFixtures;

namespace Ledger.Api.Tests.Fx;

/// <summary>The embedded default's provider on a real file in a folder of the test's own.</summary>
public sealed class reading_rates_from_a_file : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ledger-fx-");
    private readonly LogSink _logs = new();

    private string RatesPath => Path.Combine(_root.FullName, "Fx", "eurofxref-daily.xml");

    public reading_rates_from_a_file() => Directory.CreateDirectory(Path.GetDirectoryName(RatesPath)!);

    public void Dispose() => _root.Delete(recursive: true);

    private FileRatesProvider Provider(bool useWatcher = true, int pollMilliseconds = 100, string ratesFile = "Fx/eurofxref-daily.xml") =>
        new(new FxOptions { RatesFile = ratesFile }, new TestEnvironment(_root.FullName), TimeProvider.System,
            Logger<FileRatesProvider>(_logs), TimeSpan.FromMilliseconds(pollMilliseconds), useWatcher);

    private static decimal? Usd(IRatesProvider provider) => provider.Current?.PerBase["USD"];

    [Fact]
    public async Task the_file_is_loaded_before_the_host_serves()
    {
        File.WriteAllText(RatesPath, Rates());
        using var provider = Provider();

        await provider.StartAsync(CancellationToken.None);

        provider.Current.Should().NotBeNull("StartAsync returns with the table in place");
        Usd(provider).Should().Be(1.0823m);
        provider.Current!.Source.Should().Be("ecb-xml:file:eurofxref-daily.xml");
        provider.FilePath.Should().Be(RatesPath, "a relative path is under the content root");
        await provider.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task when_the_file_changes_the_new_rates_are_served()
    {
        File.WriteAllText(RatesPath, Rates());
        // A long poll: the watcher must be what finds the change.
        using var provider = Provider(pollMilliseconds: 60_000);
        await provider.StartAsync(CancellationToken.None);

        File.WriteAllText(RatesPath, Rates(usd: "1.0901"));

        await EventuallyAsync(() => Usd(provider) == 1.0901m, "the watcher reloads a rewritten file");
        await provider.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task a_change_the_watcher_misses_is_found_by_polling()
    {
        File.WriteAllText(RatesPath, Rates());
        using var provider = Provider(useWatcher: false);
        await provider.StartAsync(CancellationToken.None);

        // Replaced by rename, as deploy tools and editors do: a new file, a new write time.
        var staged = RatesPath + ".new";
        File.WriteAllText(staged, Rates(usd: "1.1111"));
        File.Move(staged, RatesPath, overwrite: true);

        await EventuallyAsync(() => Usd(provider) == 1.1111m, "the periodic check sees the new write time");
        await provider.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task a_broken_rewrite_keeps_the_last_good_table_and_logs_no_contents()
    {
        File.WriteAllText(RatesPath, Rates());
        using var provider = Provider();
        await provider.StartAsync(CancellationToken.None);
        var good = provider.Current;

        File.WriteAllText(RatesPath, Rates(usd: "SECRET-NOT-A-RATE"));

        await EventuallyAsync(() => _logs.Lines.Any(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("USD is not a decimal", StringComparison.Ordinal)),
            "the failed reload is reported with its reason");
        provider.Current.Should().BeSameAs(good);
        _logs.Lines.Should().NotContain(l => l.Contains("SECRET", StringComparison.Ordinal));

        // And it recovers as soon as the file is fixed.
        File.WriteAllText(RatesPath, Rates(usd: "1.2000"));
        await EventuallyAsync(() => Usd(provider) == 1.2000m, "a fixed file is loaded again");
        await provider.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task a_missing_file_leaves_no_table_until_it_appears()
    {
        // A name with no copy beside the app either (the shipped file's name would be found there).
        var later = Path.Combine(_root.FullName, "Fx", "later.xml");
        using var provider = Provider(ratesFile: "Fx/later.xml");
        await provider.StartAsync(CancellationToken.None);

        provider.Current.Should().BeNull();
        _logs.Lines.Should().ContainMatch("Error*no reference rates until it is fixed*");

        File.WriteAllText(later, Rates(usd: "1.0500"));
        await EventuallyAsync(() => Usd(provider) == 1.0500m, "the file is picked up once it exists");
        await provider.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void the_shipped_file_is_found_beside_the_app_when_the_content_root_lacks_it()
    {
        // ops/run starts `dotnet …/bin/Release/net10.0/Ledger.CommandApi.dll` from wherever it is run, so the content
        // root (the working directory) may not hold Fx/; the copy beside the dll is used then.
        var resolved = FileRatesProvider.Resolve("Fx/eurofxref-daily.xml", _root.FullName);

        resolved.Should().Be(Path.Combine(AppContext.BaseDirectory, "Fx", "eurofxref-daily.xml"));
        File.Exists(resolved).Should().BeTrue();
    }

    [Fact]
    public void a_file_under_the_content_root_wins_and_an_absolute_path_is_taken_as_it_is()
    {
        File.WriteAllText(RatesPath, Rates());

        FileRatesProvider.Resolve("Fx/eurofxref-daily.xml", _root.FullName).Should().Be(RatesPath);
        FileRatesProvider.Resolve("/somewhere/else.xml", _root.FullName).Should().Be("/somewhere/else.xml");
    }
}
