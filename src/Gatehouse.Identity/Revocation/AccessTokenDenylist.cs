using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace Gatehouse.Identity.Revocation;

/// <summary>
/// Access tokens are self-contained JWTs that are not stored; revoking one puts its <c>jti</c> here
/// until it would have expired anyway.
/// </summary>
public interface IAccessTokenDenylist
{
    ValueTask DenyAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    ValueTask<bool> IsDeniedAsync(string tokenId, CancellationToken cancellationToken = default);
}

/// <summary>The embedded default: one process, one list.</summary>
public sealed class MemoryAccessTokenDenylist(IMemoryCache cache, TimeProvider time) : IAccessTokenDenylist
{
    public ValueTask DenyAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        if (expiresAt > time.GetUtcNow())
        {
            cache.Set(Key(tokenId), true, expiresAt);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> IsDeniedAsync(string tokenId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(cache.TryGetValue(Key(tokenId), out _));

    private static string Key(string tokenId) => "gatehouse:deny:jti:" + tokenId;
}

/// <summary>Shared by every node: a Redis key per revoked token, expiring with the token.</summary>
public sealed class RedisAccessTokenDenylist(IConnectionMultiplexer redis, TimeProvider time) : IAccessTokenDenylist
{
    /// <summary>Channel on which revocations are announced to resource servers.</summary>
    public static readonly RedisChannel RevocationChannel = RedisChannel.Literal("gatehouse:revocations");

    public async ValueTask DenyAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var remaining = expiresAt - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }

        var db = redis.GetDatabase();
        await db.StringSetAsync(Key(tokenId), 1, remaining);
        await db.PublishAsync(RevocationChannel, "jti " + tokenId + " " + expiresAt.ToUnixTimeSeconds());
    }

    public async ValueTask<bool> IsDeniedAsync(string tokenId, CancellationToken cancellationToken = default) =>
        await redis.GetDatabase().KeyExistsAsync(Key(tokenId));

    private static RedisKey Key(string tokenId) => "gatehouse:deny:jti:" + tokenId;
}
