using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Data.Users;

/// <summary>A user found for sign-in, with the names of their roles for the access token.</summary>
public sealed record SignInCandidate(GatehouseUser User, List<string> Roles);

/// <summary>User lookups on hot paths, compiled once instead of translated from an expression tree on every call.</summary>
internal static class UserQueries
{
    /// <summary>
    /// The user (profile and credentials) with this normalised email, untracked, and their roles, in one
    /// round trip; the user part has the semantics of Identity's own lookup.
    /// </summary>
    public static readonly Func<GatehouseDbContext, string, CancellationToken, Task<SignInCandidate?>> ForSignIn =
        EF.CompileAsyncQuery((GatehouseDbContext db, string normalizedEmail, CancellationToken _) =>
            db.Users.AsNoTracking()
                .Where(u => u.NormalizedEmail == normalizedEmail)
                .Select(u => new SignInCandidate(
                    u,
                    db.UserRoles.Where(link => link.UserId == u.Id)
                        .Join(db.Roles, link => link.RoleId, role => role.Id, (_, role) => role.Name!)
                        .ToList()))
                .SingleOrDefault());
}
