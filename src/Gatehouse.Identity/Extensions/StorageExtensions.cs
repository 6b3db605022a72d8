using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Feeds;
using Gatehouse.Identity.Security;
using Gatehouse.ServiceDefaults;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Gatehouse.Identity.Extensions;

internal static class StorageExtensions
{
    /// <summary>
    /// The database (SQLite or PostgreSQL) and the distributed stores (Redis, or in-process when no
    /// Redis is configured): cache and Data Protection keys. The denylist and feeds are added by
    /// <see cref="FeedsExtensions.AddGatehouseFeeds"/>; saves of users pass through <see cref="UserChangeInterceptor"/>.
    /// </summary>
    public static IServiceCollection AddGatehouseStorage(this IServiceCollection services, StorageSettings storage, RedisOptions keys)
    {
        services.AddSingleton(storage);
        services.AddSingleton(TimeProvider.System);
        services.AddMemoryCache();

        if (storage.UsesPostgreSql)
        {
            services.AddDbContextPool<GatehouseDbContext, PostgreSqlGatehouseDbContext>((provider, db) => db
                .UseNpgsql(NpgsqlDefaults.Apply(storage.DatabaseConnectionString))
                .AddInterceptors(provider.GetRequiredService<UserChangeInterceptor>()));
        }
        else
        {
            services.AddDbContextPool<GatehouseDbContext, SqliteGatehouseDbContext>((provider, db) => db
                .UseSqlite(storage.DatabaseConnectionString)
                .AddInterceptors(provider.GetRequiredService<UserChangeInterceptor>()));
        }

        var dataProtection = services.AddDataProtection().SetApplicationName("Gatehouse");
        var health = services.AddHealthChecks()
            .AddDbContextCheck<GatehouseDbContext>("database", tags: [ServiceDefaultsExtensions.ReadyTag]);

        if (storage.RedisConnectionString is { } redisConnection)
        {
            var redisOptions = ConfigurationOptions.Parse(redisConnection);
            // Start even when Redis is briefly away; readiness reports it until it is back.
            redisOptions.AbortOnConnectFail = false;
            services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redisOptions));
            services.AddStackExchangeRedisCache(cache => cache.InstanceName = keys.Key("cache:"));
            services.AddOptions<Microsoft.Extensions.Caching.StackExchangeRedis.RedisCacheOptions>()
                .Configure<IConnectionMultiplexer>((cache, redis) => cache.ConnectionMultiplexerFactory = () => Task.FromResult(redis));
            services.AddSingleton<RedisClientRegistrationChanges>();
            services.AddSingleton<IClientRegistrationChanges>(provider => provider.GetRequiredService<RedisClientRegistrationChanges>());
            services.AddHostedService(provider => provider.GetRequiredService<RedisClientRegistrationChanges>());
            services.AddSingleton<RedisSigningKeyChanges>();
            services.AddSingleton<ISigningKeyChanges>(provider => provider.GetRequiredService<RedisSigningKeyChanges>());
            services.AddHostedService(provider => provider.GetRequiredService<RedisSigningKeyChanges>());
            services.AddHostedService<RedisClientAuthenticationBlocks>();
            dataProtection.Services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
                .Configure<IConnectionMultiplexer>((keyManagement, redis) =>
                    keyManagement.XmlRepository = new Microsoft.AspNetCore.DataProtection.StackExchangeRedis.RedisXmlRepository(
                        () => redis.GetDatabase(), keys.Key("dataprotection-keys")));
            health.Add(new HealthCheckRegistration(
                "redis",
                provider => new RedisHealthCheck(provider.GetRequiredService<IConnectionMultiplexer>()),
                HealthStatus.Unhealthy,
                [ServiceDefaultsExtensions.ReadyTag]));
        }
        else
        {
            services.AddDistributedMemoryCache();
            services.AddSingleton<IClientRegistrationChanges, LocalClientRegistrationChanges>();
            services.AddSingleton<ISigningKeyChanges, LocalSigningKeyChanges>();
            dataProtection.PersistKeysToDbContext<GatehouseDbContext>();
        }

        return services;
    }
}

/// <summary>
/// Npgsql settings that suit Gatehouse's short, stateless queries, applied unless the operator set them:
/// no <c>DISCARD ALL</c> each time a pooled connection is reused (Gatehouse sets no session state), and
/// automatic preparation of the statements it runs most.
/// </summary>
internal static class NpgsqlDefaults
{
    public const int MaxAutoPrepare = 20;

    public static string Apply(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Select(key => key.Replace(" ", "", StringComparison.Ordinal))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        if (!given.Contains("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!given.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        return builder.ConnectionString;
    }
}

internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer: " + exception.Message);
        }
    }
}
