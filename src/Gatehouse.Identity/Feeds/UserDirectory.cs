using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Gatehouse.ResourceServer.Users;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Feeds;

/// <summary>Reads users' public profiles (never credentials) for the user feed; deleted users have none.</summary>
public static class UserDirectory
{
    /// <summary>The claim holding a user's avatar URL (the OpenID Connect <c>picture</c> claim).</summary>
    public const string PictureClaim = "picture";

    /// <summary>Profiles ordered by id, after <paramref name="afterUser"/>.</summary>
    public static async Task<List<UserProfile>> ReadPageAsync(GatehouseDbContext db, Guid? afterUser, int limit, CancellationToken cancellationToken)
    {
        var users = db.Users.AsNoTracking().Where(user => user.Status != UserStatus.Deleted);
        if (afterUser is { } after)
        {
            users = users.Where(user => user.Id.CompareTo(after) > 0);
        }

        var rows = await Project(db, users.OrderBy(user => user.Id).Take(limit)).ToListAsync(cancellationToken);
        return [.. rows.Select(row => row.ToProfile())];
    }

    /// <summary>One user's profile, or null when there is no such user.</summary>
    public static async Task<UserProfile?> ReadAsync(GatehouseDbContext db, Guid userId, CancellationToken cancellationToken)
    {
        var row = await Project(db, db.Users.AsNoTracking().Where(user => user.Id == userId && user.Status != UserStatus.Deleted)).FirstOrDefaultAsync(cancellationToken);
        return row?.ToProfile();
    }

    private static IQueryable<ProfileRow> Project(GatehouseDbContext db, IQueryable<GatehouseUser> users) =>
        users.Select(user => new ProfileRow(
            user.Id,
            user.DisplayName,
            user.Email,
            db.UserClaims.Where(claim => claim.UserId == user.Id && claim.ClaimType == PictureClaim)
                .Select(claim => claim.ClaimValue).FirstOrDefault()));

    private sealed record ProfileRow(Guid Id, string? DisplayName, string? Email, string? Picture)
    {
        public UserProfile ToProfile() => new(Id.ToString(), DisplayName, Email, Picture);
    }
}
