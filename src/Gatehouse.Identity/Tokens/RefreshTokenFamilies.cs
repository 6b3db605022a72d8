using Gatehouse.Identity.Revocation;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Accounts;
using Gatehouse.Identity.Data.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Identity.Tokens;

/// <summary>A refresh token as handed to a client: the only time the clear value exists.</summary>
public sealed record IssuedRefreshToken(string Token, Guid FamilyId, DateTimeOffset ExpiresAt);

public enum RotationOutcome
{
    Rotated,

    /// <summary>Unknown, expired, or its family was revoked or outlived the user's credential version.</summary>
    Invalid,

    /// <summary>The token had been used already: the whole family is now revoked.</summary>
    Reused,
}

/// <param name="Roles">The user's roles when the token was rotated, for the new access token.</param>
public sealed record RotationResult(
    RotationOutcome Outcome, Guid? UserId, Guid? FamilyId, string? ClientId, IssuedRefreshToken? Successor, IReadOnlyList<string>? Roles = null);

/// <summary>
/// Rotating refresh tokens grouped in families. Each use spends the token and issues its successor;
/// spending is one conditional UPDATE, so of many parallel uses of one token exactly one wins and every
/// other one counts as reuse, which revokes the family (successor included). Only hashes are stored.
/// </summary>
public sealed class RefreshTokenFamilies(GatehouseDbContext db, IOptions<GatehouseOptions> options, TimeProvider time, SessionRevocations sessions)
{
    public static class Reasons
    {
        public const string Logout = "logout";
        public const string Reuse = "reuse";
        public const string CredentialsChanged = "credentials_changed";
        public const string AccountClosed = "account_closed";
    }

    /// <summary>Starts a family (a session) for a user at a client and returns its first token.</summary>
    /// <remarks>
    /// Both rows go in by one command of two statements, without the change tracker: this is on every
    /// sign-in. On PostgreSQL the command is one round trip and one implicit transaction (an error in
    /// either statement rolls both back); SQLite gets an explicit transaction around it. Inside a
    /// transaction the caller opened, the rows simply join it.
    /// </remarks>
    public async Task<IssuedRefreshToken> StartAsync(GatehouseUser user, string clientId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var family = new RefreshTokenFamily
        {
            Id = Guid.CreateVersion7(),
            UserId = user.Id,
            ClientId = clientId,
            CredentialVersion = user.CredentialVersion,
            CreatedAt = now,
            ExpiresAt = now + options.Value.Accounts.SessionLifetime,
        };
        var (token, issued) = NewToken(family, now);
        if (db is PostgreSqlGatehouseDbContext || db.Database.CurrentTransaction is not null)
        {
            await InsertAsync(family, token, cancellationToken);
            return issued;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await InsertAsync(family, token, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return issued;
    }

    private Task<int> InsertAsync(RefreshTokenFamily family, RefreshToken token, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO refresh_token_families ("Id", "UserId", "ClientId", "CredentialVersion", "CreatedAt", "ExpiresAt")
            VALUES ({family.Id}, {family.UserId}, {family.ClientId}, {family.CredentialVersion}, {family.CreatedAt}, {family.ExpiresAt});
            INSERT INTO refresh_tokens ("Id", "FamilyId", "Hash", "CreatedAt", "ExpiresAt")
            VALUES ({token.Id}, {token.FamilyId}, {token.Hash}, {token.CreatedAt}, {token.ExpiresAt});
            """, cancellationToken);

    /// <summary>Spends <paramref name="token"/> and issues its successor in the same family.</summary>
    public async Task<RotationResult> RotateAsync(string token, string clientId, CancellationToken cancellationToken)
    {
        var hash = Hash(token);
        var now = time.GetUtcNow().UtcDateTime;

        var found = await db.RefreshTokens.AsNoTracking()
            .Where(t => t.Hash == hash)
            .Join(db.RefreshTokenFamilies, t => t.FamilyId, f => f.Id, (t, f) => new { Token = t, Family = f })
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null || found.Family.ClientId != clientId)
        {
            return new RotationResult(RotationOutcome.Invalid, null, null, null, null);
        }

        var family = found.Family;
        var invalid = new RotationResult(RotationOutcome.Invalid, family.UserId, family.Id, family.ClientId, null);
        if (family.RevokedAt is not null || family.ExpiresAt <= now || found.Token.ExpiresAt <= now)
        {
            return invalid;
        }

        var spent = await db.RefreshTokens
            .Where(t => t.Id == found.Token.Id && t.SpentAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.SpentAt, now), cancellationToken);
        if (spent == 0)
        {
            await RevokeFamilyAsync(family.Id, Reasons.Reuse, cancellationToken);
            return new RotationResult(RotationOutcome.Reused, family.UserId, family.Id, family.ClientId, null);
        }

        // The user must still be active and on the credential version the family began with; the
        // roles, read in the same query, go into the new access token.
        var current = await db.Users.AsNoTracking()
            .Where(u => u.Id == family.UserId)
            .Select(u => new
            {
                u.Status,
                u.CredentialVersion,
                Roles = db.UserRoles.Where(link => link.UserId == u.Id)
                    .Join(db.Roles, link => link.RoleId, role => role.Id, (_, role) => role.Name!)
                    .OrderBy(name => name)
                    .ToList(),
            })
            .FirstOrDefaultAsync(cancellationToken);
        if (current is null || current.Status != UserStatus.Active || current.CredentialVersion != family.CredentialVersion)
        {
            await RevokeFamilyAsync(family.Id, Reasons.CredentialsChanged, cancellationToken);
            return invalid;
        }

        var (row, successor) = NewToken(family, now);
        db.RefreshTokens.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return new RotationResult(RotationOutcome.Rotated, family.UserId, family.Id, family.ClientId, successor, current.Roles);
    }

    /// <summary>Whether a family is live; access tokens of a dead session are refused by the account API.</summary>
    public Task<bool> IsLiveAsync(Guid familyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return db.RefreshTokenFamilies.AnyAsync(f => f.Id == familyId && f.RevokedAt == null && f.ExpiresAt > now, cancellationToken);
    }

    /// <summary>Ends one session; its access tokens (their <c>sid</c> is the family id) are refused by resource servers too.</summary>
    public async Task<bool> RevokeFamilyAsync(Guid familyId, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var revoked = await db.RefreshTokenFamilies
            .Where(f => f.Id == familyId && f.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(f => f.RevokedAt, now).SetProperty(f => f.RevokedReason, reason), cancellationToken) > 0;
        if (revoked)
        {
            await sessions.PublishAsync(familyId.ToString(), reason, cancellationToken);
        }

        return revoked;
    }

    /// <summary>Ends every live session of one client, publishing each so resource servers refuse its access tokens.</summary>
    public async Task<int> RevokeClientAsync(string clientId, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var live = await db.RefreshTokenFamilies.AsNoTracking()
            .Where(f => f.ClientId == clientId && f.RevokedAt == null)
            .Select(f => f.Id)
            .ToListAsync(cancellationToken);
        if (live.Count == 0)
        {
            return 0;
        }

        // One statement for all of them; a family revoked meanwhile is published twice, which is harmless.
        await db.RefreshTokenFamilies
            .Where(f => live.Contains(f.Id) && f.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(f => f.RevokedAt, now).SetProperty(f => f.RevokedReason, reason), cancellationToken);
        foreach (var familyId in live)
        {
            await sessions.PublishAsync(familyId.ToString(), reason, cancellationToken);
        }

        return live.Count;
    }

    /// <summary>Revokes every live family of a user; returns how many.</summary>
    public async Task<int> RevokeUserAsync(Guid userId, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return await db.RefreshTokenFamilies
            .Where(f => f.UserId == userId && f.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(f => f.RevokedAt, now).SetProperty(f => f.RevokedReason, reason), cancellationToken);
    }

    private (RefreshToken Row, IssuedRefreshToken Issued) NewToken(RefreshTokenFamily family, DateTime now)
    {
        var value = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var expiresAt = now + options.Value.Accounts.RefreshTokenLifetime;
        if (expiresAt > family.ExpiresAt)
        {
            expiresAt = family.ExpiresAt;
        }

        var row = new RefreshToken
        {
            Id = Guid.CreateVersion7(),
            FamilyId = family.Id,
            Hash = Hash(value),
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        return (row, new IssuedRefreshToken(value, family.Id, new DateTimeOffset(expiresAt, TimeSpan.Zero)));
    }

    /// <summary>SHA-256 suffices: the token carries 256 random bits, so there is nothing to brute-force.</summary>
    internal static byte[] Hash(string token)
    {
        var bytes = Encoding.UTF8.GetBytes(token);
        return SHA256.HashData(bytes);
    }
}
