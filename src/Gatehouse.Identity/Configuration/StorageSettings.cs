using Npgsql;
using StackExchange.Redis;

namespace Gatehouse.Identity.Configuration;

/// <summary>Where state lives, resolved once from configuration: the database and, optionally, Redis.</summary>
public sealed record StorageSettings(string DatabaseProvider, string DatabaseConnectionString, string? RedisConnectionString)
{
    public const string DatabaseConnectionKey = "ConnectionStrings:Gatehouse";
    public const string RedisConnectionKey = "ConnectionStrings:Redis";
    public const string ProviderKey = "Gatehouse:Database:Provider";

    public bool UsesPostgreSql => DatabaseProvider == DatabaseProviders.PostgreSql;

    public bool UsesRedis => RedisConnectionString is not null;

    /// <summary>Reads and checks the storage settings; every problem found is added to <paramref name="problems"/>.</summary>
    public static StorageSettings Read(IConfiguration configuration, DatabaseOptions database, List<string> problems)
    {
        var provider = database.Provider?.Trim() ?? "";
        if (provider.Equals(DatabaseProviders.Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            provider = DatabaseProviders.Sqlite;
        }
        else if (provider.Equals(DatabaseProviders.PostgreSql, StringComparison.OrdinalIgnoreCase)
                 || provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase)
                 || provider.Equals("Npgsql", StringComparison.OrdinalIgnoreCase))
        {
            provider = DatabaseProviders.PostgreSql;
        }
        else
        {
            problems.Add($"{ProviderKey} is '{database.Provider}', which is not a database Gatehouse supports; use 'Sqlite' or 'PostgreSQL'.");
        }

        var connection = configuration[DatabaseConnectionKey];
        if (string.IsNullOrWhiteSpace(connection))
        {
            if (provider == DatabaseProviders.PostgreSql)
            {
                problems.Add($"{DatabaseConnectionKey} is missing; PostgreSQL needs a connection string such as 'Host=db;Database=gatehouse;Username=gatehouse;Password=…'.");
            }

            connection = DatabaseProviders.DefaultSqliteConnection;
        }
        else if (provider == DatabaseProviders.PostgreSql)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(connection);
            }
            catch (ArgumentException exception)
            {
                problems.Add($"{DatabaseConnectionKey} is not a valid PostgreSQL connection string: {exception.Message}");
            }
        }
        else if (provider == DatabaseProviders.Sqlite)
        {
            try
            {
                _ = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connection);
            }
            catch (ArgumentException exception)
            {
                problems.Add($"{DatabaseConnectionKey} is not a valid SQLite connection string: {exception.Message}");
            }
        }

        var redis = configuration[RedisConnectionKey];
        if (string.IsNullOrWhiteSpace(redis))
        {
            redis = null;
        }
        else
        {
            try
            {
                _ = ConfigurationOptions.Parse(redis);
            }
            catch (ArgumentException exception)
            {
                problems.Add($"{RedisConnectionKey} is not a valid Redis configuration string: {exception.Message}");
            }
        }

        return new StorageSettings(provider, connection, redis);
    }
}
