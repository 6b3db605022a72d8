using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>One identity-service node on the given storage, with the test clients and scopes.</summary>
public sealed class GatehouseApp(TestStorage storage, IReadOnlyDictionary<string, string?>? overrides = null)
    : WebApplicationFactory<Program>
{
    public const string OrdersClient = "orders-service";
    public const string OrdersSecret = "orders-service-secret-0001";
    public const string ImagesApiClient = "images-api";
    public const string ImagesApiSecret = "images-api-secret-000000001";
    public const string BillingClient = "billing-service";
    public const string BillingSecret = "billing-service-secret-00001";
    public const string BillingResource = "https://billing.example.com/";
    public const string WebAppClient = "web-app";
    public const string WebAppSecret = "web-app-secret-0000000001";
    public const string MobileAppClient = "mobile-app";

    public static readonly IReadOnlyDictionary<string, string?> BaseSettings = new Dictionary<string, string?>
    {
        ["Gatehouse:RequireHttps"] = "false",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Gatehouse:Scopes:orders.read:Resources:0"] = "orders-api",
        ["Gatehouse:Scopes:images.read:Resources:0"] = "images-api",
        ["Gatehouse:Scopes:images.write:Resources:0"] = "images-api",
        ["Gatehouse:Scopes:reports:Resources:0"] = "orders-api",
        ["Gatehouse:Scopes:reports:Resources:1"] = "images-api",

        [$"Gatehouse:Clients:{OrdersClient}:Secret"] = OrdersSecret,
        [$"Gatehouse:Clients:{OrdersClient}:DisplayName"] = "Orders service",
        [$"Gatehouse:Clients:{OrdersClient}:GrantTypes:0"] = "client_credentials",
        [$"Gatehouse:Clients:{OrdersClient}:Scopes:0"] = "images.read",
        [$"Gatehouse:Clients:{OrdersClient}:Scopes:1"] = "reports",

        // A resource server: it may introspect tokens meant for it.
        [$"Gatehouse:Clients:{ImagesApiClient}:Secret"] = ImagesApiSecret,
        [$"Gatehouse:Clients:{ImagesApiClient}:GrantTypes:0"] = "client_credentials",
        [$"Gatehouse:Clients:{ImagesApiClient}:Scopes:0"] = "orders.read",
        [$"Gatehouse:Clients:{ImagesApiClient}:AllowIntrospection"] = "true",

        [$"Gatehouse:Clients:{BillingClient}:Secret"] = BillingSecret,
        [$"Gatehouse:Clients:{BillingClient}:GrantTypes:0"] = "client_credentials",
        [$"Gatehouse:Clients:{BillingClient}:Resources:0"] = BillingResource,
        [$"Gatehouse:Clients:{BillingClient}:AccessTokenLifetime"] = "00:02:00",

        // First-party apps on the account API: a confidential backend and a public mobile app.
        [$"Gatehouse:Clients:{WebAppClient}:Secret"] = WebAppSecret,
        [$"Gatehouse:Clients:{WebAppClient}:FirstParty"] = "true",
        [$"Gatehouse:Clients:{WebAppClient}:AllowAccountsApi"] = "true",
        [$"Gatehouse:Clients:{WebAppClient}:Scopes:0"] = "images.read",
        [$"Gatehouse:Clients:{MobileAppClient}:Type"] = "public",
        [$"Gatehouse:Clients:{MobileAppClient}:FirstParty"] = "true",
        [$"Gatehouse:Clients:{MobileAppClient}:AllowAccountsApi"] = "true",
        [$"Gatehouse:Clients:{MobileAppClient}:Scopes:0"] = "images.read",
        ["Gatehouse:Accounts:RateLimits:PerIpPermits"] = "100000",
        ["Gatehouse:Accounts:RateLimits:PerAccountPermits"] = "100000",
        // Many tests fail client authentication on purpose from one address; the waits have tests of their own.
        ["Gatehouse:ClientAuthentication:FreeFailures"] = "1000",
        ["Gatehouse:ClientAuthentication:PerIpFreeFailures"] = "100000",
    };

    public TestStorage Storage => storage;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in BaseSettings.Concat(TestMailbox.Shared.Settings()).Concat(storage.Settings()))
        {
            if (overrides is null || !overrides.ContainsKey(key))
            {
                builder.UseSetting(key, value);
            }
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>A class fixture: one storage and one node shared by the tests of a class.</summary>
public class GatehouseFixture : IAsyncLifetime
{
    private TestStorage? _storage;
    private GatehouseApp? _app;

    public GatehouseApp App => _app ?? throw new InvalidOperationException("Fixture not initialized.");

    protected virtual IReadOnlyDictionary<string, string?>? Overrides => null;

    public async ValueTask InitializeAsync()
    {
        _storage = await TestStorage.CreateAsync();
        _app = new GatehouseApp(_storage, Overrides);
        _ = _app.Server; // start now, so a start-up failure shows here and not in the first test
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }
}
