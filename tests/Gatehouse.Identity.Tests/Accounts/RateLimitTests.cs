using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>A node whose limits are low enough to reach; its Redis counters have keys of their own.</summary>
public sealed class LowPerIpLimitFixture : GatehouseFixture
{
    protected override IReadOnlyDictionary<string, string?> Overrides => new Dictionary<string, string?>
    {
        ["Gatehouse:Accounts:RateLimits:PerIpPermits"] = "5",
        ["Gatehouse:Accounts:RateLimits:PerAccountPermits"] = "1000",
        ["Gatehouse:Accounts:RateLimits:Window"] = "00:10:00",
        ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
    };
}

public sealed class LowPerAccountLimitFixture : GatehouseFixture
{
    protected override IReadOnlyDictionary<string, string?> Overrides => new Dictionary<string, string?>
    {
        ["Gatehouse:Accounts:RateLimits:PerIpPermits"] = "1000",
        ["Gatehouse:Accounts:RateLimits:PerAccountPermits"] = "3",
        ["Gatehouse:Accounts:RateLimits:Window"] = "00:10:00",
        ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
    };
}

public sealed class PerIpRateLimitTests(LowPerIpLimitFixture fixture) : IClassFixture<LowPerIpLimitFixture>
{
    [Fact]
    public async Task CredentialEndpoints_BeyondThePerIpLimit_Answer429WithRetryAfter()
    {
        var api = new AccountApi(fixture.App.CreateClient());
        for (var i = 0; i < 5; i++)
        {
            using var allowed = await api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = "some-password-123" });
            Assert.Equal(HttpStatusCode.Unauthorized, allowed.StatusCode);
        }

        using var limited = await api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = "some-password-123" });

        Assert.Equal("too_many_requests", await AccountApi.ProblemCodeAsync(limited, HttpStatusCode.TooManyRequests));
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 600);

        // Every credential-guessing endpoint counts against the same per-IP limit, the email change's included.
        foreach (var path in new[]
        {
            "/auth/sign-up", "/auth/send-code", "/auth/confirm-email", "/auth/reset-password", "/auth/confirm-reset",
            "/auth/change-email", "/auth/confirm-email-change",
        })
        {
            using var other = await api.PostAsync(path, new { email = AccountApi.NewEmail() });
            Assert.Equal("too_many_requests", await AccountApi.ProblemCodeAsync(other, HttpStatusCode.TooManyRequests));
        }

        // Refresh is not a credential-guessing endpoint and stays open.
        using var refresh = await api.PostAsync("/auth/refresh-tokens", new { refresh_token = "unknown-token" });
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
    }
}

public sealed class PerAccountRateLimitTests(LowPerAccountLimitFixture fixture) : IClassFixture<LowPerAccountLimitFixture>
{
    [Fact]
    public async Task SignIn_BeyondThePerAccountLimit_Answers429_WhileOtherAccountsGoOn()
    {
        var api = new AccountApi(fixture.App.CreateClient());
        var email = AccountApi.NewEmail();
        for (var i = 0; i < 3; i++)
        {
            using var allowed = await api.PostAsync("/auth/sign-in", new { email, password = "some-password-123" });
            Assert.Equal(HttpStatusCode.Unauthorized, allowed.StatusCode);
        }

        // The same account in other spelling is the same account.
        using var limited = await api.PostAsync("/auth/sign-in", new { email = email.ToUpperInvariant(), password = "some-password-123" });
        Assert.Equal("too_many_requests", await AccountApi.ProblemCodeAsync(limited, HttpStatusCode.TooManyRequests));
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);

        using var other = await api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = "some-password-123" });
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
    }

    [Fact]
    public async Task EmailChange_BeyondThePerAccountLimit_Answers429_ForTheAddressAndForTheFlow()
    {
        var api = new AccountApi(fixture.App.CreateClient());
        var newEmail = AccountApi.NewEmail();
        var flow = Guid.NewGuid().ToString();
        for (var i = 0; i < 3; i++)
        {
            // No user token: refused after the request has counted.
            using var start = await api.PostAsync("/auth/change-email", new { new_email = newEmail, password = "some-password-123" });
            Assert.Equal(HttpStatusCode.Unauthorized, start.StatusCode);
            using var confirm = await api.PostAsync("/auth/confirm-email-change", new { flow_id = flow, code = "123456" });
            Assert.Equal(HttpStatusCode.Unauthorized, confirm.StatusCode);
        }

        using var limitedStart = await api.PostAsync("/auth/change-email", new { new_email = newEmail, password = "some-password-123" });
        Assert.Equal("too_many_requests", await AccountApi.ProblemCodeAsync(limitedStart, HttpStatusCode.TooManyRequests));
        using var limitedConfirm = await api.PostAsync("/auth/confirm-email-change", new { flow_id = flow, code = "123456" });
        Assert.Equal("too_many_requests", await AccountApi.ProblemCodeAsync(limitedConfirm, HttpStatusCode.TooManyRequests));
    }
}
