using System.Net;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Accounts;

public sealed class SignInTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "plum-orbit-canyon-4471";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    [Fact]
    public async Task SignIn_WithTheRightPassword_ReturnsAnAt_JwtThatIntrospectionReportsActive()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);

        var pair = await _api.SignInAsync(email, Password);

        var jwt = ProtocolClient.Read(pair.AccessToken);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal(user.Id.ToString(), jwt.Subject);
        Assert.Equal(GatehouseApp.WebAppClient, jwt.GetClaim("client_id").Value);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.False(string.IsNullOrEmpty(jwt.GetClaim("sid").Value));
        Assert.Contains("images-api", jwt.Audiences);
        Assert.True(jwt.ValidTo - jwt.IssuedAt <= TimeSpan.FromMinutes(5));
        Assert.True(await _api.Http.IsActiveAsync(pair.AccessToken));
    }

    [Fact]
    public async Task SignIn_IssuesTokensWithTheSameIssuerAndKeysAsTheTokenEndpoint()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var pair = await _api.SignInAsync(email, Password);
        var serviceToken = await _api.Http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        var user = ProtocolClient.Read(pair.AccessToken);
        var service = ProtocolClient.Read(serviceToken);
        Assert.Equal(service.Issuer, user.Issuer);
        Assert.Equal(service.Kid, user.Kid);
        Assert.Equal(service.Alg, user.Alg);
    }

    [Fact]
    public async Task SignIn_WithAWrongPasswordOrAnUnknownEmail_GivesTheSameAnswer()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);

        using var wrongPassword = await _api.PostAsync("/auth/sign-in", new { email, password = "not-the-password-1" });
        using var unknownEmail = await _api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = "not-the-password-1" });

        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(wrongPassword, HttpStatusCode.Unauthorized));
        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(unknownEmail, HttpStatusCode.Unauthorized));
        Assert.Equal(await AccountApi.WithoutTraceIdAsync(wrongPassword), await AccountApi.WithoutTraceIdAsync(unknownEmail));
    }

    [Fact]
    public async Task SignIn_WithWrongPassword_CountsTowardsLockout_WithGrowingWaits()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await _api.PostAsync("/auth/sign-in", new { email, password = "wrong-password-" + i });
            Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(wrong, HttpStatusCode.Unauthorized));
        }

        // Locked: even the right password is refused, with a Retry-After of about the first wait.
        using var locked = await _api.PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal("account_locked", await AccountApi.ProblemCodeAsync(locked, HttpStatusCode.Forbidden));
        var firstWait = locked.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(firstWait.TotalSeconds, 1, 60);

        // The lock runs out (moved into the past here); five more failures lock it for twice as long.
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Data.GatehouseDbContext>();
            await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlAsync(db.Database,
                $"UPDATE user_credentials SET \"LockoutEnd\" = {DateTimeOffset.UtcNow.AddSeconds(-1)} WHERE \"UserId\" = {user.Id}",
                TestContext.Current.CancellationToken);
        }

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await _api.PostAsync("/auth/sign-in", new { email, password = "wrong-again-" + i });
            Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(wrong, HttpStatusCode.Unauthorized));
        }

        using var lockedAgain = await _api.PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal("account_locked", await AccountApi.ProblemCodeAsync(lockedAgain, HttpStatusCode.Forbidden));
        Assert.InRange(lockedAgain.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 61, 120);

        var lockouts = await AccountApi.AuditAsync(fixture.App, user.Id, AuditEventTypes.Lockout);
        Assert.Equal(2, lockouts.Count);
    }

    [Fact]
    public async Task SignIn_ForAnAddressWithoutAccount_IsLockedAfterTheSameFailures_WithTheSameAnswer()
    {
        var known = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, known, Password);
        var unknown = AccountApi.NewEmail();

        var answers = new Dictionary<string, (string Body, TimeSpan? RetryAfter)>();
        foreach (var email in new[] { known, unknown })
        {
            for (var i = 0; i < 5; i++)
            {
                using var wrong = await _api.PostAsync("/auth/sign-in", new { email, password = "wrong-password-" + i });
                Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(wrong, HttpStatusCode.Unauthorized));
            }

            using var locked = await _api.PostAsync("/auth/sign-in", new { email, password = Password });
            Assert.Equal("account_locked", await AccountApi.ProblemCodeAsync(locked, HttpStatusCode.Forbidden));
            answers[email] = (await AccountApi.WithoutTraceIdAsync(locked), locked.Headers.RetryAfter?.Delta);
        }

        Assert.Equal(answers[known].Body, answers[unknown].Body);
        Assert.NotNull(answers[unknown].RetryAfter);
        Assert.InRange(answers[unknown].RetryAfter!.Value.TotalSeconds, answers[known].RetryAfter!.Value.TotalSeconds - 5, answers[known].RetryAfter!.Value.TotalSeconds + 5);
    }

    [Fact]
    public async Task SignIn_ForAnUnknownAddress_CountsFailuresOfEveryClient_AndIgnoresLetterCase()
    {
        var email = AccountApi.NewEmail();
        var mobile = new AccountApi(_api.Http, GatehouseApp.MobileAppClient, secret: null);
        for (var i = 0; i < 5; i++)
        {
            var api = i % 2 == 0 ? _api : mobile;
            using var wrong = await api.PostAsync("/auth/sign-in", new { email = i == 4 ? email.ToUpperInvariant() : email, password = "wrong-password-" + i });
            Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(wrong, HttpStatusCode.Unauthorized));
        }

        using var locked = await mobile.PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal("account_locked", await AccountApi.ProblemCodeAsync(locked, HttpStatusCode.Forbidden));
    }

    [Fact]
    public async Task SignIn_IsAudited_WithReasonClientAndUser()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        using var wrong = await _api.PostAsync("/auth/sign-in", new { email, password = "wrong-password-x" });
        await _api.SignInAsync(email, Password);

        var events = await AccountApi.AuditAsync(fixture.App, user.Id);

        Assert.Contains(events, e => e.Type == AuditEventTypes.SignInFailed && e.Reason == "wrong_password" && e.ClientId == GatehouseApp.WebAppClient);
        Assert.Contains(events, e => e.Type == AuditEventTypes.SignInSucceeded && e.ClientId == GatehouseApp.WebAppClient);
    }

    [Fact]
    public async Task SignIn_FromAPublicClient_NeedsNoSecret()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var mobile = new AccountApi(_api.Http, GatehouseApp.MobileAppClient, secret: null);

        var pair = await mobile.SignInAsync(email, Password);

        Assert.Equal(GatehouseApp.MobileAppClient, ProtocolClient.Read(pair.AccessToken).GetClaim("client_id").Value);
    }

    [Theory]
    [InlineData(GatehouseApp.WebAppClient, "wrong-secret-000000000")]
    [InlineData(GatehouseApp.WebAppClient, null)]
    [InlineData(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret)]
    [InlineData("no-such-client", "whatever-secret-0000")]
    public async Task Calls_FromAClientThatFailsAuthenticationOrLacksThePermission_AreInvalidClient(string clientId, string? secret)
    {
        var api = new AccountApi(_api.Http, clientId, secret);

        using var response = await api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = Password });

        Assert.Equal("invalid_client", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Unauthorized));
    }
}
