using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Data;

/// <summary>
/// Saves a few related rows in one round trip to PostgreSQL. EF Core sends the statements of one
/// <c>SaveChanges</c> as one Npgsql batch, and a batch outside an explicit transaction runs in one
/// implicit transaction (the protocol's single Sync: an error rolls back every statement of it), so
/// EF Core's own BEGIN and COMMIT would only add a round trip. Other providers, and a save inside a
/// transaction the caller opened, keep EF Core's usual behaviour.
/// </summary>
internal static class SingleRoundTripSave
{
    /// <summary>More statements than this could be split into several batches, which are not atomic together.</summary>
    private const int MaxStatements = 10;

    public static async Task SaveInOneRoundTripAsync(this GatehouseDbContext db, CancellationToken cancellationToken)
    {
        var database = db.Database;
        if (database.ProviderName != "Npgsql.EntityFrameworkCore.PostgreSQL" || database.CurrentTransaction is not null
            || db.ChangeTracker.Entries().Count(entry => entry.State != EntityState.Unchanged) > MaxStatements)
        {
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var behavior = database.AutoTransactionBehavior;
        database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            database.AutoTransactionBehavior = behavior;
        }
    }
}
