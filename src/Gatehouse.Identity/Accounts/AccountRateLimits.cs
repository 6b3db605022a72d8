using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Gatehouse.Identity.Configuration;
using Microsoft.AspNetCore.RateLimiting;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Fixed-window limits on the credential-guessing endpoints: per client IP (ASP.NET Core's rate-limiting
/// middleware, policy <see cref="PerIpPolicy"/>) and per account (this class, keyed by the email or flow
/// the request names). With Redis configured the counters live there, so the limits hold across nodes.
/// </summary>
public sealed class AccountRateLimits : IAsyncDisposable
{
    public const string PerIpPolicy = "gatehouse-accounts-per-ip";

    private readonly PartitionedRateLimiter<string> _perAccount;

    public AccountRateLimits(RateLimitSettings settings, IServiceProvider services)
    {
        var redis = services.GetService<IConnectionMultiplexer>();
        _perAccount = PartitionedRateLimiter.Create<string, string>(key => settings.Enabled
            ? Partition("account:" + key, settings.PerAccountPermits, settings, redis)
            : RateLimitPartition.GetNoLimiter(key));
    }

    /// <summary>Null when allowed; otherwise how long to wait.</summary>
    public async ValueTask<TimeSpan?> AcquireForAccountAsync(string accountKey, CancellationToken cancellationToken)
    {
        using var lease = await _perAccount.AcquireAsync(Digest(accountKey.Trim().ToUpperInvariant()), 1, cancellationToken);
        return lease.IsAcquired ? null : RetryAfter(lease);
    }

    public static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);

    /// <summary>The per-IP policy for the middleware.</summary>
    public static void AddPerIpPolicy(RateLimiterOptions limiter, RateLimitSettings settings) =>
        limiter.AddPolicy(PerIpPolicy, http => PerIpPartition(http, settings));

    /// <summary>The client IP's partition; the hosted pages count against the same key as the API.</summary>
    public static RateLimitPartition<string> PerIpPartition(HttpContext http, RateLimitSettings settings)
    {
        var ip = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var redis = http.RequestServices.GetService<IConnectionMultiplexer>();
        return Partition("ip:" + ip, settings.PerIpPermits, settings, redis);
    }

    private static RateLimitPartition<string> Partition(string key, int permits, RateLimitSettings settings, IConnectionMultiplexer? redis) =>
        redis is null
            ? RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = settings.Window,
                QueueLimit = 0,
            })
            : RedisRateLimitPartition.GetFixedWindowRateLimiter(settings.RedisKeyPrefix + key, _ => new RedisFixedWindowRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis,
                PermitLimit = permits,
                Window = settings.Window,
            });

    /// <summary>Emails are not kept in Redis keys or memory in the clear.</summary>
    private static string Digest(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 16));

    public ValueTask DisposeAsync() => _perAccount.DisposeAsync();
}
