using Gatehouse.Identity.Feeds;
using Gatehouse.ResourceServer.Revocation;

namespace Gatehouse.Identity.Revocation;

/// <summary>
/// Every revocation also becomes an event resource servers follow (Redis stream + pub/sub, or the
/// HTTP feed): a token until it expires, a session's or a subject's older tokens until the longest-lived
/// of them has expired.
/// </summary>
public sealed class PublishingAccessTokenDenylist(IAccessTokenDenylist inner, IEventLog<RevocationEvent> events, TimeProvider time) : IAccessTokenDenylist
{
    public async ValueTask DenyAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        await inner.DenyAsync(tokenId, expiresAt, cancellationToken);
        var now = time.GetUtcNow();
        if (expiresAt > now)
        {
            await events.AppendAsync(new RevocationEvent
            {
                Kind = RevocationEventKinds.Token,
                TokenId = tokenId,
                ExpiresAt = expiresAt.ToUnixTimeSeconds(),
                Reason = "revoked",
                OccurredAt = now.ToUnixTimeMilliseconds(),
            }, cancellationToken);
        }
    }

    public async ValueTask RevokeSubjectAsync(string subject, DateTimeOffset issuedBefore, CancellationToken cancellationToken = default)
    {
        await inner.RevokeSubjectAsync(subject, issuedBefore, cancellationToken);
        var cutoff = AccessTokenDenylistRules.ToCutoff(issuedBefore);
        await events.AppendAsync(new RevocationEvent
        {
            Kind = RevocationEventKinds.Subject,
            Subject = subject,
            IssuedBefore = cutoff,
            ExpiresAt = cutoff + (long)RevocationFeed.SubjectEventLifetime.TotalSeconds,
            OccurredAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    public async ValueTask RevokeSessionAsync(string sessionId, string reason, CancellationToken cancellationToken = default)
    {
        await inner.RevokeSessionAsync(sessionId, reason, cancellationToken);
        var now = time.GetUtcNow();
        await events.AppendAsync(new RevocationEvent
        {
            Version = RevocationEvent.SessionVersion,
            Kind = RevocationEventKinds.Session,
            SessionId = sessionId,
            // Longer than any access token of the session can still live.
            ExpiresAt = (now + RevocationFeed.SubjectEventLifetime).ToUnixTimeSeconds(),
            Reason = reason,
            OccurredAt = now.ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    public ValueTask<AccessTokenRefusal> CheckAsync(AccessTokenFacts token, CancellationToken cancellationToken = default) =>
        inner.CheckAsync(token, cancellationToken);
}
