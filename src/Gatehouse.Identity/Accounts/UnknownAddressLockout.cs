using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// The lockout of an email address that has no account. A real account is locked after
/// <see cref="LockoutSettings.MaxFailedAttempts"/> wrong passwords and answers <c>account_locked</c>; if an
/// unknown address kept answering <c>invalid_credentials</c>, a few wrong guesses would tell anyone which
/// addresses have accounts. So wrong passwords for an unknown address are counted too, with the same
/// thresholds and the same doubling waits (<see cref="AccountLockout.WaitAfter"/>), and its sign-ins are
/// refused the same way while it is locked.
/// </summary>
/// <remarks>
/// Counts live in Redis when it is configured, so every node sees them, and in this process otherwise,
/// under a hash of the normalised address (no address is stored). An account keeps its count until its
/// next success; an unknown address, which never succeeds, keeps its count for
/// <see cref="RetentionFor"/> after its last failure, so waiting long enough between rounds of guesses is
/// needed to tell the two apart.
/// </remarks>
public sealed partial class UnknownAddressLockout
{
    private const int SweepThreshold = 10_000;

    // Count and lock end in one hash, forgotten a retention after the last failure.
    private const string FailureScript =
        "local n = redis.call('HINCRBY', KEYS[1], 'n', 1) redis.call('PEXPIRE', KEYS[1], ARGV[1]) return n";

    private const string LockScript =
        "redis.call('HSET', KEYS[1], 'until', ARGV[1]) redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1";

    private readonly IOptions<GatehouseOptions> _options;
    private readonly IConnectionMultiplexer? _redis;
    private readonly TimeProvider _time;
    private readonly ILogger<UnknownAddressLockout> _logger;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public UnknownAddressLockout(IOptions<GatehouseOptions> options, IServiceProvider services, TimeProvider time, ILogger<UnknownAddressLockout> logger)
    {
        _options = options;
        _redis = services.GetService<IConnectionMultiplexer>();
        _time = time;
        _logger = logger;
    }

    private LockoutSettings Settings => _options.Value.Accounts.Lockout;

    /// <summary>How long an unknown address remembers its failures: a day, or twice the longest wait if that is more.</summary>
    public static TimeSpan RetentionFor(LockoutSettings settings) =>
        settings.MaxWait * 2 > TimeSpan.FromDays(1) ? settings.MaxWait * 2 : TimeSpan.FromDays(1);

    /// <summary>How long sign-ins for this address (normalised, with no account) stay refused, or null.</summary>
    public async Task<TimeSpan?> RemainingAsync(string normalizedEmail)
    {
        var key = Key(normalizedEmail);
        long until = 0;
        if (_redis is not null)
        {
            try
            {
                var stored = await _redis.GetDatabase().HashGetAsync(key, "until");
                until = stored.TryParse(out long ticks) ? ticks : 0;
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                LogRedisFailed(_logger, exception);
                until = LocalUntil(key);
            }
        }
        else
        {
            until = LocalUntil(key);
        }

        var now = _time.GetUtcNow().UtcTicks;
        return until > now ? TimeSpan.FromTicks(until - now) : null;
    }

    /// <summary>Counts a wrong password for this address; returns the wait when this failure locked it.</summary>
    public async Task<TimeSpan?> RecordFailureAsync(string normalizedEmail)
    {
        var key = Key(normalizedEmail);
        var retention = (long)RetentionFor(Settings).TotalMilliseconds;
        if (_redis is not null)
        {
            try
            {
                var database = _redis.GetDatabase();
                var failures = (long)await database.ScriptEvaluateAsync(FailureScript, [key], [retention]);
                if (AccountLockout.WaitAfter(Settings, failures) is not { } wait)
                {
                    return null;
                }

                await database.ScriptEvaluateAsync(LockScript, [key], [(_time.GetUtcNow() + wait).UtcTicks, retention]);
                return wait;
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                // Counting here is better than not counting at all.
                LogRedisFailed(_logger, exception);
            }
        }

        return CountLocally(key);
    }

    private TimeSpan? CountLocally(string key)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var retention = RetentionFor(Settings).Ticks;
        if (_entries.Count > SweepThreshold)
        {
            foreach (var (stale, entry) in _entries)
            {
                if (entry.IsForgotten(now, retention))
                {
                    _entries.TryRemove(stale, out _);
                }
            }
        }

        return _entries.GetOrAdd(key, static _ => new Entry()).AddFailure(now, retention, Settings);
    }

    private long LocalUntil(string key) =>
        _entries.TryGetValue(key, out var entry) ? entry.Until(_time.GetUtcNow().UtcTicks, RetentionFor(Settings).Ticks) : 0;

    private string Key(string normalizedEmail) =>
        _options.Value.Redis.Key("unknown-address-lockout:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedEmail))));

    /// <summary>One address's failures in this process; forgotten a retention after the last one.</summary>
    private sealed class Entry
    {
        private readonly Lock _lock = new();
        private long _failures;
        private long _lastFailure;
        private long _until;

        public bool IsForgotten(long now, long retention)
        {
            lock (_lock)
            {
                return now - _lastFailure > retention;
            }
        }

        public long Until(long now, long retention)
        {
            lock (_lock)
            {
                return now - _lastFailure > retention ? 0 : _until;
            }
        }

        public TimeSpan? AddFailure(long now, long retention, LockoutSettings settings)
        {
            lock (_lock)
            {
                if (now - _lastFailure > retention)
                {
                    _failures = 0;
                    _until = 0;
                }

                _lastFailure = now;
                _failures++;
                if (AccountLockout.WaitAfter(settings, _failures) is not { } wait)
                {
                    return null;
                }

                _until = now + wait.Ticks;
                return wait;
            }
        }
    }

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Redis could not be reached for an unknown address's lockout; counting in this process")]
    private static partial void LogRedisFailed(ILogger logger, Exception exception);
}
