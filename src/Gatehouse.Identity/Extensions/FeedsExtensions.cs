using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Feeds;
using Gatehouse.Identity.Revocation;
using Gatehouse.ResourceServer.Revocation;
using Gatehouse.ResourceServer.Users;
using StackExchange.Redis;

namespace Gatehouse.Identity.Extensions;

internal static class FeedsExtensions
{
    /// <summary>
    /// The access-token denylist and the feeds services follow (revocations, user changes): in Redis
    /// (streams + pub/sub) when Redis is configured, in this process otherwise. Also the interceptor
    /// that turns user saves into revocations and user events.
    /// </summary>
    public static IServiceCollection AddGatehouseFeeds(this IServiceCollection services, StorageSettings storage, RedisOptions keys)
    {
        if (storage.UsesRedis)
        {
            services.AddSingleton<IAccessTokenDenylist, RedisAccessTokenDenylist>();
            services.AddSingleton<IEventLog<RevocationEvent>>(provider => new RedisEventLog<RevocationEvent>(
                provider.GetRequiredService<IConnectionMultiplexer>(), RevocationFeed.RedisStream(keys.KeyPrefix), RevocationFeed.RedisChannel(keys.KeyPrefix),
                FeedCodecs.Revocations, RevocationFeed.SubjectEventLifetime, provider.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IEventLog<UserEvent>>(provider => new RedisEventLog<UserEvent>(
                provider.GetRequiredService<IConnectionMultiplexer>(), UserFeed.RedisStream(keys.KeyPrefix), UserFeed.RedisChannel(keys.KeyPrefix),
                FeedCodecs.Users, UserFeed.Retention, provider.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.AddSingleton<IAccessTokenDenylist, MemoryAccessTokenDenylist>();
            services.AddSingleton<IEventLog<RevocationEvent>>(provider => new MemoryEventLog<RevocationEvent>(
                FeedCodecs.Revocations, RevocationFeed.SubjectEventLifetime, provider.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IEventLog<UserEvent>>(provider => new MemoryEventLog<UserEvent>(
                FeedCodecs.Users, UserFeed.Retention, provider.GetRequiredService<TimeProvider>()));
        }

        // Every revocation is also published to the resource servers.
        services.Decorate<IAccessTokenDenylist>((inner, provider) => new PublishingAccessTokenDenylist(
            inner, provider.GetRequiredService<IEventLog<RevocationEvent>>(), provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<UserChangeInterceptor>();
        return services;
    }

    /// <summary>Replaces the registration of <typeparamref name="TService"/> with a decorator around it.</summary>
    private static void Decorate<TService>(this IServiceCollection services, Func<TService, IServiceProvider, TService> decorate)
        where TService : class
    {
        var inner = services.Last(descriptor => descriptor.ServiceType == typeof(TService));
        services.Remove(inner);
        services.AddSingleton(provider => decorate(
            (TService)(inner.ImplementationFactory?.Invoke(provider) ?? ActivatorUtilities.CreateInstance(provider, inner.ImplementationType!)),
            provider));
    }
}
