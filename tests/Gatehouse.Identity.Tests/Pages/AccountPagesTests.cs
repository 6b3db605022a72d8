using System.Net;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Pages.Account;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Playwright;

namespace Gatehouse.Identity.Tests.Pages;

/// <summary>
/// The hosted account pages, driven in a real headless Chromium over a real Kestrel port, with codes
/// read from the real SMTP mailbox the service delivers to.
/// </summary>
public sealed class AccountPagesTests(BrowserSession session) : IClassFixture<BrowserSession>
{
    private const string Password = "correct horse battery staple";
    private const string NewPassword = "a brand new passphrase 42";

    [Fact]
    public async Task NewUser_SignsUpConfirmsSignsOutResetsThePassword_AndSignsInWithTheNewOne()
    {
        await using var tab = await session.OpenAsync();
        var page = tab.Page;
        var email = AccountApi.NewEmail();

        await SignUpAsync(page, email, Password);
        await page.GetByLabel("Code from the email").FillAsync(await CodeAsync(email, "confirmation code"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account");
        Assert.Equal(email, await page.Locator("#signed-in-email").TextContentAsync());

        await page.GetByRole(AriaRole.Link, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "You are signed out" }).WaitForAsync();
        await page.GotoAsync("/Account");
        Assert.Contains("/Account/SignIn", page.Url);

        await page.GetByRole(AriaRole.Link, new() { Name = "Forgot your password?" }).ClickAsync();
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a code" }).ClickAsync();
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account/ResetPassword" && url.Query.StartsWith("?flow=", StringComparison.Ordinal));
        await page.GetByLabel("Code from the email").FillAsync(await CodeAsync(email, "password reset code"));
        await page.GetByLabel("New password").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account/SignIn" && url.Query.StartsWith("?reset=", StringComparison.Ordinal));
        await page.GetByText("Your password has been changed").WaitForAsync();

        await SignInAsync(page, email, Password);
        await page.GetByText(SignInModel.FailureMessage).WaitForAsync();
        await SignInAsync(page, email, NewPassword);
        await page.UntilUrlAsync(url => url.AbsolutePath == "/");
        await page.GotoAsync("/Account");
        Assert.Equal(email, await page.Locator("#signed-in-email").TextContentAsync());
        Assert.Empty(tab.ConsoleErrors);

        // The pages ran the account flows: the audit trail names them as the client.
        var user = await FindUserAsync(email);
        Assert.NotNull(user);
        var resets = await AuditAsync(user.Id, AuditEventTypes.PasswordReset);
        Assert.Equal(HostedPages.ClientId, Assert.Single(resets).ClientId);
        Assert.Single(await AuditAsync(user.Id, AuditEventTypes.SignUpCompleted));
        Assert.Contains(await AuditAsync(user.Id, AuditEventTypes.SignInFailed), entry => entry.Reason == "wrong_password");
    }

    [Fact]
    public async Task ConfirmEmail_WithAWrongCode_SaysSoBesideTheField_AndANewCodeReplacesTheOldOne()
    {
        await using var tab = await session.OpenAsync();
        var page = tab.Page;
        var email = AccountApi.NewEmail();
        await page.GotoAsync("/Account/SignUp?returnUrl=" + Uri.EscapeDataString("https://evil.example/"));
        await FillSignUpAsync(page, email, Password);
        var firstCode = await CodeAsync(email, "confirmation code");

        await page.GetByLabel("Code from the email").FillAsync(firstCode == "00000000" ? "11111111" : "00000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        var code = page.GetByLabel("Code from the email");
        await page.GetByText("That code is not right").First.WaitForAsync();
        Assert.Equal("true", await code.GetAttributeAsync("aria-invalid"));
        Assert.Contains("Code-error", await code.GetAttributeAsync("aria-describedby"));
        Assert.Equal("That code is not right. Check the latest email we sent and try again.", await page.Locator("#Code-error").TextContentAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Send a new code" }).ClickAsync();
        await page.GetByText("A new code is on its way").WaitForAsync();
        var secondCode = await CodeAsync(email, "confirmation code");
        await code.FillAsync(firstCode);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.Locator("#Code-error").WaitForAsync();
        Assert.Contains("/Account/ConfirmEmail", page.Url);

        await code.FillAsync(secondCode);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        // A foreign returnUrl is ignored: the browser lands on the account page of this service.
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account");
        Assert.Equal(session.BaseAddress.Authority, new Uri(page.Url).Authority);
        Assert.Equal(email, await page.Locator("#signed-in-email").TextContentAsync());
    }

    [Theory]
    [InlineData("ConfirmEmail", "not-a-flow")]
    [InlineData("ConfirmEmail", "9f1c3a52-0d5e-4b8e-a1f2-0c8f7d6e5b4a")]
    [InlineData("ResetPassword", "9f1c3a52-0d5e-4b8e-a1f2-0c8f7d6e5b4a")]
    public async Task CodeSteps_ForAMissingOrForgedFlow_SayToStartAgain(string step, string flow)
    {
        await using var tab = await session.OpenAsync();
        var page = tab.Page;
        await page.GotoAsync($"/Account/{step}?flow={flow}");

        await page.GetByLabel("Code from the email").FillAsync("12345678");
        if (step == "ResetPassword")
        {
            await page.GetByLabel("New password").FillAsync(NewPassword);
        }

        await page.Locator("form button[type=submit]").First.ClickAsync();
        await page.GetByText("This step has expired or is already finished. Please start again.").WaitForAsync();
    }

    [Fact]
    public async Task SignUp_WithAWeakPassword_ExplainsBesideTheField_AndCreatesNothing()
    {
        await using var tab = await session.OpenAsync();
        var page = tab.Page;
        var email = AccountApi.NewEmail();

        await page.GotoAsync("/Account/SignUp");
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("short");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        var password = page.GetByLabel("Password", new() { Exact = true });
        await page.Locator("#Password-error").WaitForAsync();
        Assert.Contains("at least 8 characters", await page.Locator("#Password-error").TextContentAsync());
        Assert.Equal("true", await password.GetAttributeAsync("aria-invalid"));
        Assert.Equal("Password-hint Password-error", await password.GetAttributeAsync("aria-describedby"));
        Assert.NotNull(await password.GetAttributeAsync("autofocus"));
        Assert.Equal(email, await page.GetByLabel("Email address").InputValueAsync());
        Assert.Contains("/Account/SignUp", page.Url);
        Assert.Null(await FindUserAsync(email));
    }

    [Fact]
    public async Task SignUp_AndReset_LookTheSameForTakenAndFreeAddresses()
    {
        var taken = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(session.App, taken, Password);

        var signUpTaken = await NextPageTextAsync("/Account/SignUp", page => FillSignUpAsync(page, taken, Password));
        var signUpFree = await NextPageTextAsync("/Account/SignUp", page => FillSignUpAsync(page, AccountApi.NewEmail(), Password));
        Assert.Equal(signUpFree, signUpTaken);

        var resetKnown = await NextPageTextAsync("/Account/ForgotPassword", page => FillResetAsync(page, taken));
        var resetUnknown = await NextPageTextAsync("/Account/ForgotPassword", page => FillResetAsync(page, AccountApi.NewEmail()));
        Assert.Equal(resetUnknown, resetKnown);

        // The owner of the taken address hears about the attempt, and the reset code goes to them alone.
        await TestMailbox.Shared.WaitForMessageAsync(taken, "tried to sign up");
        await TestMailbox.Shared.WaitForMessageAsync(taken, "password reset code");
    }

    [Fact]
    public async Task SignIn_WithWrongPasswords_ShowsOneGenericMessage_AndLocksTheAccountLikeTheApi()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(session.App, email, Password);
        await using var tab = await session.OpenAsync();
        var page = tab.Page;

        for (var attempt = 0; attempt < 5; attempt++)
        {
            await SignInAsync(page, email, "not the password " + attempt);
            await page.GetByText(SignInModel.FailureMessage).WaitForAsync();
        }

        Assert.Equal("true", await page.GetByLabel("Password").GetAttributeAsync("aria-invalid"));
        Assert.Equal("errors", await page.GetByLabel("Password").GetAttributeAsync("aria-describedby"));

        // Locked now: even the right password is refused, with the same words as a wrong one.
        await SignInAsync(page, email, Password);
        await page.GetByText(SignInModel.FailureMessage).WaitForAsync();
        Assert.Contains("/Account/SignIn", page.Url);

        Assert.Single(await AuditAsync(user.Id, AuditEventTypes.Lockout));
        var failures = await AuditAsync(user.Id, AuditEventTypes.SignInFailed);
        Assert.Equal(5, failures.Count(entry => entry.Reason == "wrong_password" && entry.ClientId == HostedPages.ClientId));
        Assert.Contains(failures, entry => entry.Reason == "account_locked");
    }

    [Fact]
    public async Task ChangePassword_ChecksTheCurrentOne_ThenEndsEveryOtherSessionAndToken()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(session.App, email, Password);
        using var http = new HttpClient { BaseAddress = session.BaseAddress };
        var api = new AccountApi(http);
        var apiPair = await api.SignInAsync(email, Password);
        await using var other = await session.OpenAsync();
        await SignInAsync(other.Page, email, Password);
        await using var tab = await session.OpenAsync();
        var page = tab.Page;
        await SignInAsync(page, email, Password);

        await page.GotoAsync("/Account/ChangePassword");
        await page.GetByLabel("Current password").FillAsync("not my password");
        await page.GetByLabel("New password").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await page.Locator("#CurrentPassword-error").WaitForAsync();
        Assert.Equal("The password is not right.", await page.Locator("#CurrentPassword-error").TextContentAsync());

        await page.GetByLabel("Current password").FillAsync(Password);
        await page.GetByLabel("New password").FillAsync("short");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await page.Locator("#NewPassword-error").WaitForAsync();
        Assert.Equal("true", await page.GetByLabel("New password").GetAttributeAsync("aria-invalid"));

        await page.GetByLabel("Current password").FillAsync(Password);
        await page.GetByLabel("New password").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await page.GetByText("Your password has been changed").WaitForAsync();
        await TestMailbox.Shared.WaitForMessageAsync(email, "password was changed");

        await AssertOnlyThisBrowserIsSignedInAsync(page, email, other.Page, api, apiPair);
    }

    [Fact]
    public async Task DeleteAccount_AfterThePasswordCheck_RemovesTheUserAndEndsTheSession()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(session.App, email, Password);
        await using var tab = await session.OpenAsync();
        var page = tab.Page;
        await SignInAsync(page, email, Password);

        await page.GotoAsync("/Account");
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete account" }).ClickAsync();
        await page.GetByLabel("Password").FillAsync("not my password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete my account" }).ClickAsync();
        await page.Locator("#Password-error").WaitForAsync();
        Assert.NotNull(await FindUserAsync(email));

        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete my account" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Your account is deleted" }).WaitForAsync();
        Assert.Null(await FindUserAsync(email));
        await TestMailbox.Shared.WaitForMessageAsync(email, "account was deleted");

        await page.GotoAsync("/Account");
        Assert.Contains("/Account/SignIn", page.Url);
        await SignInAsync(page, email, Password);
        await page.GetByText(SignInModel.FailureMessage).WaitForAsync();
    }

    [Fact]
    public async Task ChangeEmail_WithoutJavaScript_MovesTheAccountWithTheCodeFromTheNewAddress_AndEndsEveryOtherSession()
    {
        var newEmail = AccountApi.NewEmail();
        await using var signedIn = await SignedInThreeTimesAsync();
        var (email, user, api, apiPair, other, page) = (signedIn.Email, signedIn.User, signedIn.Api, signedIn.ApiPair, signedIn.Other, signedIn.Page);

        await page.GotoAsync("/Account");
        await page.GetByRole(AriaRole.Link, new() { Name = "Change email" }).ClickAsync();
        await page.GetByLabel("New email address").FillAsync(newEmail);
        await page.GetByLabel("Current password").FillAsync("not my password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a code" }).ClickAsync();
        await page.Locator("#CurrentPassword-error").WaitForAsync();
        Assert.Equal("The password is not right.", await page.Locator("#CurrentPassword-error").TextContentAsync());
        Assert.Equal(newEmail, await page.GetByLabel("New email address").InputValueAsync());

        await page.GetByLabel("Current password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a code" }).ClickAsync();
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account/ConfirmEmailChange" && url.Query.StartsWith("?flow=", StringComparison.Ordinal));
        var code = await CodeAsync(newEmail, "email change code");

        await page.GetByLabel("Code from the email").FillAsync(code == "000000" ? "111111" : "000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.Locator("#Code-error").WaitForAsync();
        Assert.Equal(email, (await FindUserByIdAsync(user.Id)).Email);

        await page.GetByLabel("Code from the email").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.GetByText("Your account now uses").WaitForAsync();
        Assert.Equal(newEmail, await page.Locator("#changed-email").TextContentAsync());
        await TestMailbox.Shared.WaitForMessageAsync(email, "email address was changed");

        await AssertOnlyThisBrowserIsSignedInAsync(page, newEmail, other, api, apiPair);
        await api.SignInAsync(newEmail, Password);

        var changed = Assert.Single(await AuditAsync(user.Id, AuditEventTypes.EmailChanged));
        Assert.Equal(HostedPages.ClientId, changed.ClientId);
        Assert.False(string.IsNullOrEmpty(changed.IpAddress));
        var failures = await AuditAsync(user.Id, AuditEventTypes.CodeFailed);
        Assert.Contains(failures, entry => entry.Reason == "invalid_code" && entry.ClientId == HostedPages.ClientId);
    }

    [Fact]
    public async Task Profile_WithoutJavaScript_ChangesTheName_ShownOnTheAccountPage_AndEveryOtherSessionStays()
    {
        await using var signedIn = await SignedInThreeTimesAsync();
        var (email, user, api, apiPair, other, page) = (signedIn.Email, signedIn.User, signedIn.Api, signedIn.ApiPair, signedIn.Other, signedIn.Page);

        await page.GotoAsync("/Account");
        await page.GetByRole(AriaRole.Link, new() { Name = "Your profile" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Your profile" }).WaitForAsync();
        Assert.Equal(email, await page.Locator("#profile-email").TextContentAsync());
        Assert.Equal("/Account/ChangeEmail", await page.GetByRole(AriaRole.Link, new() { Name = "Change email" }).GetAttributeAsync("href"));

        await page.GetByLabel("Name").FillAsync("Ada\u0378");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save profile" }).ClickAsync();
        await page.Locator("#DisplayName-error").WaitForAsync();
        Assert.Equal("Name contains characters that Unicode has not assigned.", await page.Locator("#DisplayName-error").TextContentAsync());
        Assert.Equal("true", await page.GetByLabel("Name").GetAttributeAsync("aria-invalid"));
        Assert.Null((await FindUserByIdAsync(user.Id)).DisplayName);

        await page.GetByLabel("Name").FillAsync("  Ada Lovelace ");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save profile" }).ClickAsync();
        await page.GetByText("Your profile has been saved.").WaitForAsync();
        Assert.Equal("Ada Lovelace", await page.GetByLabel("Name").InputValueAsync());

        await page.GetByRole(AriaRole.Link, new() { Name = "Back to your account" }).ClickAsync();
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account");
        Assert.Contains("(Ada Lovelace)", await page.Locator("p.lead").TextContentAsync());
        await other.GotoAsync("/Account");
        Assert.Contains("(Ada Lovelace)", await other.Locator("p.lead").TextContentAsync());
        Assert.True(await api.Http.IsActiveAsync(apiPair.AccessToken));
        await api.RefreshAsync(apiPair.RefreshToken);
        var updated = Assert.Single(await AuditAsync(user.Id, AuditEventTypes.ProfileUpdated));
        Assert.Equal(HostedPages.ClientId, updated.ClientId);
        Assert.Equal(user.Id, updated.ActorUserId);

        await page.GotoAsync("/Account/Profile");
        await page.GetByLabel("Name").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save profile" }).ClickAsync();
        await page.GetByText("Your profile has been saved.").WaitForAsync();
        Assert.Null((await FindUserByIdAsync(user.Id)).DisplayName);
        await page.GotoAsync("/Account");
        Assert.DoesNotContain("Ada", await page.Locator("p.lead").TextContentAsync());
    }

    [Fact]
    public async Task WithJavaScriptDisabled_SignUpConfirmAndChangePasswordStillWork()
    {
        await using var context = await session.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = session.BaseAddress.ToString(),
            JavaScriptEnabled = false,
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var email = AccountApi.NewEmail();

        await SignUpAsync(page, email, Password);
        await page.GetByLabel("Code from the email").FillAsync(await CodeAsync(email, "confirmation code"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account");

        await page.GetByRole(AriaRole.Link, new() { Name = "Change password" }).ClickAsync();
        await page.GetByLabel("Current password").FillAsync(Password);
        await page.GetByLabel("New password").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await page.GetByText("Your password has been changed").WaitForAsync();
        Assert.NotNull(await FindUserAsync(email));
    }

    [Theory]
    [InlineData("/Account/SignUp")]
    [InlineData("/Account/ConfirmEmail?flow=9f1c3a52-0d5e-4b8e-a1f2-0c8f7d6e5b4a")]
    [InlineData("/Account/SignIn")]
    [InlineData("/Account/ForgotPassword")]
    [InlineData("/Account/ResetPassword?flow=9f1c3a52-0d5e-4b8e-a1f2-0c8f7d6e5b4a")]
    public async Task PostingWithoutTheAntiforgeryToken_IsRefused(string path)
    {
        await using var tab = await session.OpenAsync();
        await tab.Page.GotoAsync(path);

        var response = await tab.Context.APIRequest.PostAsync(path, new()
        {
            Form = tab.Context.APIRequest.CreateFormData().Set("Email", AccountApi.NewEmail()).Set("Password", Password).Set("Code", "123456"),
        });

        Assert.Equal(400, response.Status);
    }

    [Theory]
    [InlineData("/Account/ChangePassword")]
    [InlineData("/Account/DeleteAccount")]
    [InlineData("/Account/ChangeEmail")]
    [InlineData("/Account/ConfirmEmailChange?flow=9f1c3a52-0d5e-4b8e-a1f2-0c8f7d6e5b4a")]
    [InlineData("/Account/Profile")]
    public async Task SignedInPages_RefuseAPostWithoutTheAntiforgeryToken_AndAskStrangersToSignIn(string path)
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(session.App, email, Password);
        await using var stranger = await session.OpenAsync();
        await stranger.Page.GotoAsync(path);
        Assert.Contains("/Account/SignIn?returnUrl=", stranger.Page.Url);

        await using var tab = await session.OpenAsync();
        await SignInAsync(tab.Page, email, Password);
        await tab.Page.GotoAsync(path);
        var response = await tab.Context.APIRequest.PostAsync(path, new()
        {
            Form = tab.Context.APIRequest.CreateFormData().Set("Password", Password).Set("CurrentPassword", Password).Set("NewPassword", NewPassword)
                .Set("NewEmail", AccountApi.NewEmail()).Set("Code", "123456").Set("DisplayName", "Forged"),
        });

        Assert.Equal(400, response.Status);
        var user = await FindUserAsync(email);
        Assert.NotNull(user);
        Assert.Null(user.DisplayName);
    }

    [Fact]
    public async Task EveryPage_LabelsEveryField_AndNamesWhatTheBrowserMayFillIn()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(session.App, email, Password);
        await using var tab = await session.OpenAsync();
        var pages = new[]
        {
            "/Account/SignUp", "/Account/ConfirmEmail?flow=9f1c3a52-0d5e-4b8e-a1f2-0c8f7d6e5b4a", "/Account/SignIn",
            "/Account/ForgotPassword", "/Account/ResetPassword?flow=9f1c3a52-0d5e-4b8e-a1f2-0c8f7d6e5b4a",
            "/Account/ChangePassword", "/Account/DeleteAccount",
            "/Account/ChangeEmail", "/Account/ConfirmEmailChange?flow=9f1c3a52-0d5e-4b8e-a1f2-0c8f7d6e5b4a",
            "/Account/Profile",
        };
        await SignInAsync(tab.Page, email, Password);
        await tab.Page.UntilUrlAsync(url => url.AbsolutePath == "/");

        foreach (var path in pages)
        {
            var response = await tab.Page.GotoAsync(path);
            Assert.Equal(200, response!.Status);
            var fields = await tab.Page.EvalOnSelectorAllAsync<FieldFacts[]>("form input:not([type=hidden])", """
                inputs => inputs.map(input => ({
                    id: input.id,
                    label: input.labels.length > 0 ? input.labels[0].textContent.trim() : '',
                    autocomplete: input.getAttribute('autocomplete') || ''
                }))
                """);
            Assert.NotEmpty(fields);
            Assert.All(fields, field =>
            {
                Assert.False(string.IsNullOrEmpty(field.Label), $"{path}: #{field.Id} has no label");
                Assert.False(string.IsNullOrEmpty(field.Autocomplete), $"{path}: #{field.Id} has no autocomplete attribute");
            });
            Assert.Equal(1, await tab.Page.Locator("h1").CountAsync());
        }

        Assert.Empty(tab.ConsoleErrors);
    }

    /// <summary>
    /// A new user signed in three times: through the API, in a browser with scripts, and in the browser
    /// <see cref="ThreeSessions.Page"/> that runs without JavaScript, where the test acts.
    /// </summary>
    private async Task<ThreeSessions> SignedInThreeTimesAsync()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(session.App, email, Password);
        var api = new AccountApi(new HttpClient { BaseAddress = session.BaseAddress });
        var apiPair = await api.SignInAsync(email, Password);
        var other = await session.OpenAsync();
        await SignInAsync(other.Page, email, Password);
        var context = await session.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = session.BaseAddress.ToString(),
            JavaScriptEnabled = false,
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await SignInAsync(page, email, Password);
        return new ThreeSessions(email, user, api, apiPair, other.Page, page, [other, context]);
    }

    private sealed record ThreeSessions(string Email, GatehouseUser User, AccountApi Api, Pair ApiPair, IPage Other, IPage Page, IAsyncDisposable[] Owned)
        : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var owned in Owned)
            {
                await owned.DisposeAsync();
            }

            Api.Http.Dispose();
        }
    }

    private sealed class FieldFacts
    {
        public string Id { get; set; } = "";

        public string Label { get; set; } = "";

        public string Autocomplete { get; set; } = "";
    }

    private static async Task SignUpAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/Account/SignUp");
        await FillSignUpAsync(page, email, password);
    }

    private static async Task FillSignUpAsync(IPage page, string email, string password)
    {
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account/ConfirmEmail" && url.Query.StartsWith("?flow=", StringComparison.Ordinal));
    }

    private static async Task FillResetAsync(IPage page, string email)
    {
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a code" }).ClickAsync();
        await page.UntilUrlAsync(url => url.AbsolutePath == "/Account/ResetPassword" && url.Query.StartsWith("?flow=", StringComparison.Ordinal));
    }

    /// <summary>
    /// Signs in from a freshly loaded sign-in page and returns once the server has answered the POST;
    /// callers then wait for what they expect (a message, a URL) with auto-waiting locators.
    /// </summary>
    internal static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/Account/SignIn");
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            response => response.Request.Method == "POST" && response.Url.Contains("/Account/SignIn", StringComparison.Ordinal));
    }

    /// <summary>The visible text of the page a form leads to, in a fresh browser.</summary>
    private async Task<string> NextPageTextAsync(string path, Func<IPage, Task> fill)
    {
        await using var tab = await session.OpenAsync();
        await tab.Page.GotoAsync(path);
        await fill(tab.Page);
        return await tab.Page.Locator("main").InnerTextAsync();
    }

    private static async Task<string> CodeAsync(string email, string subject) =>
        TestMailbox.ReadCode(await TestMailbox.Shared.WaitForMessageAsync(email, subject));

    private async Task<GatehouseUser?> FindUserAsync(string email)
    {
        await using var scope = session.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>().FindByEmailAsync(email);
    }

    /// <summary>After a credential change: <paramref name="page"/> keeps a fresh session as <paramref name="email"/>; the other browser and the API session are over.</summary>
    private static async Task AssertOnlyThisBrowserIsSignedInAsync(IPage page, string email, IPage other, AccountApi api, Pair apiPair)
    {
        await page.GotoAsync("/Account");
        Assert.Equal(email, await page.Locator("#signed-in-email").TextContentAsync());
        await other.GotoAsync("/Account");
        Assert.Contains("/Account/SignIn", other.Url);
        using var refresh = await api.PostAsync("/auth/refresh-tokens", new { refresh_token = apiPair.RefreshToken });
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
    }

    private async Task<GatehouseUser> FindUserByIdAsync(Guid id)
    {
        await using var scope = session.App.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>().FindByIdAsync(id.ToString()))!;
    }

    private async Task<IReadOnlyList<Data.Accounts.AuditEvent>> AuditAsync(Guid userId, string type)
    {
        var audit = session.App.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(TestContext.Current.CancellationToken);
        return await audit.QueryAsync(new AuditQuery(UserId: userId, Type: type), TestContext.Current.CancellationToken);
    }
}
