namespace Gatehouse.Identity.Configuration;

/// <summary>The <c>Gatehouse:Accounts</c> section.</summary>
public sealed class AccountOptions
{
    /// <summary>How long one refresh token may wait before it is used; every use returns a new one.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long a session (a refresh-token family) lasts at most, however often it is refreshed.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How long a sign-up or reset flow waits for its code.</summary>
    public TimeSpan FlowLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest JSON body the account endpoints accept.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024;

    public LockoutSettings Lockout { get; set; } = new();

    public RateLimitSettings RateLimits { get; set; } = new();

    /// <summary>
    /// Proxies (IP addresses or CIDR networks) whose <c>X-Forwarded-For</c> is believed. The client IP
    /// drives per-IP rate limits and the audit trail; with no proxy listed, the socket's address is used.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];
}

/// <summary>Account lockout after repeated wrong passwords, with a wait that doubles each time.</summary>
public sealed class LockoutSettings
{
    /// <summary>Wrong passwords in a row before the account is locked.</summary>
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>The first wait; each further lockout doubles it.</summary>
    public TimeSpan FirstWait { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxWait { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Fixed-window limits on the credential-guessing endpoints (sign-in, confirm-email, confirm-reset,
/// reset-password, send-code), counted in Redis when Redis is configured so they hold across nodes.
/// </summary>
public sealed class RateLimitSettings
{
    public bool Enabled { get; set; } = true;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests one client IP may make to those endpoints per window.</summary>
    public int PerIpPermits { get; set; } = 60;

    /// <summary>Requests naming one account (email or flow) per window.</summary>
    public int PerAccountPermits { get; set; } = 10;

    /// <summary>Prefix of the Redis keys of the counters; unset, <c>{Gatehouse:Redis:KeyPrefix}ratelimit:</c>.</summary>
    public string? RedisKeyPrefix { get; set; }
}
