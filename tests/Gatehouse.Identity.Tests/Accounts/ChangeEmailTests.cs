using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Distributed;

namespace Gatehouse.Identity.Tests.Accounts;

public sealed class ChangeEmailTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "harbour-thistle-quartz-4471";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    private static async Task<string> StartAsync(AccountApi api, string bearer, string newEmail, string password = Password)
    {
        using var response = await api.PostAsync("/auth/change-email", new { new_email = newEmail, password }, bearer);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("flow_id").GetString()!;
    }

    private static async Task<string> CodeFromMailAsync(string email) =>
        TestMailbox.ReadCode(await TestMailbox.Shared.WaitForMessageAsync(email, "email change code"));

    /// <summary>A started change: a new user, signed in, asked to move to a fresh address whose code has arrived.</summary>
    private sealed record Change(GatehouseUser User, string Email, string NewEmail, Pair Pair, string Flow, string Code);

    private async Task<Change> BeginAsync(AccountApi? api = null, WebApplicationFactory<Program>? app = null)
    {
        api ??= _api;
        var email = AccountApi.NewEmail();
        var newEmail = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(app ?? fixture.App, email, Password);
        var pair = await api.SignInAsync(email, Password);
        var flow = await StartAsync(api, pair.AccessToken, newEmail);
        return new Change(user, email, newEmail, pair, flow, await CodeFromMailAsync(newEmail));
    }

    private static Task<HttpResponseMessage> ConfirmAsync(AccountApi api, string flow, string code, string? bearer) =>
        api.PostAsync("/auth/confirm-email-change", new { flow_id = flow, code }, bearer);

    private async Task<GatehouseUser> FindAsync(Guid id)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>().FindByIdAsync(id.ToString()))!;
    }

    [Fact]
    public async Task ChangeEmail_WithTheCodeFromTheNewAddress_MovesTheAccount_EndsEverySession_AndTellsTheOldAddress()
    {
        var (user, oldEmail, newEmail, here, flow, code) = await BeginAsync();
        var elsewhere = await _api.SignInAsync(oldEmail, Password);
        Assert.Equal(oldEmail, (await FindAsync(user.Id)).Email);
        Assert.Empty(TestMailbox.Shared.MessagesTo(oldEmail));

        using var confirmed = await ConfirmAsync(_api, flow, code, here.AccessToken);
        var fresh = await AccountApi.ReadPairAsync(confirmed);

        var stored = await FindAsync(user.Id);
        Assert.Equal(newEmail, stored.Email);
        Assert.Equal(newEmail.ToUpperInvariant(), stored.NormalizedEmail);
        Assert.Equal(newEmail, stored.UserName);
        Assert.True(stored.EmailConfirmed);
        Assert.Equal(user.CredentialVersion + 1, stored.CredentialVersion);
        Assert.NotEqual(user.SecurityStamp, stored.SecurityStamp);

        // Every session from before ends; the fresh pair works.
        Assert.False(await _api.Http.IsActiveAsync(here.AccessToken));
        Assert.False(await _api.Http.IsActiveAsync(elsewhere.AccessToken));
        foreach (var old in new[] { here.RefreshToken, elsewhere.RefreshToken })
        {
            using var refresh = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = old });
            Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        }

        Assert.True(await _api.Http.IsActiveAsync(fresh.AccessToken));
        await _api.RefreshAsync(fresh.RefreshToken);

        await _api.SignInAsync(newEmail, Password);
        using var withOld = await _api.PostAsync("/auth/sign-in", new { email = oldEmail, password = Password });
        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(withOld, HttpStatusCode.Unauthorized));

        var notice = await TestMailbox.Shared.WaitForMessageAsync(oldEmail, "email address was changed");
        Assert.Contains(AccountMailerMask(newEmail), notice.TextBody);
        Assert.DoesNotContain(newEmail, notice.TextBody, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("If this was not you", notice.TextBody);
        Assert.Contains("<p>", notice.HtmlBody);

        var events = await AccountApi.AuditAsync(fixture.App, user.Id);
        var requested = Assert.Single(events, e => e.Type == AuditEventTypes.EmailChangeRequested);
        Assert.Equal(GatehouseApp.WebAppClient, requested.ClientId);
        // The in-memory test server has no remote address; the browser test checks that one is recorded.
        Assert.Null(requested.Reason);
        Assert.Contains(events, e => e.Type == AuditEventTypes.CodeSent && e.Reason == "change_email");
        Assert.Contains(events, e => e.Type == AuditEventTypes.CodeUsed && e.Reason == "change_email");
        var changed = Assert.Single(events, e => e.Type == AuditEventTypes.EmailChanged);
        Assert.Equal(GatehouseApp.WebAppClient, changed.ClientId);
        Assert.True(changed.OccurredAt >= requested.OccurredAt);
        Assert.All(events, e => Assert.DoesNotContain(newEmail, $"{e.Type} {e.Reason}", StringComparison.OrdinalIgnoreCase));

        // The flow is finished.
        using var again = await ConfirmAsync(_api, flow, code, fresh.AccessToken);
        Assert.Equal("invalid_flow", await AccountApi.ProblemCodeAsync(again, HttpStatusCode.BadRequest));
    }

    private static string AccountMailerMask(string email) => email[0] + "***" + email[email.IndexOf('@', StringComparison.Ordinal)..];

    [Fact]
    public async Task ChangeEmail_ToATakenAddress_AnswersAlike_SendsNoCode_AndTellsItsOwner()
    {
        var email = AccountApi.NewEmail();
        var takenEmail = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        await AccountApi.CreateUserAsync(fixture.App, takenEmail, "another-long-passphrase-1");
        var pair = await _api.SignInAsync(email, Password);

        using var taken = await _api.PostAsync("/auth/change-email", new { new_email = takenEmail, password = Password }, pair.AccessToken);
        using var free = await _api.PostAsync("/auth/change-email", new { new_email = AccountApi.NewEmail(), password = Password }, pair.AccessToken);

        Assert.Equal(HttpStatusCode.Accepted, taken.StatusCode);
        Assert.Equal(free.StatusCode, taken.StatusCode);
        var takenBody = JsonDocument.Parse(await taken.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var freeBody = JsonDocument.Parse(await free.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(freeBody.EnumerateObject().Select(p => p.Name), takenBody.EnumerateObject().Select(p => p.Name));

        var notice = await TestMailbox.Shared.WaitForMessageAsync(takenEmail, "tried to move");
        Assert.DoesNotContain("code", notice.Subject, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(TestMailbox.Shared.MessagesTo(takenEmail), m => (m.Subject ?? "").Contains("code", StringComparison.OrdinalIgnoreCase));

        // The flow of a taken address fails like a wrong code does, and changes nothing.
        using var confirm = await ConfirmAsync(_api, takenBody.GetProperty("flow_id").GetString()!, "123456", pair.AccessToken);
        Assert.Equal("invalid_code", await AccountApi.ProblemCodeAsync(confirm, HttpStatusCode.BadRequest));
        Assert.Equal(email, (await FindAsync(user.Id)).Email);
        Assert.True(await _api.Http.IsActiveAsync(pair.AccessToken));
        Assert.Contains(await AccountApi.AuditAsync(fixture.App, user.Id, AuditEventTypes.EmailChangeRequested), e => e.Reason == "email_taken");
    }

    [Fact]
    public async Task ChangeEmail_WithAWrongPassword_IsRefused_CountsTowardsLockout_AndSendsNothing()
    {
        var email = AccountApi.NewEmail();
        var newEmail = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var pair = await _api.SignInAsync(email, Password);

        using var response = await _api.PostAsync("/auth/change-email", new { new_email = newEmail, password = "not-my-password-1" }, pair.AccessToken);

        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Unauthorized));
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        Assert.Equal(1, await db.Users.Where(u => u.Id == user.Id).Select(u => u.AccessFailedCount).SingleAsync(TestContext.Current.CancellationToken));
        Assert.Contains(await AccountApi.AuditAsync(fixture.App, user.Id, AuditEventTypes.EmailChangeFailed), e => e.Reason == "wrong_password");
        Assert.Empty(TestMailbox.Shared.MessagesTo(newEmail));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChangeEmail_ToTheCurrentAddress_NamesNewEmail(bool otherCase)
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var pair = await _api.SignInAsync(email, Password);

        using var response = await _api.PostAsync("/auth/change-email",
            new { new_email = otherCase ? email.ToUpperInvariant() : email, password = Password }, pair.AccessToken);

        Assert.Equal("invalid_request", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.BadRequest));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("new_email", out _));
    }

    [Fact]
    public async Task ChangeEmail_ToAnAddressThatCannotBeAUserName_NamesNewEmail()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var pair = await _api.SignInAsync(email, Password);

        using var response = await _api.PostAsync("/auth/change-email", new { new_email = "jürgen@example.com", password = Password }, pair.AccessToken);

        Assert.Equal("invalid_request", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.BadRequest));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("new_email", out _));
        Assert.Equal(email, (await FindAsync(user.Id)).Email);
    }

    [Fact]
    public async Task ConfirmEmailChange_CountsWrongCodes_UntilTheCodeIsVoid_AndSendCodeIssuesANewOne()
    {
        var (user, email, newEmail, pair, flow, code) = await BeginAsync();
        var wrong = code == "000000" ? "111111" : "000000";

        using (var first = await ConfirmAsync(_api, flow, wrong, pair.AccessToken))
        {
            Assert.Equal("invalid_code", await AccountApi.ProblemCodeAsync(first, HttpStatusCode.BadRequest));
        }

        var codes = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var failed = await ConfirmAsync(_api, flow, wrong, pair.AccessToken);
            codes.Add(await AccountApi.ProblemCodeAsync(failed, HttpStatusCode.BadRequest));
        }

        Assert.Contains("code_attempts_exceeded", codes);
        using (var right = await ConfirmAsync(_api, flow, code, pair.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, right.StatusCode);
        }

        Assert.Equal(email, (await FindAsync(user.Id)).Email);
        Assert.Contains(await AccountApi.AuditAsync(fixture.App, user.Id, AuditEventTypes.CodeFailed), e => e.Reason == "invalid_code");

        using (var resent = await _api.PostAsync("/auth/send-code", new { flow_id = flow }))
        {
            Assert.Equal(HttpStatusCode.Accepted, resent.StatusCode);
        }

        using var confirmed = await ConfirmAsync(_api, flow, await CodeFromMailAsync(newEmail), pair.AccessToken);
        await AccountApi.ReadPairAsync(confirmed);
        Assert.Equal(newEmail, (await FindAsync(user.Id)).Email);
    }

    [Fact]
    public async Task ConfirmEmailChange_IsOnlyForTheUserAndClientThatStartedIt()
    {
        var (_, _, _, pair, flow, code) = await BeginAsync();
        var other = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, other, Password);
        var otherPair = await _api.SignInAsync(other, Password);

        using var otherUser = await ConfirmAsync(_api, flow, code, otherPair.AccessToken);
        Assert.Equal("invalid_flow", await AccountApi.ProblemCodeAsync(otherUser, HttpStatusCode.BadRequest));

        using var noToken = await ConfirmAsync(_api, flow, code, bearer: null);
        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(noToken, HttpStatusCode.Unauthorized));

        // A sign-up step does not take an email-change flow.
        using var asSignUp = await _api.PostAsync("/auth/confirm-email", new { flow_id = flow, code });
        Assert.Equal("invalid_flow", await AccountApi.ProblemCodeAsync(asSignUp, HttpStatusCode.BadRequest));

        using var confirmed = await ConfirmAsync(_api, flow, code, pair.AccessToken);
        await AccountApi.ReadPairAsync(confirmed);
    }

    [Fact]
    public async Task ConfirmEmailChange_WhenTheAddressWasTakenMeanwhile_Is409_AndChangesNothing()
    {
        var (user, email, newEmail, pair, flow, code) = await BeginAsync();
        await AccountApi.CreateUserAsync(fixture.App, newEmail, "another-long-passphrase-1");

        using var response = await ConfirmAsync(_api, flow, code, pair.AccessToken);

        Assert.Equal("email_taken", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Conflict));
        var stored = await FindAsync(user.Id);
        Assert.Equal(email, stored.Email);
        Assert.Equal(email, stored.UserName);
        Assert.Equal(user.CredentialVersion, stored.CredentialVersion);
        Assert.True(await _api.Http.IsActiveAsync(pair.AccessToken));
        await _api.SignInAsync(email, Password);
        Assert.Empty(TestMailbox.Shared.MessagesTo(email));
    }

    [Fact]
    public async Task ConfirmEmailChange_WhenAnotherAccountTakesTheAddressDuringTheUpdate_Is409_AndChangesNothing()
    {
        // The race Identity's own duplicate check cannot see: the address is free when the account is
        // validated, and taken before its row is written. A validator after Identity's creates the other
        // account at exactly that moment, so the unique user-name index is what refuses the change.
        var race = new WhileUserIsWritten();
        await using var node = WhileUserIsWritten.Node(fixture.App, race);
        var api = new AccountApi(node.CreateClient());
        var (user, email, newEmail, pair, flow, code) = await BeginAsync(api, node);
        GatehouseUser? taker = null;

        race.Arm(moving => moving.Email == newEmail, async () => taker = await AccountApi.CreateUserAsync(node, newEmail, "another-long-passphrase-1"));
        using var response = await ConfirmAsync(api, flow, code, pair.AccessToken);

        Assert.Equal("email_taken", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Conflict));
        Assert.NotNull(taker);
        var stored = await FindAsync(user.Id);
        Assert.Equal(email, stored.Email);
        Assert.Equal(email, stored.UserName);
        Assert.Equal(user.CredentialVersion, stored.CredentialVersion);
        Assert.Equal(newEmail, (await FindAsync(taker.Id)).Email);
        Assert.True(await api.Http.IsActiveAsync(pair.AccessToken));
        await api.SignInAsync(email, Password);
        Assert.Contains(await AccountApi.AuditAsync(node, user.Id, AuditEventTypes.EmailChangeFailed), e => e.Reason == "email_taken");
    }

    [Fact]
    public async Task ChangeEmail_WithoutAUserToken_IsInvalidToken_AndStartsNothing()
    {
        var newEmail = AccountApi.NewEmail();
        using var response = await _api.PostAsync("/auth/change-email", new { new_email = newEmail, password = Password });

        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Unauthorized));
        Assert.Empty(TestMailbox.Shared.MessagesTo(newEmail));
    }

    [Fact]
    public async Task ConfirmEmailChange_AfterTheFlowExpired_IsInvalidFlow()
    {
        var clock = new ManualClock();
        await using var node = fixture.App.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
            services.AddSingleton(provider => new AccountFlowStore(
                provider.GetRequiredService<IDistributedCache>(), provider.GetRequiredService<IDataProtectionProvider>(), clock))));
        var api = new AccountApi(node.CreateClient());
        var (user, email, _, pair, flow, code) = await BeginAsync(api, node);

        clock.Advance(TimeSpan.FromMinutes(11));
        using var response = await ConfirmAsync(api, flow, code, pair.AccessToken);

        Assert.Equal("invalid_flow", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.BadRequest));
        Assert.Equal(email, (await FindAsync(user.Id)).Email);
    }
}
