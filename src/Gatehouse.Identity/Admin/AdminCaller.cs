using System.Security.Claims;
using Gatehouse.Identity.Audit;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Admin;

/// <summary>
/// Who calls the admin API: the client the token was issued to and, for a person's token, the user.
/// Every change is recorded in the audit log under the caller, with what it changed as the reason
/// (<c>client:thumbnailer</c>, <c>signing_key:kid</c>).
/// </summary>
public sealed record AdminCaller(ClaimsPrincipal Principal, string? IpAddress)
{
    public static AdminCaller From(HttpContext http) => new(http.User, http.Connection.RemoteIpAddress?.ToString());

    public string? ClientId => Principal.GetClaim(Claims.ClientId) ?? Principal.GetClaim(Claims.Subject);

    /// <summary>The user, when a person (not a service) holds the token.</summary>
    public Guid? UserId =>
        Principal.GetClaim(Claims.Subject) is { } subject && subject != ClientId && Guid.TryParse(subject, out var id) ? id : null;

    public void Record(AuditLog audit, string type, string target) => audit.Record(type, UserId, ClientId, IpAddress, target);
}
