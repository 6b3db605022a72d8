using System.Text.Json.Serialization;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Sessions;

/// <summary>Who ends a session, as the audit trail records it: the client called through, the address, and the person.</summary>
public sealed record SessionActor(string? ClientId, string? IpAddress, Guid? ActorUserId, CancellationToken CancellationToken);

/// <summary>
/// One sign-in session: an account-API refresh-token family (<c>kind</c> <c>account</c>) or a code-flow
/// authorization (<c>kind</c> <c>oauth</c>). Client IP addresses are not kept with sessions (only in the audit log).
/// <see cref="Current"/> is set only when the user lists their own sessions: true for the session of the
/// access token the list was asked with.
/// </summary>
public sealed record UserSession(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("created_at")] DateTimeOffset? CreatedAt,
    [property: JsonPropertyName("last_used_at")] DateTimeOffset? LastUsedAt,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("current"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Current = null);

public sealed record SessionList([property: JsonPropertyName("sessions")] IReadOnlyList<UserSession> Sessions);

/// <summary>
/// A user's live sessions as administrators, and the user through the account API, see and end them:
/// refresh-token families of the account API and ad-hoc authorizations of the code flow (remembered
/// consents are not sessions and stay).
/// Ending one session revokes its family or its grant (with back-channel logout); ending all of them
/// is <see cref="SessionRevocation.RevokeEverythingAsync"/>, which also announces a subject cut-off on
/// the revocation feed so resource servers drop the user's access tokens.
/// </summary>
public sealed class UserSessions(
    GatehouseDbContext db,
    RefreshTokenFamilies families,
    SessionRevocation revocation,
    SessionTermination termination,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictApplicationManager applications,
    IOpenIddictTokenManager tokens,
    UserManager<GatehouseUser> users,
    AuditLog audit,
    TimeProvider time)
{
    public const string AccountKind = "account";
    public const string OAuthKind = "oauth";

    public async Task<List<UserSession>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var live = await db.RefreshTokenFamilies.AsNoTracking()
            .Where(f => f.UserId == userId && f.RevokedAt == null && f.ExpiresAt > now)
            .Select(f => new { f.Id, f.ClientId, f.CreatedAt, f.ExpiresAt, LastUsed = f.Tokens.Max(t => (DateTime?)t.CreatedAt) })
            .ToListAsync(cancellationToken);
        var sessions = live.Select(f => new UserSession(f.Id.ToString(), AccountKind, f.ClientId, Utc(f.CreatedAt), Utc(f.LastUsed), Utc(f.ExpiresAt))).ToList();

        await foreach (var authorization in authorizations.FindBySubjectAsync(userId.ToString(), cancellationToken))
        {
            if (!await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken)
                || !await authorizations.HasTypeAsync(authorization, AuthorizationTypes.AdHoc, cancellationToken))
            {
                continue;
            }

            var id = await authorizations.GetIdAsync(authorization, cancellationToken);
            DateTimeOffset? lastUsed = null;
            DateTimeOffset? expires = null;
            await foreach (var token in tokens.FindByAuthorizationIdAsync(id!, cancellationToken))
            {
                if (await tokens.GetCreationDateAsync(token, cancellationToken) is { } created && (lastUsed is null || created > lastUsed))
                {
                    lastUsed = created;
                }

                if (await tokens.HasStatusAsync(token, Statuses.Valid, cancellationToken)
                    && await tokens.GetExpirationDateAsync(token, cancellationToken) is { } expiry && (expires is null || expiry > expires))
                {
                    expires = expiry;
                }
            }

            var applicationId = await authorizations.GetApplicationIdAsync(authorization, cancellationToken);
            var application = applicationId is null ? null : await applications.FindByIdAsync(applicationId, cancellationToken);
            var clientId = application is null ? null : await applications.GetClientIdAsync(application, cancellationToken);
            sessions.Add(new UserSession(id!, OAuthKind, clientId, await authorizations.GetCreationDateAsync(authorization, cancellationToken), lastUsed, expires));
        }

        return [.. sessions.OrderByDescending(s => s.LastUsedAt ?? s.CreatedAt)];
    }

    /// <summary>Ends one live session of the user; false when the user has no live session with this id.</summary>
    public async Task<bool> RevokeAsync(Guid userId, string sessionId, SessionActor caller)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (Guid.TryParseExact(sessionId, "D", out var familyId)
            && await db.RefreshTokenFamilies.AnyAsync(f => f.Id == familyId && f.UserId == userId && f.RevokedAt == null && f.ExpiresAt > now, caller.CancellationToken))
        {
            await families.RevokeFamilyAsync(familyId, RefreshTokenFamilies.Reasons.Logout, caller.CancellationToken);
            audit.Record(AuditEventTypes.SessionRevoked, userId, caller.ClientId, caller.IpAddress, AccountKind, caller.ActorUserId);
            return true;
        }

        var found = false;
        await termination.EndGrantsAsync(userId.ToString(), async authorization =>
        {
            var match = await authorizations.GetIdAsync(authorization, caller.CancellationToken) == sessionId
                && await authorizations.HasTypeAsync(authorization, AuthorizationTypes.AdHoc, caller.CancellationToken);
            found |= match;
            return match;
        }, null, caller.CancellationToken);
        if (found)
        {
            audit.Record(AuditEventTypes.SessionRevoked, userId, caller.ClientId, caller.IpAddress, OAuthKind, caller.ActorUserId);
        }

        return found;
    }

    /// <summary>
    /// Ends every session of the user, browser sessions of the hosted pages included (a new security
    /// stamp, which their cookie is checked against on every request), and cuts off the access tokens
    /// issued so far.
    /// </summary>
    public async Task RevokeAllAsync(Guid userId, SessionActor caller)
    {
        if (await users.FindByIdAsync(userId.ToString()) is { } user)
        {
            await users.UpdateSecurityStampAsync(user);
        }

        await revocation.RevokeEverythingAsync(userId, RefreshTokenFamilies.Reasons.Logout, caller.CancellationToken);
        audit.Record(AuditEventTypes.SessionsRevoked, userId, caller.ClientId, caller.IpAddress, null, caller.ActorUserId);
    }

    private static DateTimeOffset? Utc(DateTime? value) =>
        value is { } time ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)) : null;
}
