using StackExchange.Redis;

namespace Gatehouse.Identity.Security;

/// <summary>
/// Hears the waits other nodes start after failed client authentications, so every node refuses a
/// blocked caller from its first attempt there (<see cref="ClientAuthenticationThrottle"/>).
/// </summary>
public sealed class RedisClientAuthenticationBlocks(
    IConnectionMultiplexer redis, ClientAuthenticationThrottle throttle, ILogger<RedisClientAuthenticationBlocks> logger)
    : RedisAnnouncements(redis, logger)
{
    protected override RedisChannel Channel => throttle.BlocksChannel;

    // A reconnect announces nothing: waits missed meanwhile are learnt from the shared count instead.
    protected override void OnAnnounced(RedisValue message) => throttle.ApplyAnnounced(message);
}
