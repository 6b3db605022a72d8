using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Admin;

/// <summary>
/// Who makes an admin call: the client the access token was issued to and, when a person signed in
/// through that client, the administrator's user id. Every admin action is audited under both.
/// </summary>
public sealed record AdminCaller(string? ClientId, Guid? ActorUserId, string? IpAddress, HttpContext Http)
{
    public CancellationToken CancellationToken => Http.RequestAborted;

    public static AdminCaller Of(HttpContext http)
    {
        var principal = http.User;
        var clientId = principal.GetClaim(Claims.ClientId) ?? principal.GetClaim(Claims.AuthorizedParty);
        var subject = principal.GetClaim(Claims.Subject);
        Guid? actor = subject is not null && subject != clientId && Guid.TryParse(subject, out var id) ? id : null;
        return new AdminCaller(clientId, actor, http.Connection.RemoteIpAddress?.ToString(), http);
    }

    /// <summary>The same caller as the audit trail records who ended a session.</summary>
    public Sessions.SessionActor AsSessionActor() => new(ClientId, IpAddress, ActorUserId, CancellationToken);

    /// <summary>
    /// The same caller in the shape the account flows take, so admin endpoints reuse their steps (password
    /// re-confirmation with lockout and audit) instead of copies of them.
    /// </summary>
    public AccountCall AsAccountCall() =>
        new(new AccountClient(ClientId ?? "", [], [], TimeSpan.Zero), IpAddress, UserAccessTokens.BaseUriOf(Http.Request), Http);
}
