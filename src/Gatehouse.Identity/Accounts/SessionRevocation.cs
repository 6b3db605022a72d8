using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Revocation;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Ends everything a user holds: every refresh-token family, every access token issued so far (subject
/// cut-off on the denylist, announced to resource servers) and every OpenIddict token and authorization,
/// so OAuth sessions end too. Used by password change and reset, ban and deletion.
/// </summary>
public sealed class SessionRevocation(
    RefreshTokenFamilies families,
    IAccessTokenDenylist denylist,
    IOpenIddictTokenManager oauthTokens,
    IOpenIddictAuthorizationManager oauthAuthorizations,
    UserManager<GatehouseUser> users,
    AuditLog audit,
    TimeProvider time)
{
    /// <summary>
    /// Revokes everything the user holds and returns the cut-off: the next whole second, since
    /// <c>iat</c> counts whole seconds. Tokens issued from then on (the fresh pair after a password
    /// change) are issued at the cut-off, so they live while everything before dies.
    /// </summary>
    public async Task<DateTimeOffset> RevokeEverythingAsync(Guid userId, string reason, CancellationToken cancellationToken)
    {
        var subject = userId.ToString();
        var now = time.GetUtcNow();
        var cutoff = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + 1);
        await families.RevokeUserAsync(userId, reason, cancellationToken);
        await denylist.RevokeSubjectAsync(subject, cutoff, cancellationToken);
        await oauthTokens.RevokeBySubjectAsync(subject, cancellationToken);
        await oauthAuthorizations.RevokeBySubjectAsync(subject, cancellationToken);
        return cutoff;
    }

    /// <summary>
    /// Bans a user: status, reason and end, a new credential version and security stamp, and every session
    /// revoked with a subject cut-off that the revocation feed carries to resource servers. False when there
    /// is no such user.
    /// </summary>
    public async Task<bool> BanAsync(Guid userId, BanDetails ban, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(userId.ToString());
        if (user is null || user.Status == UserStatus.Deleted)
        {
            return false;
        }

        user.Status = UserStatus.Banned;
        user.BanReason = ban.Reason;
        user.BannedUntil = ban.Until?.UtcDateTime;
        user.CredentialVersion++;
        var updated = await users.UpdateSecurityStampAsync(user);
        updated.EnsureStored("ban the user");

        await RevokeEverythingAsync(userId, RefreshTokenFamilies.Reasons.CredentialsChanged, cancellationToken);
        audit.Record(AuditEventTypes.AccountBanned, userId, ban.ClientId, ban.IpAddress, actorUserId: ban.ActorUserId);
        return true;
    }

    /// <summary>
    /// Lifts a ban. Nothing is restored: the sessions the ban ended stay ended, and the user signs in again.
    /// False when there is no such user or the user is not banned.
    /// </summary>
    public async Task<bool> UnbanAsync(GatehouseUser user, string? byClientId, string? ipAddress, Guid? actorUserId, string? reason = null)
    {
        if (user.Status != UserStatus.Banned)
        {
            return false;
        }

        user.Status = UserStatus.Active;
        user.BanReason = null;
        user.BannedUntil = null;
        var updated = await users.UpdateAsync(user);
        updated.EnsureStored("lift the ban");

        audit.Record(AuditEventTypes.AccountUnbanned, user.Id, byClientId, ipAddress, reason, actorUserId);
        return true;
    }
}

/// <summary>Why and until when a user is banned, and who does it.</summary>
public sealed record BanDetails(string? Reason, DateTimeOffset? Until, string? ClientId, Guid? ActorUserId, string? IpAddress);
