using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Tests.Accounts;

public sealed class SignUpTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "juniper-falcon-marble-6604";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    private async Task<string> StartAsync(string email, string password = Password, string? displayName = null)
    {
        using var response = await _api.PostAsync("/auth/sign-up", new { email, password, display_name = displayName });
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("flow_id").GetString()!;
    }

    private static async Task<string> CodeFromMailAsync(string email) =>
        TestMailbox.ReadCode(await TestMailbox.Shared.WaitForMessageAsync(email, "confirmation code"));

    [Fact]
    public async Task SignUp_ThenConfirmWithTheMailedCode_CreatesAConfirmedUser_AndSignsIn()
    {
        var email = AccountApi.NewEmail();
        var flow = await StartAsync(email, displayName: "Ada Lovelace");
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            Assert.Null(await scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>().FindByEmailAsync(email));
        }

        using var confirmed = await _api.PostAsync("/auth/confirm-email", new { flow_id = flow, code = await CodeFromMailAsync(email) });
        var pair = await AccountApi.ReadPairAsync(confirmed);

        await using var check = fixture.App.Services.CreateAsyncScope();
        var user = await check.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>().FindByEmailAsync(email);
        Assert.NotNull(user);
        Assert.True(user.EmailConfirmed);
        Assert.Equal("Ada Lovelace", user.DisplayName);
        Assert.Equal(UserStatus.Active, user.Status);
        Assert.Equal(user.Id.ToString(), ProtocolClient.Read(pair.AccessToken).Subject);
        Assert.True(await _api.Http.IsActiveAsync(pair.AccessToken));
        await _api.SignInAsync(email, Password);

        var events = await AccountApi.AuditAsync(fixture.App, user.Id);
        Assert.Contains(events, e => e.Type == AuditEventTypes.SignUpCompleted);
        Assert.Contains(events, e => e.Type == AuditEventTypes.CodeUsed && e.Reason == "confirm_email");
    }

    [Fact]
    public async Task SignUp_WithAnApostropheOrAPlusInTheAddress_CreatesTheUser()
    {
        var email = "o'brien+" + AccountApi.NewEmail();
        var flow = await StartAsync(email);

        using var confirmed = await _api.PostAsync("/auth/confirm-email", new { flow_id = flow, code = await CodeFromMailAsync(email) });

        await AccountApi.ReadPairAsync(confirmed);
        await _api.SignInAsync(email, Password);
    }

    [Fact]
    public async Task SignUp_WithATakenEmail_AnswersAlike_AndTellsTheOwnerByEmail()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);

        using var taken = await _api.PostAsync("/auth/sign-up", new { email, password = "another-long-passphrase-1" });
        using var fresh = await _api.PostAsync("/auth/sign-up", new { email = AccountApi.NewEmail(), password = "another-long-passphrase-1" });

        Assert.Equal(HttpStatusCode.Accepted, taken.StatusCode);
        Assert.Equal(fresh.StatusCode, taken.StatusCode);
        var takenBody = JsonDocument.Parse(await taken.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var freshBody = JsonDocument.Parse(await fresh.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(freshBody.EnumerateObject().Select(p => p.Name), takenBody.EnumerateObject().Select(p => p.Name));
        var notice = await TestMailbox.Shared.WaitForMessageAsync(email, "tried to sign up");
        Assert.DoesNotContain("code", notice.Subject, StringComparison.OrdinalIgnoreCase);

        // The flow of a taken address fails like a wrong code does.
        using var confirm = await _api.PostAsync("/auth/confirm-email", new { flow_id = takenBody.GetProperty("flow_id").GetString(), code = "123456" });
        Assert.Equal("invalid_code", await AccountApi.ProblemCodeAsync(confirm, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ConfirmEmail_WhenAnotherAccountTakesTheAddressDuringTheInsert_Is409_AndCreatesNothing()
    {
        var race = new WhileUserIsWritten();
        await using var node = WhileUserIsWritten.Node(fixture.App, race);
        var api = new AccountApi(node.CreateClient());
        var email = AccountApi.NewEmail();
        using var started = await api.PostAsync("/auth/sign-up", new { email, password = Password });
        var flow = JsonDocument.Parse(await started.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("flow_id").GetString();
        var code = await CodeFromMailAsync(email);

        GatehouseUser? taker = null;
        race.Arm(created => created.Email == email, async () => taker = await AccountApi.CreateUserAsync(node, email, "another-long-passphrase-1"));
        using var confirmed = await api.PostAsync("/auth/confirm-email", new { flow_id = flow, code });

        Assert.Equal("email_taken", await AccountApi.ProblemCodeAsync(confirmed, HttpStatusCode.Conflict));
        Assert.NotNull(taker);
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Gatehouse.Identity.Data.GatehouseDbContext>();
        Assert.Equal([taker.Id], await db.Users.Where(u => u.NormalizedEmail == email.ToUpperInvariant()).Select(u => u.Id).ToListAsync(TestContext.Current.CancellationToken));
        // The sign-up's password opens nothing: the address belongs to the other account.
        using var signIn = await api.PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(signIn, HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task SignUp_WithAWeakPassword_NamesThePasswordField_AndStartsNoFlow()
    {
        var email = AccountApi.NewEmail();

        using var response = await _api.PostAsync("/auth/sign-up", new { email, password = "short" });

        Assert.Equal("weak_password", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.BadRequest));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
        Assert.Empty(TestMailbox.Shared.MessagesTo(email));
    }

    [Fact]
    public async Task ConfirmEmail_WithAWrongCode_IsInvalidCode_AndTheRightOneStillWorks()
    {
        var email = AccountApi.NewEmail();
        var flow = await StartAsync(email);
        var code = await CodeFromMailAsync(email);
        var wrong = code == "000000" ? "111111" : "000000";

        using var failed = await _api.PostAsync("/auth/confirm-email", new { flow_id = flow, code = wrong });
        Assert.Equal("invalid_code", await AccountApi.ProblemCodeAsync(failed, HttpStatusCode.BadRequest));

        using var confirmed = await _api.PostAsync("/auth/confirm-email", new { flow_id = flow, code });
        await AccountApi.ReadPairAsync(confirmed);

        // A finished flow takes no further step.
        using var again = await _api.PostAsync("/auth/confirm-email", new { flow_id = flow, code });
        Assert.Equal("invalid_flow", await AccountApi.ProblemCodeAsync(again, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task SendCode_VoidsThePreviousCode()
    {
        var email = AccountApi.NewEmail();
        var flow = await StartAsync(email);
        var first = await CodeFromMailAsync(email);

        using var resent = await _api.PostAsync("/auth/send-code", new { flow_id = flow });
        Assert.Equal(HttpStatusCode.Accepted, resent.StatusCode);
        var second = await CodeFromMailAsync(email);

        if (first != second)
        {
            using var old = await _api.PostAsync("/auth/confirm-email", new { flow_id = flow, code = first });
            Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        }

        using var confirmed = await _api.PostAsync("/auth/confirm-email", new { flow_id = flow, code = second });
        await AccountApi.ReadPairAsync(confirmed);
    }

    [Fact]
    public async Task FlowSteps_CannotBeSkippedOrMixed()
    {
        var email = AccountApi.NewEmail();
        var flow = await StartAsync(email);
        var code = await CodeFromMailAsync(email);

        // A sign-up flow is not a reset flow, whatever the code.
        using var asReset = await _api.PostAsync("/auth/confirm-reset", new { flow_id = flow, code, new_password = "brand-new-passphrase-77" });
        Assert.Equal("invalid_flow", await AccountApi.ProblemCodeAsync(asReset, HttpStatusCode.BadRequest));

        // Nor is it another client's.
        var mobile = new AccountApi(_api.Http, GatehouseApp.MobileAppClient, secret: null);
        using var otherClient = await mobile.PostAsync("/auth/confirm-email", new { flow_id = flow, code });
        Assert.Equal("invalid_flow", await AccountApi.ProblemCodeAsync(otherClient, HttpStatusCode.BadRequest));

        using var unknown = await _api.PostAsync("/auth/send-code", new { flow_id = Guid.NewGuid().ToString() });
        Assert.Equal("invalid_flow", await AccountApi.ProblemCodeAsync(unknown, HttpStatusCode.BadRequest));
    }
}
