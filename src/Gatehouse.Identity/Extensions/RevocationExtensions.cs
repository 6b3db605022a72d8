using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Revocation;
using StackExchange.Redis;

namespace Gatehouse.Identity.Extensions;

internal static class RevocationExtensions
{
    /// <summary>
    /// The access-token denylist and the revocation events resource servers follow: in Redis (stream +
    /// pub/sub) when Redis is configured, in this process otherwise.
    /// </summary>
    public static IServiceCollection AddGatehouseRevocation(this IServiceCollection services, StorageSettings storage)
    {
        if (storage.UsesRedis)
        {
            services.AddSingleton<RedisAccessTokenDenylist>();
            services.AddSingleton<IRevocationEventLog>(provider => new RedisRevocationEventLog(
                provider.GetRequiredService<IConnectionMultiplexer>(), provider.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IAccessTokenDenylist>(provider => new PublishingAccessTokenDenylist(
                provider.GetRequiredService<RedisAccessTokenDenylist>(),
                provider.GetRequiredService<IRevocationEventLog>(),
                provider.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.AddSingleton<MemoryAccessTokenDenylist>();
            services.AddSingleton<IRevocationEventLog, MemoryRevocationEventLog>();
            services.AddSingleton<IAccessTokenDenylist>(provider => new PublishingAccessTokenDenylist(
                provider.GetRequiredService<MemoryAccessTokenDenylist>(),
                provider.GetRequiredService<IRevocationEventLog>(),
                provider.GetRequiredService<TimeProvider>()));
        }

        return services;
    }
}
