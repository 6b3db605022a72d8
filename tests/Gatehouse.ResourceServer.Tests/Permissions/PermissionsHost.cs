using Gatehouse.Identity.Tests.Infrastructure;
using Gatehouse.ResourceServer.Permissions;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.ResourceServer.Tests.Permissions;

/// <summary>
/// A service with object permissions in its own database (SQLite, or PostgreSQL on the second pass)
/// and the management API, trusting a test authority.
/// </summary>
public sealed class PermissionsHost : IAsyncLifetime
{
    private TestStorage? _storage;

    public TestAuthority Authority { get; private set; } = null!;

    public ResourceServerHost Service { get; private set; } = null!;

    public IObjectPermissions Permissions => Service.Services.GetRequiredService<IObjectPermissions>();

    public async ValueTask InitializeAsync()
    {
        _storage = await TestStorage.CreateAsync();
        Authority = await TestAuthority.StartAsync();
        var storage = _storage;
        Service = await ResourceServerHost.StartTrustingAsync(
            Authority,
            map: app => app.MapPermissionsApi(),
            build: builder =>
            {
                builder.Services.AddDbContext<GatehousePermissionsDbContext>(db =>
                {
                    if (storage.Provider == "PostgreSQL")
                    {
                        db.UseNpgsql(storage.ConnectionString);
                    }
                    else
                    {
                        db.UseSqlite(storage.ConnectionString);
                    }
                });
                builder.Services.AddGatehousePermissions<GatehousePermissionsDbContext>();
            });

        await using var scope = Service.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<GatehousePermissionsDbContext>().Database.EnsureCreatedAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Authority.DisposeAsync();
        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }
}
