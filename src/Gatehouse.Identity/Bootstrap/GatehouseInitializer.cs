using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Bootstrap;

/// <summary>
/// Runs before the service accepts requests: applies migrations, loads (or creates) the server keys
/// and registers the scopes, clients and first administrator named in configuration.
/// </summary>
public sealed partial class GatehouseInitializer(
    IServiceScopeFactory scopes,
    ServerKeyRing keyRing,
    StorageSettings storage,
    Microsoft.Extensions.Options.IOptions<GatehouseOptions> options,
    ILogger<GatehouseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<GatehouseDbContext>();

        if (options.Value.Database.MigrateOnStartup)
        {
            await DatabaseMigrator.MigrateAsync(db, storage, cancellationToken);
        }

        await keyRing.LoadAsync(db, cancellationToken);
        await services.GetRequiredService<ConfiguredRegistrations>().ApplyAsync(cancellationToken);
        LogReady(logger, storage.DatabaseProvider, storage.UsesRedis ? "Redis" : "in-process");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Gatehouse identity is ready: database {Provider}, distributed stores {Stores}")]
    private static partial void LogReady(ILogger logger, string provider, string stores);
}

public static class DatabaseMigrator
{
    /// <summary>Brings the schema up to date; for SQLite also switches the file to WAL journaling.</summary>
    public static async Task MigrateAsync(GatehouseDbContext db, StorageSettings storage, CancellationToken cancellationToken)
    {
        if (!storage.UsesPostgreSql)
        {
            var dataSource = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(storage.DatabaseConnectionString).DataSource;
            var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
            if (!string.IsNullOrEmpty(directory) && dataSource != ":memory:")
            {
                Directory.CreateDirectory(directory);
            }
        }

        await db.Database.MigrateAsync(cancellationToken);

        if (!storage.UsesPostgreSql)
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}
