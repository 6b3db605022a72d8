using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Accounts;

public sealed class ResetPasswordTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "copper-glacier-violet-2287";
    private const string NewPassword = "meadow-anchor-saffron-9153";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    private async Task<string> StartAsync(string email)
    {
        using var response = await _api.PostAsync("/auth/reset-password", new { email });
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("flow_id").GetString()!;
    }

    [Fact]
    public async Task Reset_WithTheMailedCode_SetsTheNewPassword_EndsEverySession_AndSendsANotice()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var before = await _api.SignInAsync(email, Password);

        var flow = await StartAsync(email);
        var code = TestMailbox.ReadCode(await TestMailbox.Shared.WaitForMessageAsync(email, "reset code"));
        using var confirmed = await _api.PostAsync("/auth/confirm-reset", new { flow_id = flow, code, new_password = NewPassword });
        var fresh = await AccountApi.ReadPairAsync(confirmed);

        Assert.False(await _api.Http.IsActiveAsync(before.AccessToken));
        Assert.True(await _api.Http.IsActiveAsync(fresh.AccessToken));
        using var oldRefresh = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = before.RefreshToken });
        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(oldRefresh, HttpStatusCode.BadRequest));
        using var oldPassword = await _api.PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
        await _api.SignInAsync(email, NewPassword);
        await TestMailbox.Shared.WaitForMessageAsync(email, "password was changed");

        var events = await AccountApi.AuditAsync(fixture.App, user.Id);
        Assert.Contains(events, e => e.Type == AuditEventTypes.PasswordReset);
        Assert.Contains(events, e => e.Type == AuditEventTypes.CodeSent && e.Reason == "reset_password");
    }

    [Fact]
    public async Task Reset_WhenAnotherRequestChangesTheUserAtTheSameMoment_Is409_AndChangesNothing()
    {
        var race = new WhileUserIsWritten();
        await using var node = WhileUserIsWritten.Node(fixture.App, race);
        var api = new AccountApi(node.CreateClient());
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(node, email, Password);
        var before = await api.SignInAsync(email, Password);
        using var started = await api.PostAsync("/auth/reset-password", new { email });
        var flow = JsonDocument.Parse(await started.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("flow_id").GetString();
        var code = TestMailbox.ReadCode(await TestMailbox.Shared.WaitForMessageAsync(email, "reset code"));

        race.Arm(changing => changing.Id == user.Id, () => WhileUserIsWritten.ChangeElsewhereAsync(node, user.Id));
        using var confirmed = await api.PostAsync("/auth/confirm-reset", new { flow_id = flow, code, new_password = NewPassword });

        Assert.Equal("concurrent_change", await AccountApi.ProblemCodeAsync(confirmed, HttpStatusCode.Conflict));
        Assert.True(race.Ran);
        Assert.True(await api.Http.IsActiveAsync(before.AccessToken));
        using var newPassword = await api.PostAsync("/auth/sign-in", new { email, password = NewPassword });
        Assert.Equal(HttpStatusCode.Unauthorized, newPassword.StatusCode);
        await api.SignInAsync(email, Password);
    }

    [Fact]
    public async Task Reset_ForAnUnknownEmail_AnswersAlike_AndItsFlowFailsLikeAWrongCode()
    {
        var known = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, known, Password);
        var unknown = AccountApi.NewEmail();

        using var knownAnswer = await _api.PostAsync("/auth/reset-password", new { email = known });
        using var unknownAnswer = await _api.PostAsync("/auth/reset-password", new { email = unknown });

        Assert.Equal(HttpStatusCode.Accepted, knownAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, unknownAnswer.StatusCode);
        var knownFlow = JsonDocument.Parse(await knownAnswer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("flow_id").GetString();
        var unknownFlow = JsonDocument.Parse(await unknownAnswer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("flow_id").GetString();

        using var wrongForKnown = await _api.PostAsync("/auth/confirm-reset", new { flow_id = knownFlow, code = "000000", new_password = NewPassword });
        using var wrongForUnknown = await _api.PostAsync("/auth/confirm-reset", new { flow_id = unknownFlow, code = "000000", new_password = NewPassword });
        Assert.Equal(await AccountApi.WithoutTraceIdAsync(wrongForKnown), await AccountApi.WithoutTraceIdAsync(wrongForUnknown));
        Assert.Empty(TestMailbox.Shared.MessagesTo(unknown));
    }

    [Fact]
    public async Task ConfirmReset_WithAWeakPassword_NamesTheField_AndKeepsTheCode()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var flow = await StartAsync(email);
        var code = TestMailbox.ReadCode(await TestMailbox.Shared.WaitForMessageAsync(email, "reset code"));

        using var weak = await _api.PostAsync("/auth/confirm-reset", new { flow_id = flow, code, new_password = "short" });
        Assert.Equal("weak_password", await AccountApi.ProblemCodeAsync(weak, HttpStatusCode.BadRequest));

        using var confirmed = await _api.PostAsync("/auth/confirm-reset", new { flow_id = flow, code, new_password = NewPassword });
        await AccountApi.ReadPairAsync(confirmed);
    }

    [Fact]
    public async Task ConfirmReset_AfterTooManyWrongCodes_RefusesEvenTheRightOne()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var flow = await StartAsync(email);
        var code = TestMailbox.ReadCode(await TestMailbox.Shared.WaitForMessageAsync(email, "reset code"));
        var wrong = code == "000000" ? "111111" : "000000";

        var codes = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var failed = await _api.PostAsync("/auth/confirm-reset", new { flow_id = flow, code = wrong, new_password = NewPassword });
            codes.Add(await AccountApi.ProblemCodeAsync(failed, HttpStatusCode.BadRequest));
        }

        Assert.Contains("code_attempts_exceeded", codes);
        using var right = await _api.PostAsync("/auth/confirm-reset", new { flow_id = flow, code, new_password = NewPassword });
        Assert.Equal(HttpStatusCode.BadRequest, right.StatusCode);
    }
}
