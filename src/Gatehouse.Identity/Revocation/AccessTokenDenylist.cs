using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gatehouse.Identity.Revocation;

/// <summary>
/// Access tokens are self-contained JWTs that are not stored. Revoking one puts its <c>jti</c> here
/// until it would have expired anyway; ending one sign-in session records its id, which the tokens
/// carry as <c>sid</c>; revoking everything a user holds (logout everywhere, password change, ban,
/// deletion) records a cut-off time before which that subject's tokens are refused.
/// </summary>
public interface IAccessTokenDenylist
{
    ValueTask DenyAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Refuses every access token of <paramref name="subject"/> issued before <paramref name="issuedBefore"/>
    /// (compared in whole seconds, as <c>iat</c> is).
    /// </summary>
    ValueTask RevokeSubjectAsync(string subject, DateTimeOffset issuedBefore, CancellationToken cancellationToken = default);

    /// <summary>
    /// Refuses every access token whose <c>sid</c> is <paramref name="sessionId"/> (the session ended for
    /// <paramref name="reason"/>), for as long as a subject cut-off is kept.
    /// </summary>
    ValueTask RevokeSessionAsync(string sessionId, string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether an access token is refused, and why: its <c>jti</c> denied, its subject cut off after it was
    /// issued, or its session ended. One lookup for all three (a single round trip to Redis), as every
    /// introspection and userinfo call asks it.
    /// </summary>
    ValueTask<AccessTokenRefusal> CheckAsync(AccessTokenFacts token, CancellationToken cancellationToken = default);
}

/// <summary>What the denylist judges an access token by; a missing part is not checked.</summary>
public readonly record struct AccessTokenFacts(string? TokenId, string? Subject, DateTimeOffset? IssuedAt, string? SessionId);

public enum AccessTokenRefusal
{
    None,
    TokenRevoked,
    SubjectRevoked,
    SessionEnded,
}

/// <summary>Shared rules of both implementations.</summary>
public static class AccessTokenDenylistRules
{
    /// <summary>
    /// How long a subject cut-off is kept: longer than any access token may live, so every token it
    /// could refuse has expired by the time it is forgotten.
    /// </summary>
    public static readonly TimeSpan SubjectCutoffRetention = TimeSpan.FromDays(1);

    public static long ToCutoff(DateTimeOffset issuedBefore) => issuedBefore.ToUnixTimeSeconds();

    public static bool IsBefore(DateTimeOffset issuedAt, long cutoff) => issuedAt.ToUnixTimeSeconds() < cutoff;
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

    public ValueTask RevokeSubjectAsync(string subject, DateTimeOffset issuedBefore, CancellationToken cancellationToken = default)
    {
        var cutoff = AccessTokenDenylistRules.ToCutoff(issuedBefore);
        var key = SubjectKey(subject);
        if (!cache.TryGetValue(key, out long existing) || existing < cutoff)
        {
            cache.Set(key, cutoff, AccessTokenDenylistRules.SubjectCutoffRetention);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RevokeSessionAsync(string sessionId, string reason, CancellationToken cancellationToken = default)
    {
        cache.Set(SessionKey(sessionId), true, AccessTokenDenylistRules.SubjectCutoffRetention);
        return ValueTask.CompletedTask;
    }

    public ValueTask<AccessTokenRefusal> CheckAsync(AccessTokenFacts token, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(
            token.TokenId is { Length: > 0 } tokenId && cache.TryGetValue(Key(tokenId), out _) ? AccessTokenRefusal.TokenRevoked
            : token is { Subject: { Length: > 0 } subject, IssuedAt: { } issuedAt }
              && cache.TryGetValue(SubjectKey(subject), out long cutoff) && AccessTokenDenylistRules.IsBefore(issuedAt, cutoff) ? AccessTokenRefusal.SubjectRevoked
            : token.SessionId is { Length: > 0 } sessionId && cache.TryGetValue(SessionKey(sessionId), out _) ? AccessTokenRefusal.SessionEnded
            : AccessTokenRefusal.None);

    private static string Key(string tokenId) => "gatehouse:deny:jti:" + tokenId;

    private static string SubjectKey(string subject) => "gatehouse:deny:sub:" + subject;

    private static string SessionKey(string sessionId) => "gatehouse:deny:sid:" + sessionId;
}

/// <summary>
/// Shared by every node: a Redis key per revoked token, expiring with the token. Resource servers
/// learn of revocations through the events <see cref="PublishingAccessTokenDenylist"/> publishes.
/// </summary>
public sealed class RedisAccessTokenDenylist(IConnectionMultiplexer redis, IOptions<GatehouseOptions> options, TimeProvider time) : IAccessTokenDenylist
{
    private readonly RedisOptions _keys = options.Value.Redis;

    public async ValueTask DenyAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var remaining = expiresAt - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }

        var db = redis.GetDatabase();
        await db.StringSetAsync(Key(tokenId), 1, remaining);
    }

    public async ValueTask RevokeSubjectAsync(string subject, DateTimeOffset issuedBefore, CancellationToken cancellationToken = default)
    {
        var cutoff = AccessTokenDenylistRules.ToCutoff(issuedBefore);
        var db = redis.GetDatabase();

        // Keep the later cut-off when two nodes race.
        await db.ScriptEvaluateAsync(
            "local c = tonumber(redis.call('GET', KEYS[1]) or '0') " +
            "if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end",
            [SubjectKey(subject)],
            [cutoff, (long)AccessTokenDenylistRules.SubjectCutoffRetention.TotalSeconds]);
    }

    public async ValueTask RevokeSessionAsync(string sessionId, string reason, CancellationToken cancellationToken = default) =>
        await redis.GetDatabase().StringSetAsync(SessionKey(sessionId), reason, AccessTokenDenylistRules.SubjectCutoffRetention);

    public async ValueTask<AccessTokenRefusal> CheckAsync(AccessTokenFacts token, CancellationToken cancellationToken = default)
    {
        // One MGET for the three entries; a part the token lacks is looked up under a key nothing is stored at.
        var values = await redis.GetDatabase().StringGetAsync(
        [
            token.TokenId is { Length: > 0 } tokenId ? Key(tokenId) : _keys.Key("deny:none"),
            token.Subject is { Length: > 0 } subject && token.IssuedAt is not null ? SubjectKey(subject) : _keys.Key("deny:none"),
            token.SessionId is { Length: > 0 } sessionId ? SessionKey(sessionId) : _keys.Key("deny:none"),
        ]);
        return values[0].HasValue ? AccessTokenRefusal.TokenRevoked
            : values[1].TryParse(out long cutoff) && AccessTokenDenylistRules.IsBefore(token.IssuedAt!.Value, cutoff) ? AccessTokenRefusal.SubjectRevoked
            : values[2].HasValue ? AccessTokenRefusal.SessionEnded
            : AccessTokenRefusal.None;
    }

    private RedisKey Key(string tokenId) => _keys.Key("deny:jti:" + tokenId);

    private RedisKey SubjectKey(string subject) => _keys.Key("deny:sub:" + subject);

    private RedisKey SessionKey(string sessionId) => _keys.Key("deny:sid:" + sessionId);
}
