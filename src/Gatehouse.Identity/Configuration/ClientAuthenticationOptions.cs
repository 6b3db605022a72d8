namespace Gatehouse.Identity.Configuration;

/// <summary>
/// <c>Gatehouse:ClientAuthentication</c>: how failed client authentication (a wrong secret, an unknown
/// client) at the token, introspection and revocation endpoints and the account API slows the caller
/// down. Failures are counted per (client id, IP) and, more loosely, per IP alone, so guessing from one
/// place cannot lock the real service out from another.
/// </summary>
public sealed class ClientAuthenticationOptions
{
    public const string Section = "ClientAuthentication";

    public bool Enabled { get; set; } = true;

    /// <summary>Failures for one client id from one IP before the first wait.</summary>
    public int FreeFailures { get; set; } = 5;

    /// <summary>Failures from one IP, whatever client id they name, before the first wait.</summary>
    public int PerIpFreeFailures { get; set; } = 30;

    /// <summary>The first wait; each further failure doubles it, up to <see cref="MaxWait"/>.</summary>
    public TimeSpan FirstWait { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A count is forgotten this long after its last failure.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Prefix of the Redis keys of the counters and of the blocks channel; unset, <c>{Gatehouse:Redis:KeyPrefix}client-auth:</c>.</summary>
    public string? RedisKeyPrefix { get; set; }
}
