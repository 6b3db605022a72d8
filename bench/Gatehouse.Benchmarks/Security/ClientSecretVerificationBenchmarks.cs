using BenchmarkDotNet.Attributes;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Benchmarks.Security;

/// <summary>
/// Client authentication at the token endpoint: OpenIddict's own check of a client secret against
/// its stored PBKDF2 hash (paid on every request without a cache, and still paid for every wrong
/// secret) against Gatehouse's warm path through <see cref="VerifiedSecretCache"/>.
/// </summary>
/// <remarks>
/// The application is created by OpenIddict's application manager on the service's own EF Core
/// model (in-memory SQLite), so the stored hash is exactly what the service stores. The entity is
/// loaded once; the measured calls read only its properties and never touch the database.
/// Not sealed: BenchmarkDotNet runs a generated subclass of every benchmark class.
/// </remarks>
[MemoryDiagnoser]
public class ClientSecretVerificationBenchmarks
{
    private const string Secret = "bench-secret-that-is-long-enough";
    private const string WrongSecret = "bench-secret-that-is-not-the-one";

    private SqliteConnection _connection = null!;
    private ServiceProvider _services = null!;
    private AsyncServiceScope _scope;
    private OpenIddictEntityFrameworkCoreApplication _application = null!;
    private string _storedHash = null!;
    private OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication> _openIddictManager = null!;
    private GatehouseApplicationManager<OpenIddictEntityFrameworkCoreApplication> _gatehouseManager = null!;
    private VerifiedSecretCache _verifiedSecrets = null!;

    [GlobalSetup]
    public async Task CreateApplication()
    {
        // An in-memory SQLite database lives as long as its first connection stays open.
        _connection = new SqliteConnection("Data Source=:memory:");
        await _connection.OpenAsync();

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<GatehouseDbContext, SqliteGatehouseDbContext>(db => db.UseSqlite(_connection));
        services.AddSingleton<VerifiedSecretCache>();
        services.AddOpenIddict().AddCore(core => core.UseEntityFrameworkCore().UseDbContext<GatehouseDbContext>());
        _services = services.BuildServiceProvider();

        _scope = _services.CreateAsyncScope();
        var provider = _scope.ServiceProvider;
        await provider.GetRequiredService<GatehouseDbContext>().Database.EnsureCreatedAsync();

        var cache = provider.GetRequiredService<IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication>>();
        var logger = provider.GetRequiredService<ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>>>();
        var options = provider.GetRequiredService<IOptionsMonitor<OpenIddictCoreOptions>>();
        var store = provider.GetRequiredService<IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication>>();
        _verifiedSecrets = provider.GetRequiredService<VerifiedSecretCache>();
        _openIddictManager = new OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store);
        _gatehouseManager = new GatehouseApplicationManager<OpenIddictEntityFrameworkCoreApplication>(
            cache, logger, options, store, _verifiedSecrets, new LocalClientRegistrationChanges(new ClientRegistrationCache(_services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System)));

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = "bench-client",
            ClientSecret = Secret,
            ClientType = ClientTypes.Confidential,
        };
        descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials]);
        _application = await _openIddictManager.CreateAsync(descriptor);
        _storedHash = await store.GetClientSecretAsync(_application, CancellationToken.None)
            ?? throw new InvalidOperationException("The application was stored without a secret hash.");

        // The first verification through Gatehouse's manager is the one that fills the cache.
        if (!await _gatehouseManager.ValidateClientSecretAsync(_application, Secret)
            || !_verifiedSecrets.IsKnownGood(_storedHash, Secret)
            || await _openIddictManager.ValidateClientSecretAsync(_application, WrongSecret))
        {
            throw new InvalidOperationException("Secret verification does not behave as the benchmarks assume.");
        }
    }

    [GlobalCleanup]
    public async Task DropApplication()
    {
        await _scope.DisposeAsync();
        await _services.DisposeAsync();
        await _connection.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "cold: OpenIddict hash check")]
    public ValueTask<bool> ColdHashCheck() => _openIddictManager.ValidateClientSecretAsync(_application, Secret);

    [Benchmark(Description = "wrong secret: Gatehouse manager")]
    public ValueTask<bool> WrongSecretThroughGatehouseManager() => _gatehouseManager.ValidateClientSecretAsync(_application, WrongSecret);

    [Benchmark(Description = "warm: Gatehouse manager")]
    public ValueTask<bool> WarmThroughGatehouseManager() => _gatehouseManager.ValidateClientSecretAsync(_application, Secret);

    [Benchmark(Description = "warm: VerifiedSecretCache.IsKnownGood")]
    public bool WarmCacheLookup() => _verifiedSecrets.IsKnownGood(_storedHash, Secret);
}
