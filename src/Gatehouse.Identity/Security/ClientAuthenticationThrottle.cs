using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gatehouse.Identity.Security;

/// <summary>
/// Growing waits after failed client authentication. Failures are counted per (client id, IP) and per
/// IP (a looser limit), in Redis when it is configured so every node sees the same count, in process
/// otherwise. Past the free failures, each further one doubles the wait, up to the maximum.
/// </summary>
/// <remarks>
/// Only failures cost anything: a successful authentication neither reads nor writes a counter. The
/// waits in force are kept in this process (<see cref="BlockedFor"/> is a clock read when nothing is
/// blocked). A node learns of a wait from the shared count whenever a failure is recorded there, and,
/// with Redis, from the announcement the node that started the wait makes on
/// <see cref="BlocksChannel"/>, so a blocked caller cannot get one more attempt through each other node.
/// </remarks>
public sealed partial class ClientAuthenticationThrottle
{
    private const int SweepThreshold = 10_000;

    // Both counters in one round trip; each is forgotten a window after its last failure.
    private const string IncrementScript =
        "local a = redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], ARGV[1]) " +
        "local b = redis.call('INCR', KEYS[2]) redis.call('PEXPIRE', KEYS[2], ARGV[1]) return {a, b}";

    private readonly ClientAuthenticationOptions _settings;
    private readonly IConnectionMultiplexer? _redis;
    private readonly TimeProvider _time;
    private readonly ILogger<ClientAuthenticationThrottle> _logger;
    private readonly ConcurrentDictionary<string, FailureCount> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _blockedUntil = new(StringComparer.Ordinal);
    private long _latestBlockEnd;

    public ClientAuthenticationThrottle(IOptions<GatehouseOptions> options, IServiceProvider services, TimeProvider time, ILogger<ClientAuthenticationThrottle> logger)
    {
        _settings = options.Value.ClientAuthentication;
        _redis = services.GetService<IConnectionMultiplexer>();
        _time = time;
        _logger = logger;
    }

    /// <summary>Where a node announces each wait it starts, as <c>{end in UTC ticks}|{key}</c>.</summary>
    public RedisChannel BlocksChannel => RedisChannel.Literal(_settings.RedisKeyPrefix + "blocks");

    /// <summary>True when some caller is waiting; false is the common case and costs a clock read.</summary>
    public bool AnyBlocked => _time.GetUtcNow().UtcTicks < Volatile.Read(ref _latestBlockEnd);

    /// <summary>How long this caller must still wait, or null when it may try.</summary>
    public TimeSpan? BlockedFor(string? clientId, IPAddress? ip)
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (now >= Volatile.Read(ref _latestBlockEnd))
        {
            return null;
        }

        var ipKey = IpKey(ip);
        var until = Math.Max(BlockEnd(ipKey), clientId is null ? 0 : BlockEnd(PairKey(clientId, ipKey)));
        return until > now ? TimeSpan.FromTicks(until - now) : null;
    }

    /// <summary>Counts a failed client authentication; returns the wait it starts, if any.</summary>
    public async ValueTask<TimeSpan?> RecordFailureAsync(string? clientId, IPAddress? ip, CancellationToken cancellationToken = default)
    {
        if (!_settings.Enabled)
        {
            return null;
        }

        var ipKey = IpKey(ip);
        var pairKey = PairKey(clientId ?? "", ipKey);
        var (pairCount, ipCount) = await CountAsync(pairKey, ipKey);
        var now = _time.GetUtcNow().UtcTicks;
        var pairWait = Wait(pairCount, _settings.FreeFailures);
        var ipWait = Wait(ipCount, _settings.PerIpFreeFailures);
        if (pairWait is { } forPair)
        {
            Block(pairKey, now + forPair.Ticks);
            await AnnounceAsync(pairKey, now + forPair.Ticks);
        }

        if (ipWait is { } forIp)
        {
            Block(ipKey, now + forIp.Ticks);
            await AnnounceAsync(ipKey, now + forIp.Ticks);
        }

        var wait = (pairWait ?? TimeSpan.Zero) > (ipWait ?? TimeSpan.Zero) ? pairWait : ipWait;
        if (wait is { } started)
        {
            LogBlocked(_logger, clientId ?? "(none)", ip?.ToString() ?? "unknown", pairCount, ipCount, started);
        }

        return wait;
    }

    private TimeSpan? Wait(long failures, int free)
    {
        if (failures <= free)
        {
            return null;
        }

        var doublings = Math.Min(failures - free - 1, 30);
        var wait = TimeSpan.FromTicks(Math.Min(_settings.FirstWait.Ticks << (int)doublings, _settings.MaxWait.Ticks));
        return wait <= TimeSpan.Zero || wait > _settings.MaxWait ? _settings.MaxWait : wait;
    }

    private async ValueTask<(long Pair, long Ip)> CountAsync(string pairKey, string ipKey)
    {
        if (_redis is not null)
        {
            try
            {
                var result = (RedisResult[])(await _redis.GetDatabase().ScriptEvaluateAsync(IncrementScript,
                    [_settings.RedisKeyPrefix + pairKey, _settings.RedisKeyPrefix + ipKey],
                    [(long)_settings.Window.TotalMilliseconds]))!;
                return ((long)result[0], (long)result[1]);
            }
            catch (RedisException exception)
            {
                // Counting here is better than not counting at all.
                LogRedisFailed(_logger, exception);
            }
        }

        return (CountLocally(pairKey), CountLocally(ipKey));
    }

    private long CountLocally(string key)
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (_counts.Count > SweepThreshold)
        {
            foreach (var (stale, count) in _counts)
            {
                if (count.IsExpired(now, _settings.Window.Ticks))
                {
                    _counts.TryRemove(stale, out _);
                }
            }
        }

        return _counts.GetOrAdd(key, static _ => new FailureCount()).Add(now, _settings.Window.Ticks);
    }

    /// <summary>Applies a wait another node announced on <see cref="BlocksChannel"/>; anything else is ignored.</summary>
    public void ApplyAnnounced(RedisValue message)
    {
        var text = message.IsNullOrEmpty ? null : (string?)message;
        var separator = text?.IndexOf('|') ?? -1;
        if (separator > 0
            && long.TryParse(text.AsSpan(0, separator), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var until)
            && until > _time.GetUtcNow().UtcTicks
            && text!.Length - separator - 1 is > 0 and <= 200)
        {
            Block(text[(separator + 1)..], until);
        }
    }

    private async ValueTask AnnounceAsync(string key, long until)
    {
        if (_redis is null)
        {
            return;
        }

        try
        {
            await _redis.GetSubscriber().PublishAsync(BlocksChannel, until.ToString(System.Globalization.CultureInfo.InvariantCulture) + "|" + key);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The other nodes still learn of the wait from the shared count at their next failure.
            LogRedisFailed(_logger, exception);
        }
    }

    private long BlockEnd(string key) => _blockedUntil.TryGetValue(key, out var until) ? until : 0;

    private void Block(string key, long until)
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (_blockedUntil.Count > SweepThreshold)
        {
            foreach (var (stale, end) in _blockedUntil)
            {
                if (end <= now)
                {
                    _blockedUntil.TryRemove(stale, out _);
                }
            }
        }

        _blockedUntil.AddOrUpdate(key, until, (_, existing) => Math.Max(existing, until));
        long latest;
        do
        {
            latest = Volatile.Read(ref _latestBlockEnd);
        }
        while (until > latest && Interlocked.CompareExchange(ref _latestBlockEnd, until, latest) != latest);
    }

    private static string IpKey(IPAddress? ip) => "ip:" + (ip?.ToString() ?? "unknown");

    /// <summary>Client ids are chosen by the caller: keep keys short whatever it sends.</summary>
    private static string PairKey(string clientId, string ipKey) =>
        "client:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(clientId)).AsSpan(0, 12)) + ":" + ipKey;

    private sealed class FailureCount
    {
        private readonly Lock _gate = new();
        private long _count;
        private long _last;

        public long Add(long now, long window)
        {
            lock (_gate)
            {
                _count = now - _last > window ? 1 : _count + 1;
                _last = now;
                return _count;
            }
        }

        public bool IsExpired(long now, long window)
        {
            lock (_gate)
            {
                return now - _last > window;
            }
        }
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Client authentication for '{ClientId}' from {IpAddress} failed again ({PairFailures} for the pair, {IpFailures} from the IP); further attempts wait {Wait}")]
    private static partial void LogBlocked(ILogger logger, string clientId, string ipAddress, long pairFailures, long ipFailures, TimeSpan wait);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Counting a client-authentication failure in Redis failed; it is counted on this node only")]
    private static partial void LogRedisFailed(ILogger logger, Exception exception);
}
