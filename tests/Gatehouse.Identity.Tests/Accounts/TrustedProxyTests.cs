using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>Per-IP limits on a real socket: the client IP comes from X-Forwarded-For only when the proxy is trusted.</summary>
public sealed class TrustedProxyTests
{
    private static GatehouseApp Start(TestStorage storage, bool trustLoopback)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gatehouse:Accounts:RateLimits:PerIpPermits"] = "2",
            ["Gatehouse:Accounts:RateLimits:Window"] = "00:10:00",
            ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
        };
        if (trustLoopback)
        {
            settings["Gatehouse:Accounts:TrustedProxies:0"] = "127.0.0.1";
        }

        var app = new GatehouseApp(storage, settings);
        app.UseKestrel(0);
        app.StartServer();
        return app;
    }

    private static async Task<HttpStatusCode> SignInFromAsync(HttpClient http, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/sign-in")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { email = AccountApi.NewEmail(), password = "some-password-123" }),
        };
        request.Headers.Add("X-Client-Id", GatehouseApp.WebAppClient);
        request.Headers.Add("X-Client-Secret", GatehouseApp.WebAppSecret);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task BehindATrustedProxy_EachForwardedClientHasItsOwnLimit()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = Start(storage, trustLoopback: true);
        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };

        Assert.Equal(HttpStatusCode.Unauthorized, await SignInFromAsync(http, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInFromAsync(http, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInFromAsync(http, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInFromAsync(http, "198.51.100.20"));
    }

    [Fact]
    public async Task WithoutATrustedProxy_ForwardedForIsIgnored()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = Start(storage, trustLoopback: false);
        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };

        Assert.Equal(HttpStatusCode.Unauthorized, await SignInFromAsync(http, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInFromAsync(http, "198.51.100.20"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInFromAsync(http, "192.0.2.99"));
    }
}
