using System.Collections.Concurrent;
using System.Net;

namespace Gatehouse.Identity.Audit;

/// <summary>
/// Successful client authentications, counted and stored as one audit event per (type, client, IP,
/// endpoint) and second with its <c>Count</c>. The token endpoint serves tens of thousands of grants a
/// second; a row for each would cost more than the grant itself. Failures are never counted here:
/// <see cref="AuditLog.Record(string, Guid?, string?, string?, string?)"/> stores each one.
/// </summary>
/// <remarks>
/// Counting is one dictionary look-up and one interlocked add. Every second the current table is
/// swapped for a fresh one; a table is read a second after it was swapped out, so no request still
/// holds it.
/// </remarks>
public sealed class CredentialUseCounter(AuditLog audit, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Generation _current = new(time.GetUtcNow().UtcDateTime);
    private Generation? _retired;

    public void Count(string type, string clientId, IPAddress? ip, string endpoint)
    {
        var counter = Volatile.Read(ref _current).Counters.GetOrAdd(new Key(type, clientId, ip, endpoint), static _ => new Counter());
        Interlocked.Increment(ref counter.Value);
    }

    /// <summary>Queues everything counted so far (tests, shutdown).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            Store(Interlocked.Exchange(ref _retired, null));
            Store(Interlocked.Exchange(ref _current, new Generation(time.GetUtcNow().UtcDateTime)));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                lock (_gate)
                {
                    Store(Interlocked.Exchange(ref _retired, Interlocked.Exchange(ref _current, new Generation(time.GetUtcNow().UtcDateTime))));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Flush();
        }
    }

    private void Store(Generation? generation)
    {
        if (generation is null)
        {
            return;
        }

        foreach (var (key, counter) in generation.Counters)
        {
            var count = Interlocked.Exchange(ref counter.Value, 0);
            while (count > 0)
            {
                var part = (int)Math.Min(count, int.MaxValue);
                audit.Record(key.Type, null, key.ClientId, key.Ip?.ToString(), key.Endpoint, part, generation.Started);
                count -= part;
            }
        }
    }

    private sealed record Generation(DateTime Started)
    {
        public ConcurrentDictionary<Key, Counter> Counters { get; } = new();
    }

    private readonly record struct Key(string Type, string ClientId, IPAddress? Ip, string Endpoint);

    private sealed class Counter
    {
        public long Value;
    }
}
