namespace Gatehouse.Identity.Revocation;

/// <summary>
/// Ends every access token of one sign-in: the identity service (introspection, userinfo, the account
/// API) and resource servers refuse tokens whose <c>sid</c> claim names it. The sign-in is a
/// refresh-token family of the account API (its id is the tokens' <c>sid</c>) or an OpenID Connect
/// authorization (code flow: the authorization id is written into its access tokens as <c>sid</c> by
/// <c>SessionIdInAccessTokens</c>).
/// </summary>
public sealed class SessionRevocations(IAccessTokenDenylist denylist)
{
    public ValueTask PublishAsync(string sessionId, string reason, CancellationToken cancellationToken = default) =>
        denylist.RevokeSessionAsync(sessionId, reason, cancellationToken);
}
