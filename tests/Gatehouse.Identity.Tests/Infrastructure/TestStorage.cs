using Npgsql;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>
/// A database of its own for one test class (or one group of nodes). With GATEHOUSE_TEST_POSTGRES set
/// (test.sh does so on its second pass) it is a fresh PostgreSQL database and GATEHOUSE_TEST_REDIS adds
/// Redis; otherwise a SQLite file in a temporary folder and in-process stores.
/// </summary>
public sealed class TestStorage : IAsyncDisposable
{
    public static readonly string? PostgresAdminConnection = Environment.GetEnvironmentVariable("GATEHOUSE_TEST_POSTGRES");
    public static readonly string? RedisConnection = Environment.GetEnvironmentVariable("GATEHOUSE_TEST_REDIS");

    public static bool UsesRealServers => PostgresAdminConnection is not null;

    private readonly string? _databaseName;
    private readonly string? _sqliteFolder;

    private TestStorage(string provider, string connectionString, string? databaseName, string? sqliteFolder)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _databaseName = databaseName;
        _sqliteFolder = sqliteFolder;
    }

    public string Provider { get; }

    public string ConnectionString { get; }

    public static async Task<TestStorage> CreateAsync()
    {
        if (PostgresAdminConnection is { } admin)
        {
            var name = "gh_" + Guid.NewGuid().ToString("N")[..16];
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                await command.ExecuteNonQueryAsync();
            }

            var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
            return new TestStorage("PostgreSQL", builder.ConnectionString, name, null);
        }

        var folder = Path.Combine(Path.GetTempPath(), "gatehouse-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return new TestStorage("Sqlite", $"Data Source={Path.Combine(folder, "gatehouse.db")}", null, folder);
    }

    /// <summary>The configuration that points a node at this storage.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new("Gatehouse:Database:Provider", Provider);
        yield return new("ConnectionStrings:Gatehouse", ConnectionString);
        if (UsesRealServers && RedisConnection is not null)
        {
            yield return new("ConnectionStrings:Redis", RedisConnection);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_databaseName is not null && PostgresAdminConnection is { } admin)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_databaseName}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }

        if (_sqliteFolder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_sqliteFolder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open is left for the OS to clean up with the temp folder.
            }
        }
    }
}
