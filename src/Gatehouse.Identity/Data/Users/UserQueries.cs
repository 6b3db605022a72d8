using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Data.Users;

/// <summary>User lookups on hot paths, compiled once instead of translated from an expression tree on every call.</summary>
internal static class UserQueries
{
    /// <summary>The user (profile and credentials) with this normalised email, untracked; Identity's own lookup has the same semantics.</summary>
    public static readonly Func<GatehouseDbContext, string, CancellationToken, Task<GatehouseUser?>> ByNormalizedEmail =
        EF.CompileAsyncQuery((GatehouseDbContext db, string normalizedEmail, CancellationToken _) =>
            db.Users.AsNoTracking().SingleOrDefault(u => u.NormalizedEmail == normalizedEmail));
}
