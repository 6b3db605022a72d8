using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Data.Users;

/// <summary>User lookups on hot paths, compiled once instead of translated from an expression tree on every call.</summary>
internal static class UserQueries
{
    /// <summary>The user (profile and credentials) with this normalised email, untracked; Identity's own lookup has the same semantics.</summary>
    public static readonly Func<GatehouseDbContext, string, CancellationToken, Task<GatehouseUser?>> ByNormalizedEmail =
        EF.CompileAsyncQuery((GatehouseDbContext db, string normalizedEmail, CancellationToken _) =>
            db.Users.AsNoTracking().SingleOrDefault(u => u.NormalizedEmail == normalizedEmail));

    private static readonly Func<GatehouseDbContext, Guid, IAsyncEnumerable<string>> RoleNames =
        EF.CompileAsyncQuery<GatehouseDbContext, Guid, string>((db, userId) =>
            db.UserRoles.Where(link => link.UserId == userId)
                .Join(db.Roles, link => link.RoleId, role => role.Id, (_, role) => role.Name!)
                .OrderBy(name => name));

    /// <summary>The names of the user's roles, in ordinal order.</summary>
    public static async Task<IReadOnlyList<string>> RolesOfAsync(GatehouseDbContext db, Guid userId, CancellationToken cancellationToken)
    {
        var roles = new List<string>();
        await foreach (var role in RoleNames(db, userId).WithCancellation(cancellationToken))
        {
            roles.Add(role);
        }

        return roles;
    }
}
