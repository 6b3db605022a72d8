using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Locks an account after repeated wrong passwords. The failure count is kept across lockouts (and
/// reset by a success), so every further lockout waits twice as long, up to a maximum. Counting is one
/// atomic UPDATE, so parallel guesses cannot slip past the threshold.
/// </summary>
public sealed class AccountLockout(GatehouseDbContext db, IOptions<GatehouseOptions> options, TimeProvider time, ILogger<AccountLockout> logger)
{
    private LockoutSettings Settings => options.Value.Accounts.Lockout;

    /// <summary>How long the account stays locked, or null when it is not.</summary>
    public TimeSpan? Remaining(GatehouseUser user)
    {
        var remaining = user.LockoutEnd - time.GetUtcNow();
        return remaining > TimeSpan.Zero ? remaining : null;
    }

    /// <summary>Counts a wrong password; returns the wait when this failure locked the account.</summary>
    public async Task<TimeSpan?> RecordFailureAsync(GatehouseUser user, CancellationToken cancellationToken)
    {
        // On PostgreSQL the count commits without waiting for the WAL flush (set_config(…, true) holds
        // for this statement's own transaction): a crash may lose the last few counts, which costs
        // nothing, while waiting for the disk would make a wrong password for an account answer a
        // measurable moment later than one for an address without an account (counted in Redis or in
        // memory), and every guess of a password-spraying attack would cost a disk flush.
        var failures = await (db is PostgreSqlGatehouseDbContext
                ? db.Database.SqlQuery<int>(
                    $"UPDATE user_credentials SET \"AccessFailedCount\" = \"AccessFailedCount\" + 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS commit_without_flush WHERE \"UserId\" = {user.Id} RETURNING \"AccessFailedCount\" AS \"Value\"")
                : db.Database.SqlQuery<int>(
                    $"UPDATE user_credentials SET \"AccessFailedCount\" = \"AccessFailedCount\" + 1 WHERE \"UserId\" = {user.Id} RETURNING \"AccessFailedCount\" AS \"Value\""))
            .ToListAsync(cancellationToken);
        if (failures.Count == 0 || WaitAfter(Settings, failures[0]) is not { } wait)
        {
            return null;
        }

        var until = time.GetUtcNow() + wait;
        await db.Database.ExecuteSqlAsync(
            $"UPDATE user_credentials SET \"LockoutEnd\" = {until} WHERE \"UserId\" = {user.Id}", cancellationToken);
        user.LockoutEnd = until;
        AccountsLog.LockedOut(logger, user.Id, wait);
        return wait;
    }

    /// <summary>
    /// The wait that the <paramref name="failures"/>-th wrong password in a row starts: every
    /// <see cref="LockoutSettings.MaxFailedAttempts"/>-th one locks, each lockout twice as long as the one
    /// before, up to the maximum. Null when this failure does not lock.
    /// </summary>
    public static TimeSpan? WaitAfter(LockoutSettings settings, long failures)
    {
        if (failures <= 0 || failures % settings.MaxFailedAttempts != 0)
        {
            return null;
        }

        var wait = settings.FirstWait * Math.Pow(2, Math.Min(failures / settings.MaxFailedAttempts - 1, 20));
        return wait > settings.MaxWait ? settings.MaxWait : wait;
    }

    public async Task RecordSuccessAsync(GatehouseUser user, CancellationToken cancellationToken)
    {
        if (user.AccessFailedCount == 0 && user.LockoutEnd is null)
        {
            return;
        }

        await db.Database.ExecuteSqlAsync(
            $"UPDATE user_credentials SET \"AccessFailedCount\" = 0, \"LockoutEnd\" = NULL WHERE \"UserId\" = {user.Id}", cancellationToken);
    }
}
