using System.Diagnostics;
using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.ResourceServer.Tests.Infrastructure;

/// <summary>
/// The real identity service on a Kestrel socket, with a client allowed to read the revocation feed,
/// and resource servers (kit instances) that trust it.
/// </summary>
public sealed class IdentityNode : IAsyncDisposable
{
    public const string FeedClient = "images-feed";
    public const string FeedSecret = "images-feed-secret-000000001";

    private readonly TestStorage _storage;
    private GatehouseApp? _app;

    private IdentityNode(TestStorage storage, GatehouseApp app, string subjectClient)
    {
        _storage = storage;
        _app = app;
        SubjectClient = subjectClient;
        Authority = app.ClientOptions.BaseAddress;
    }

    public Uri Authority { get; }

    public GatehouseApp App => _app ?? throw new InvalidOperationException("The identity service was stopped.");

    /// <summary>A client id unique to this node, for tests that revoke a whole subject.</summary>
    public string SubjectClient { get; }

    public const string SubjectSecret = "subject-client-secret-00001";

    public static async Task<IdentityNode> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var storage = await TestStorage.CreateAsync();
        var subjectClient = "subject-" + Guid.NewGuid().ToString("N")[..12];
        var app = new GatehouseApp(storage, new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            [$"Gatehouse:Clients:{FeedClient}:Secret"] = FeedSecret,
            [$"Gatehouse:Clients:{FeedClient}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{FeedClient}:Scopes:0"] = "gatehouse:revocations",
            [$"Gatehouse:Clients:{subjectClient}:Secret"] = SubjectSecret,
            [$"Gatehouse:Clients:{subjectClient}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{subjectClient}:Scopes:0"] = "images.read",
        });
        app.UseKestrel(0);
        app.StartServer();
        return new IdentityNode(storage, app, subjectClient);
    }

    public Task<string> TokenAsync(string? clientId = null, string? secret = null) =>
        App.CreateClient().GetAccessTokenAsync(clientId ?? GatehouseApp.OrdersClient, secret ?? GatehouseApp.OrdersSecret, "images.read");

    /// <summary>Starts a service that trusts this node, reading revocations over HTTP or from Redis.</summary>
    public Task<ResourceServerHost> StartServiceAsync(bool redis = false, Action<GatehouseResourceServerOptions>? configure = null) =>
        ResourceServerHost.StartAsync(o =>
        {
            o.Authority = Authority;
            o.Audience = GatehouseApp.ImagesApiClient;
            o.RequireHttpsMetadata = false;
            if (redis)
            {
                o.Revocation.RedisConnection = TestStorage.RedisConnection;
            }
            else
            {
                o.Revocation.ClientId = FeedClient;
                o.Revocation.ClientSecret = FeedSecret;
            }

            configure?.Invoke(o);
        });

    /// <summary>Stops the identity service (its storage stays until disposal).</summary>
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _storage.DisposeAsync();
    }
}

public static class Eventually
{
    /// <summary>
    /// Polls until <paramref name="condition"/> holds; fails after <paramref name="limit"/>. Returns how
    /// long it took, for the test output (the bound is a liveness limit, not a performance goal).
    /// </summary>
    public static async Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        var clock = Stopwatch.StartNew();
        var deadline = limit ?? TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(clock.Elapsed < deadline, $"{what}: still not true after {deadline.TotalSeconds:0} s");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        return clock.Elapsed;
    }

    public static async Task<bool> AnswersAsync(this ResourceServerHost service, string token, HttpStatusCode status, string path = "/whoami")
    {
        using var response = await service.GetAsync(path, token);
        return response.StatusCode == status;
    }
}
