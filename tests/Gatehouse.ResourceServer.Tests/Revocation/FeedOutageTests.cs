using System.Net;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Tokens;

namespace Gatehouse.ResourceServer.Tests.Revocation;

/// <summary>What a service does when the revocation feed goes away: the documented rule, and its health check.</summary>
public sealed class FeedOutageTests
{
    [Fact]
    public async Task FeedUnreachablePastTheGracePeriod_FailsClosed_AndHealthSaysSo()
    {
        await using var identity = await IdentityNode.StartAsync();
        await using var service = await identity.StartServiceAsync(configure: o => o.Revocation.GracePeriod = TimeSpan.FromSeconds(1));
        var token = await identity.TokenAsync();
        await Eventually.HoldsAsync(() => HealthIsAsync(service, "Healthy"), "the feed is reached");
        Assert.True(await service.AnswersAsync(token, HttpStatusCode.OK));

        await identity.StopAsync();

        await Eventually.HoldsAsync(() => HealthIsAsync(service, "Unhealthy"), "health reports the outage");
        await AccessTokenValidationTests.AssertRefusedAsync(await service.GetAsync("/whoami", token), "revocation_feed_unavailable", HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task FeedUnreachablePastTheGracePeriod_FailsOpen_WhenConfigured()
    {
        await using var identity = await IdentityNode.StartAsync();
        await using var service = await identity.StartServiceAsync(configure: o =>
        {
            o.Revocation.GracePeriod = TimeSpan.FromSeconds(1);
            o.Revocation.OutageMode = FeedOutageMode.FailOpen;
        });
        var token = await identity.TokenAsync();
        await Eventually.HoldsAsync(() => HealthIsAsync(service, "Healthy"), "the feed is reached");

        await identity.StopAsync();

        await Eventually.HoldsAsync(() => HealthIsAsync(service, "Unhealthy"), "health reports the outage");
        Assert.True(await service.AnswersAsync(token, HttpStatusCode.OK));
    }

    [Fact]
    public async Task FeedUnreachableWithinTheGracePeriod_IsDegraded_AndTokensPass()
    {
        await using var identity = await IdentityNode.StartAsync();
        await using var service = await identity.StartServiceAsync(configure: o => o.Revocation.GracePeriod = TimeSpan.FromMinutes(10));
        var token = await identity.TokenAsync();
        await Eventually.HoldsAsync(() => HealthIsAsync(service, "Healthy"), "the feed is reached");
        Assert.True(await service.AnswersAsync(token, HttpStatusCode.OK));

        await identity.StopAsync();

        await Eventually.HoldsAsync(() => HealthIsAsync(service, "Degraded"), "health reports the outage as degraded");
        Assert.True(await service.AnswersAsync(token, HttpStatusCode.OK));
    }

    private static async Task<bool> HealthIsAsync(ResourceServerHost service, string status)
    {
        using var response = await service.Client.GetAsync("/health", TestContext.Current.CancellationToken);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken) == status;
    }
}
