using System.Threading.Channels;
using Ledger.Domain.Fx;

namespace Ledger.CommandApi.Fx;

/// <summary>
/// The embedded default: an ECB daily-reference XML file, loaded at start and again whenever it changes. A
/// <see cref="FileSystemWatcher"/> gives prompt reloads; a cheap periodic look at the file's write time and size
/// catches what the watcher misses (network and container file systems, editors that replace the file). A reload that
/// fails keeps the last good table.
/// </summary>
public sealed class FileRatesProvider : BackgroundService, IRatesProvider
{
    private static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(5);

    // Writers fire several change events per save and may still be writing at the first: wait for them to settle.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _time;
    private readonly ILogger<FileRatesProvider> _logger;
    private readonly TimeSpan _pollInterval;
    private readonly bool _useWatcher;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private FileSystemWatcher? _watcher;
    // Written before the file's timestamps can tell two writes apart (coarse or 2 s file system clocks): a stamp taken
    // this soon after a write may not change on the next one, so the next poll reads the file again (git's "racy" rule).
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(3);

    private volatile RateTable? _current;

    // Loop state, touched only by StartAsync's first load and then by the loop.
    private (DateTime WrittenUtc, long Length)? _seen;
    private bool _racy;
    private byte[]? _lastRead;

    public FileRatesProvider(FxOptions options, IHostEnvironment environment, TimeProvider time, ILogger<FileRatesProvider> logger)
        : this(options, environment, time, logger, DefaultPollInterval, useWatcher: true)
    {
    }

    /// <summary>Tests shorten the poll and can turn the watcher off to prove the poll alone finds a change.</summary>
    internal FileRatesProvider(FxOptions options, IHostEnvironment environment, TimeProvider time, ILogger<FileRatesProvider> logger, TimeSpan pollInterval, bool useWatcher)
    {
        _time = time;
        _logger = logger;
        _pollInterval = pollInterval;
        _useWatcher = useWatcher;
        FilePath = Resolve(options.RatesFile, environment.ContentRootPath);
        Source = $"ecb-xml:file:{Path.GetFileName(FilePath)}";
    }

    public RateTable? Current => _current;

    /// <summary>The file read, after resolving a relative <see cref="FxOptions.RatesFile"/>.</summary>
    public string FilePath { get; }

    public string Source { get; }

    /// <summary>
    /// Relative paths are under the content root: the project folder under WebApplicationFactory or <c>dotnet run</c>,
    /// the working directory for <c>dotnet Ledger.CommandApi.dll</c>. When the file is not there (a host started from
    /// another folder, as ops/run does) the copy in the app's own folder is used: the csproj puts the shipped file there.
    /// </summary>
    internal static string Resolve(string ratesFile, string contentRoot)
    {
        if (Path.IsPathRooted(ratesFile))
        {
            return ratesFile;
        }

        var underContentRoot = Path.GetFullPath(Path.Combine(contentRoot, ratesFile));
        var besideApp = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, ratesFile));
        return !File.Exists(underContentRoot) && File.Exists(besideApp) ? besideApp : underContentRoot;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Loaded before the host starts serving, so the first request already has rates.
        Reload();
        if (_useWatcher)
        {
            StartWatcher();
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _watcher?.Dispose();
        _watcher = null;
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_pollInterval, _time);
        Task<bool>? tick = null;
        Task<bool>? changed = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                tick ??= timer.WaitForNextTickAsync(stoppingToken).AsTask();
                changed ??= _changed.Reader.WaitToReadAsync(stoppingToken).AsTask();
                var first = await Task.WhenAny(tick, changed);
                await first; // surfaces cancellation
                if (first == changed)
                {
                    changed = null;
                    await Task.Delay(Settle, _time, stoppingToken);
                    _changed.Reader.TryRead(out _);
                    Reload();
                }
                else
                {
                    tick = null;
                    if (_racy || Stamp() != _seen)
                    {
                        Reload();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void StartWatcher()
    {
        try
        {
            var watcher = new FileSystemWatcher(Path.GetDirectoryName(FilePath)!, Path.GetFileName(FilePath))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
            };
            watcher.Changed += (_, _) => _changed.Writer.TryWrite(true);
            watcher.Created += (_, _) => _changed.Writer.TryWrite(true);
            watcher.Renamed += (_, _) => _changed.Writer.TryWrite(true);
            watcher.Error += (_, e) => _logger.LogWarning("Watching the rates file failed ({Error}); changes are still found by polling every {Interval}.", e.GetException().Message, _pollInterval);
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // No folder yet, inotify limits, …: polling alone still finds changes.
            _logger.LogWarning("Cannot watch {Path} ({Error}); changes are found by polling every {Interval}.", FilePath, e.Message, _pollInterval);
        }
    }

    private (DateTime WrittenUtc, long Length)? Stamp()
    {
        var file = new FileInfo(FilePath);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : null;
    }

    /// <summary>Reads and swaps in the file's table; on any failure keeps the one there is. Only the loop and start call it.</summary>
    private void Reload()
    {
        var stamp = Stamp();
        // Remembered even when the load fails: the same broken file is not retried (nor warned about) every poll.
        _seen = stamp;
        // Wall-clock on purpose: it is compared with the file system's clock, not used for scheduling.
        _racy = stamp is { } s && DateTime.UtcNow - s.WrittenUtc < RacyWindow;
        try
        {
            if (stamp is not { } found)
            {
                throw new FileNotFoundException("The rates file does not exist.");
            }

            if (found.Length > EcbRates.MaxBytes)
            {
                throw new RatesRejectedException($"The file is larger than {EcbRates.MaxBytes} bytes.");
            }

            var bytes = ReadShared();
            if (_lastRead is { } last && last.AsSpan().SequenceEqual(bytes))
            {
                return; // Touched or re-read, not changed: its outcome is already known (and logged).
            }

            _lastRead = bytes;
            var table = EcbRates.Parse(new MemoryStream(bytes, writable: false), Source);
            _current = table;
            _logger.LogInformation("Loaded {Count} reference rates as of {AsOf:O} from {Path}.", table.PerBase.Count, table.AsOf, FilePath);
        }
        catch (Exception e)
        {
            // Whatever went wrong, the table in place stays and the loop goes on: a bad file must not stop the host.
            if (e is not RatesRejectedException)
            {
                _lastRead = null; // Not read, or not judged: whatever is there next time is news.
            }

            // Only the reason: the file's contents never reach the logs (nor does the stack, unless it is a surprise).
            var surprise = e is not (RatesRejectedException or IOException or UnauthorizedAccessException) ? e : null;
            if (_current is { } kept)
            {
                _logger.LogWarning(surprise, "Rates file {Path} refused ({Error}); keeping the rates as of {AsOf:O}.", FilePath, e.Message, kept.AsOf);
            }
            else
            {
                _logger.LogError(surprise, "Rates file {Path} refused ({Error}); no reference rates until it is fixed.", FilePath, e.Message);
            }
        }
    }

    /// <summary>The whole file, bounded, opened so that it never blocks whoever updates it.</summary>
    private byte[] ReadShared()
    {
        using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > EcbRates.MaxBytes)
            {
                throw new RatesRejectedException($"The file is larger than {EcbRates.MaxBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
