using System.Net;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Accounts;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>A node whose per-user limit is low enough to reach in a test; its Redis counters have keys of their own.</summary>
public sealed class UsersCheckPasswordFixture : AdminFixture
{
    public const int PerUserPermits = 6;

    protected override IReadOnlyDictionary<string, string?>? Overrides => new Dictionary<string, string?>(Settings())
    {
        ["Gatehouse:Accounts:RateLimits:PerAccountPermits"] = PerUserPermits.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Gatehouse:Accounts:RateLimits:Window"] = "00:10:00",
        ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
    };
}

/// <summary>POST /admin/users/{id}/check-password: a credential use like sign-in, answered with valid true or false.</summary>
public sealed class UsersCheckPasswordTests(UsersCheckPasswordFixture fixture) : IClassFixture<UsersCheckPasswordFixture>
{
    private const string Password = "plum-orbit-canyon-4471";
    private readonly AdminApi _admin = new(fixture.App.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);

    private async Task<bool> CheckAsync(Guid id, string password)
    {
        var answer = await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/check-password", new { password }), HttpStatusCode.OK);
        return answer.GetProperty("valid").GetBoolean();
    }

    [Fact]
    public async Task CheckPassword_RightAndWrong_AnswersValid_AndAuditsEachUse()
    {
        var id = await _admin.CreateUserAsync(AccountApi.NewEmail(), Password);

        Assert.True(await CheckAsync(id, Password));
        Assert.False(await CheckAsync(id, Password + "x"));

        var used = Assert.Single(await AccountApi.AuditAsync(fixture.App, id, AuditEventTypes.PasswordChecked));
        Assert.Equal(AdminFixture.UsersAdmin, used.ClientId);
        var failed = Assert.Single(await AccountApi.AuditAsync(fixture.App, id, AuditEventTypes.PasswordCheckFailed));
        Assert.Equal("wrong_password", failed.Reason);
    }

    [Fact]
    public async Task CheckPassword_WrongRepeatedly_LocksTheAccountLikeSignIn()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);

        for (var i = 0; i < 5; i++)
        {
            Assert.False(await CheckAsync(id, "not the password " + i));
        }

        using var locked = await _admin.PostAsync($"/admin/users/{id}/check-password", new { password = Password });
        Assert.Equal("account_locked", await AccountApi.ProblemCodeAsync(locked, HttpStatusCode.Forbidden));
        var user = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users/{id}"), HttpStatusCode.OK);
        Assert.Equal(System.Text.Json.JsonValueKind.String, user.GetProperty("locked_until").ValueKind);
        using var signIn = await new AccountApi(fixture.App.CreateClient()).PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal("account_locked", await AccountApi.ProblemCodeAsync(signIn, HttpStatusCode.Forbidden));
    }

    [Fact]
    public async Task CheckPassword_ForAnUnknownUser_AnswersAsForAWrongPassword()
    {
        Assert.False(await CheckAsync(Guid.NewGuid(), Password));
    }

    [Fact]
    public async Task CheckPassword_OfABannedUser_IsNotValid()
    {
        var id = await _admin.CreateUserAsync(AccountApi.NewEmail(), Password);
        await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/ban", new { reason = "fraud" }), HttpStatusCode.OK);

        Assert.False(await CheckAsync(id, Password));
    }

    [Fact]
    public async Task CheckPassword_BeyondThePerUserLimit_Answers429WithRetryAfter()
    {
        var id = await _admin.CreateUserAsync(AccountApi.NewEmail(), Password);
        for (var i = 0; i < UsersCheckPasswordFixture.PerUserPermits; i++)
        {
            Assert.True(await CheckAsync(id, Password));
        }

        using var limited = await _admin.PostAsync($"/admin/users/{id}/check-password", new { password = Password });

        Assert.Equal("too_many_requests", await AccountApi.ProblemCodeAsync(limited, HttpStatusCode.TooManyRequests));
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Theory]
    [InlineData("{}", "password")]
    [InlineData("{\"password\":\"\"}", "password")]
    [InlineData("{\"password\":123}", "password")]
    [InlineData("{\"password\":\"a\",\"password\":\"b\"}", "password")]
    public async Task CheckPassword_WithABadBody_IsA400NamingTheField(string json, string field)
    {
        var id = await _admin.CreateUserAsync(AccountApi.NewEmail(), Password);

        using var response = await _admin.SendAsync(HttpMethod.Post, $"/admin/users/{id}/check-password", rawJson: json);

        await AdminApi.ExpectNamedAsync(response, field);
    }
}
