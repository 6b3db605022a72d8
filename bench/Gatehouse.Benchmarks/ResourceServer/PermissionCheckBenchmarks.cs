using BenchmarkDotNet.Attributes;
using Gatehouse.ResourceServer.Permissions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Gatehouse.Benchmarks.ResourceServer;

/// <summary>
/// Permission checks on PostgreSQL (the server named by <c>GATEHOUSE_BENCH_POSTGRES</c>, an admin
/// connection string; a throwaway database is created and dropped). The table holds 50,000 tuples:
/// 2,000 users in 200 groups nested two deep, 10,000 images each shared with a group and an owner.
/// Measured uncached (one query per check: recursive CTE + index lookup) and through the short cache.
/// One check per call, and 16 concurrent checks per call for throughput.
/// </summary>
[MemoryDiagnoser]
public class PermissionCheckBenchmarks
{
    private const int Users = 2_000;
    private const int Groups = 200;
    private const int Images = 10_000;
    private const int Concurrency = 16;

    private string _database = null!;
    private string _admin = null!;
    private ServiceProvider _uncachedServices = null!;
    private ServiceProvider _cachedServices = null!;
    private IObjectPermissions _uncached = null!;
    private IObjectPermissions _cached = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _admin = Environment.GetEnvironmentVariable("GATEHOUSE_BENCH_POSTGRES")
            ?? throw new InvalidOperationException("Set GATEHOUSE_BENCH_POSTGRES to an admin connection string of a PostgreSQL server.");
        _database = "gh_bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(_admin))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", connection);
            create.ExecuteNonQuery();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = _database, MaxAutoPrepare = 10, NoResetOnClose = true }.ConnectionString;
        _uncachedServices = Build(connectionString, TimeSpan.Zero);
        _cachedServices = Build(connectionString, TimeSpan.FromSeconds(5));
        using (var scope = _uncachedServices.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatehousePermissionsDbContext>();
            db.Database.EnsureCreated();
            Seed(db);
        }

        _uncached = _uncachedServices.GetRequiredService<IObjectPermissions>();
        _cached = _cachedServices.GetRequiredService<IObjectPermissions>();
    }

    private static ServiceProvider Build(string connectionString, TimeSpan cache)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddDbContextPool<GatehousePermissionsDbContext>(db => db.UseNpgsql(connectionString));
        services.AddGatehousePermissions<GatehousePermissionsDbContext>(o => o.CheckCacheDuration = cache);
        return services.BuildServiceProvider();
    }

    private static void Seed(GatehousePermissionsDbContext db)
    {
        var rows = new List<PermissionTupleEntity>();
        void Add(string type, string id, string relation, string subjectType, string subjectId) =>
            rows.Add(new PermissionTupleEntity { ObjectType = type, ObjectId = id, Relation = relation, SubjectType = subjectType, SubjectId = subjectId, CreatedAt = DateTime.UtcNow });

        for (var user = 0; user < Users; user++)
        {
            Add("group", $"team-{user % Groups}", "member", "user", $"user-{user}");
        }

        for (var group = 0; group < Groups; group++)
        {
            Add("group", $"division-{group % 20}", "member", "group", $"team-{group}");
        }

        for (var image = 0; image < Images; image++)
        {
            Add("image", $"{image}", "read", "group", $"division-{image % 20}");
            Add("image", $"{image}", "write", "group", $"team-{image % Groups}");
            Add("image", $"{image}", "owner", "user", $"user-{image % Users}");
        }

        db.PermissionTuples.AddRange(rows);
        db.SaveChanges();
    }

    private (string User, string Image) NextCheck()
    {
        var n = Interlocked.Increment(ref _next);
        return ($"user-{n % Users}", $"{(n * 7919) % Images}");
    }

    [Benchmark(Description = "check, uncached (one query)")]
    public bool Uncached()
    {
        var (user, image) = NextCheck();
        return _uncached.CheckAsync(user, "read", "image", image).AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "16 concurrent checks, uncached", OperationsPerInvoke = Concurrency)]
    public void UncachedConcurrent() =>
        Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ =>
        {
            var (user, image) = NextCheck();
            return _uncached.CheckAsync(user, "write", "image", image).AsTask();
        })).GetAwaiter().GetResult();

    [Benchmark(Description = "check, cached")]
    public bool Cached() => _cached.CheckAsync("user-7", "read", "image", "42").AsTask().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _uncachedServices.Dispose();
        _cachedServices.Dispose();
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(_admin);
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }
}
