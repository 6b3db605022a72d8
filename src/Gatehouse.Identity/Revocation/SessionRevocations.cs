using Gatehouse.Identity.Feeds;
using Gatehouse.ResourceServer.Revocation;

namespace Gatehouse.Identity.Revocation;

/// <summary>
/// Announces that every access token of one sign-in is void: resource servers refuse tokens whose
/// <c>sid</c> claim names it. The sign-in is a refresh-token family of the account API (its id is the
/// tokens' <c>sid</c>) or an OpenID Connect authorization (code flow: the authorization id is written
/// into its access tokens as <c>sid</c> by <c>SessionIdInAccessTokens</c>).
/// </summary>
public sealed class SessionRevocations(IEventLog<RevocationEvent> events, TimeProvider time)
{
    public async ValueTask PublishAsync(string sessionId, string reason, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await events.AppendAsync(new RevocationEvent
        {
            Version = RevocationEvent.SessionVersion,
            Kind = RevocationEventKinds.Session,
            SessionId = sessionId,
            // Longer than any access token of the sign-in can still live.
            ExpiresAt = (now + RevocationFeed.SubjectEventLifetime).ToUnixTimeSeconds(),
            Reason = reason,
            OccurredAt = now.ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }
}
