using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gatehouse.ResourceServer.Permissions;

/// <summary>Registration of object-level permissions.</summary>
public static class PermissionsExtensions
{
    /// <summary>
    /// Adds <see cref="IObjectPermissions"/> on the permission table of <typeparamref name="TContext"/>
    /// (registered by the service, e.g. with <c>AddDbContext</c>, for SQLite or PostgreSQL).
    /// </summary>
    public static IServiceCollection AddGatehousePermissions<TContext>(this IServiceCollection services, Action<PermissionOptions>? configure = null)
        where TContext : DbContext
    {
        var options = services.AddOptions<PermissionOptions>().Validate(
            o => o.CheckCacheDuration >= TimeSpan.Zero && o.CheckCacheDuration <= TimeSpan.FromMinutes(5),
            $"{GatehouseResourceServerOptions.Section}:Permissions:CheckCacheDuration must be between 0 and 00:05:00.").ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddMemoryCache();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IObjectPermissions, ObjectPermissions<TContext>>();
        return services;
    }
}
