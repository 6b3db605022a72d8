using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Health;

public sealed class HealthTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private readonly HttpClient _http = fixture.App.CreateClient();

    [Fact]
    public async Task Live_AnswersHealthy()
    {
        using var response = await _http.GetAsync("/health/live", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", (await response.ReadJsonAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_ChecksTheDatabase_AndRedisWhenConfigured()
    {
        using var response = await _http.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        var report = await response.ReadJsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = report.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null, checks.TryGetProperty("redis", out var redis));
        if (TestStorage.UsesRealServers)
        {
            Assert.Equal("Healthy", redis.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Ready_WithRedisUnreachable_AnswersUnavailable()
    {
        await using var storage = await TestStorage.CreateAsync();
        // Port 1 on loopback: nothing listens there, so every connection is refused at once.
        await using var app = new GatehouseApp(storage, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = "127.0.0.1:1,connectTimeout=500,syncTimeout=500,asyncTimeout=500",
        });

        using var response = await app.CreateClient().GetAsync("/health/ready", TestContext.Current.CancellationToken);
        var report = await response.ReadJsonAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", report.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }
}
