using System.Net;
using System.Net.Http.Headers;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Accounts;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Security;

/// <summary>
/// One node on a real socket behind a trusted proxy (loopback), so each test speaks from addresses of
/// its own through <c>X-Forwarded-For</c>: 3 free failures per (client, IP), 6 per IP, then waits of a minute and more.
/// </summary>
public sealed class ThrottleFixture : IAsyncLifetime
{
    private TestStorage? _storage;

    public GatehouseApp App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _storage = await TestStorage.CreateAsync();
        App = new GatehouseApp(_storage, new Dictionary<string, string?>
        {
            ["Gatehouse:ClientAuthentication:FreeFailures"] = "3",
            ["Gatehouse:ClientAuthentication:PerIpFreeFailures"] = "6",
            ["Gatehouse:ClientAuthentication:FirstWait"] = "00:01:00",
            ["Gatehouse:ClientAuthentication:MaxWait"] = "00:10:00",
            ["Gatehouse:ClientAuthentication:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
            ["Gatehouse:Accounts:TrustedProxies:0"] = "127.0.0.1",
        });
        App.UseKestrel(0);
        App.StartServer();
        Http = new HttpClient { BaseAddress = App.ClientOptions.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        await _storage!.DisposeAsync();
    }
}

public sealed class ClientAuthenticationThrottleTests(ThrottleFixture fixture) : IClassFixture<ThrottleFixture>
{
    private static int _lastAddress;

    private readonly HttpClient _http = fixture.Http;

    /// <summary>A documentation address (RFC 5737) no other test uses.</summary>
    private static string NewAddress()
    {
        var n = Interlocked.Increment(ref _lastAddress);
        return $"198.51.{100 + n / 250}.{n % 250 + 1}";
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string from, AuthenticationHeaderValue? authorization, params (string Name, string Value)[] form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Name, p.Value))) };
        request.Headers.Authorization = authorization;
        request.Headers.Add("X-Forwarded-For", from);
        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private Task<HttpResponseMessage> TokenAsync(string from, string clientId, string secret) =>
        PostAsync("/connect/token", from, ProtocolClient.Basic(clientId, secret), ("grant_type", "client_credentials"));

    private static async Task AssertTooManyRequestsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var wait = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(wait);
        Assert.InRange(wait.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Assert.Equal("too_many_requests", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task TokenEndpoint_RepeatedWrongSecrets_GetA429WithRetryAfter_EvenForTheRightSecret()
    {
        var from = NewAddress();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            using var wrong = await TokenAsync(from, GatehouseApp.OrdersClient, "wrong-secret-" + attempt);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal("invalid_client", (await wrong.ReadJsonAsync()).GetProperty("error").GetString());
        }

        using var blocked = await TokenAsync(from, GatehouseApp.OrdersClient, "wrong-secret-5");
        await AssertTooManyRequestsAsync(blocked);

        // The wait holds for the pair whatever is presented: guessing cannot go on by getting it right.
        using var right = await TokenAsync(from, GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
        await AssertTooManyRequestsAsync(right);
    }

    [Fact]
    public async Task TokenEndpoint_GuessingFromOneAddress_DoesNotLockTheRealServiceOutElsewhere()
    {
        var attacker = NewAddress();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            using var _ = await TokenAsync(attacker, GatehouseApp.OrdersClient, "guess-" + attempt);
        }

        using var blocked = await TokenAsync(attacker, GatehouseApp.OrdersClient, "guess-6");
        await AssertTooManyRequestsAsync(blocked);

        using var real = await TokenAsync(NewAddress(), GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
    }

    [Fact]
    public async Task TokenEndpoint_ManyClientIdsFromOneAddress_HitThePerAddressLimit()
    {
        var from = NewAddress();
        for (var attempt = 1; attempt <= 7; attempt++)
        {
            // A different (unknown) client each time: no pair reaches its limit, the address does.
            using var response = await TokenAsync(from, $"no-such-client-{Guid.NewGuid():N}", "secret-of-nobody");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var blocked = await TokenAsync(from, GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
        await AssertTooManyRequestsAsync(blocked);
    }

    [Theory]
    [InlineData("/connect/introspect", GatehouseApp.ImagesApiClient, GatehouseApp.ImagesApiSecret)]
    [InlineData("/connect/revoke", GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret)]
    public async Task IntrospectionAndRevocation_RepeatedWrongSecrets_GetA429(string path, string clientId, string secret)
    {
        var from = NewAddress();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            using var wrong = await PostAsync(path, from, ProtocolClient.Basic(clientId, "wrong-" + attempt), ("token", "x"));
            Assert.Equal("invalid_client", (await wrong.ReadJsonAsync()).GetProperty("error").GetString());
        }

        using var blocked = await PostAsync(path, from, ProtocolClient.Basic(clientId, secret), ("token", "x"));
        await AssertTooManyRequestsAsync(blocked);
    }

    [Fact]
    public async Task AccountApi_RepeatedWrongClientSecrets_GetA429Problem()
    {
        var from = NewAddress();
        async Task<HttpResponseMessage> SignInAsync(string secret)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/sign-in")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { email = AccountApi.NewEmail(), password = "some-password-123" }),
            };
            request.Headers.Add("X-Client-Id", GatehouseApp.WebAppClient);
            request.Headers.Add("X-Client-Secret", secret);
            request.Headers.Add("X-Forwarded-For", from);
            return await _http.SendAsync(request, TestContext.Current.CancellationToken);
        }

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            using var wrong = await SignInAsync("wrong-client-secret-" + attempt);
            Assert.Equal("invalid_client", await AccountApi.ProblemCodeAsync(wrong, HttpStatusCode.Unauthorized));
        }

        using var blocked = await SignInAsync(GatehouseApp.WebAppSecret);
        Assert.Equal("too_many_requests", await AccountApi.ProblemCodeAsync(blocked, HttpStatusCode.TooManyRequests));
        Assert.NotNull(blocked.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task EveryFailedClientAuthentication_IsAuditedOneByOne_AndSuccessesAreCounted()
    {
        var from = NewAddress();
        using (var first = await TokenAsync(from, GatehouseApp.OrdersClient, "wrong-a")) { }
        using (var second = await TokenAsync(from, GatehouseApp.OrdersClient, "wrong-b")) { }
        for (var i = 0; i < 3; i++)
        {
            // The first success takes OpenIddict's path, the next ones the fast path: both are counted.
            using var ok = await TokenAsync(from, GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var failures = await EventsAsync(AuditEventTypes.ClientAuthFailed, from);
        Assert.Equal(2, failures.Count);
        Assert.All(failures, e =>
        {
            Assert.Equal(GatehouseApp.OrdersClient, e.ClientId);
            Assert.Equal("token:invalid_client", e.Reason);
            Assert.Equal(1, e.Count);
        });

        var successes = await EventsAsync(AuditEventTypes.ClientAuthSucceeded, from);
        Assert.Equal(3, successes.Sum(e => e.Count));
        Assert.All(successes, e => Assert.Equal((GatehouseApp.OrdersClient, "token"), (e.ClientId, e.Reason)));
    }

    private async Task<List<AuditEvent>> EventsAsync(string type, string from)
    {
        fixture.App.Services.GetRequiredService<CredentialUseCounter>().Flush();
        var audit = fixture.App.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(TestContext.Current.CancellationToken);
        var events = await audit.QueryAsync(new AuditQuery(Type: type, Limit: 1000), TestContext.Current.CancellationToken);
        return [.. events.Where(e => e.IpAddress == from)];
    }
}

/// <summary>Two nodes sharing Redis: a wait started on one holds on the other from the first attempt there.</summary>
public sealed class ClientAuthenticationBlocksAcrossNodesTests
{
    [Fact]
    public async Task AWaitStartedOnOneNode_RefusesTheCallersFirstAttemptOnAnother()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "nodes share waits only through Redis");
        await using var storage = await TestStorage.CreateAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Gatehouse:ClientAuthentication:FreeFailures"] = "3",
            ["Gatehouse:ClientAuthentication:FirstWait"] = "00:01:00",
            ["Gatehouse:ClientAuthentication:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
            ["Gatehouse:Accounts:TrustedProxies:0"] = "127.0.0.1",
        };
        await using var first = new GatehouseApp(storage, settings);
        await using var second = new GatehouseApp(storage, settings);
        using var firstHttp = Started(first);
        using var secondHttp = Started(second);
        const string From = "203.0.113.77";

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            using var wrong = await TokenAsync(firstHttp, From, "wrong-secret-" + attempt);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var blockedHere = await TokenAsync(firstHttp, From, "wrong-secret-5"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, blockedHere.StatusCode);
        }

        // The other node has seen no failure from this caller; the announcement is all it has to go on.
        HttpStatusCode status;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        do
        {
            using var there = await TokenAsync(secondHttp, From, GatehouseApp.OrdersSecret);
            status = there.StatusCode;
            if (status != HttpStatusCode.TooManyRequests)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        while (status != HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        using var elsewhere = await TokenAsync(secondHttp, "203.0.113.78", GatehouseApp.OrdersSecret);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }

    private static HttpClient Started(GatehouseApp app)
    {
        app.UseKestrel(0);
        app.StartServer();
        return new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
    }

    private static async Task<HttpResponseMessage> TokenAsync(HttpClient http, string from, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = ProtocolClient.Basic(GatehouseApp.OrdersClient, secret);
        request.Headers.Add("X-Forwarded-For", from);
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
