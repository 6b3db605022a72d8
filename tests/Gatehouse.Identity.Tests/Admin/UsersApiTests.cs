using System.Net;
using System.Text.RegularExpressions;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>/admin/users: who may call it, listing and search, create, read, change and delete.</summary>
public sealed partial class UsersApiTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private const string Password = "plum-orbit-canyon-4471";
    private readonly AdminApi _admin = new(fixture.App.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);
    private readonly AccountApi _accounts = new(fixture.App.CreateClient());

    [Theory]
    [InlineData("GET", "/admin/users")]
    [InlineData("POST", "/admin/users")]
    [InlineData("GET", "/admin/roles")]
    [InlineData("GET", "/admin/audit")]
    [InlineData("DELETE", "/admin/users/0197a1e2-0000-7000-8000-000000000001/sessions")]
    public async Task AdminEndpoint_WithoutAToken_IsUnauthorized(string method, string path)
    {
        using var response = await fixture.App.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AdminEndpoint_WithATokenLackingTheScope_IsForbidden()
    {
        var orders = new AdminApi(fixture.App.CreateClient(), GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        var usersOnly = new AdminApi(fixture.App.CreateClient(), AdminFixture.SupportDesk, AdminFixture.SupportDeskSecret, "gatehouse:admin.users");

        using var users = await orders.GetAsync("/admin/users");
        using var roles = await orders.GetAsync("/admin/roles");
        using var audit = await usersOnly.GetAsync("/admin/audit");
        using var allowed = await usersOnly.GetAsync("/admin/users");

        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, roles.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, audit.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task AdminScopeForAllAreas_OpensTheUsersAndAuditAreas()
    {
        var full = new AdminApi(fixture.App.CreateClient(), AdminFixture.Console, AdminFixture.ConsoleSecret, "gatehouse:admin");

        await AdminApi.ExpectAsync(await full.GetAsync("/admin/users"), HttpStatusCode.OK);
        await AdminApi.ExpectAsync(await full.GetAsync("/admin/audit"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheUsersRolesAndAuditEndpoints()
    {
        using var response = await fixture.App.CreateClient().GetAsync("/openapi/admin.json", TestContext.Current.CancellationToken);

        var paths = (await AdminApi.ExpectAsync(response, HttpStatusCode.OK)).GetProperty("paths");
        foreach (var (path, method) in new[]
                 {
                     ("/admin/users", "get"), ("/admin/users", "post"), ("/admin/users/{id}", "get"), ("/admin/users/{id}", "patch"),
                     ("/admin/users/{id}", "delete"), ("/admin/users/{id}/ban", "post"), ("/admin/users/{id}/unban", "post"),
                     ("/admin/users/{id}/check-password", "post"), ("/admin/users/{id}/roles/{role}", "put"),
                     ("/admin/users/{id}/roles/{role}", "delete"), ("/admin/users/{id}/sessions", "get"),
                     ("/admin/users/{id}/sessions", "delete"), ("/admin/users/{id}/sessions/{sessionId}", "delete"),
                     ("/admin/roles", "get"), ("/admin/roles", "post"), ("/admin/roles/{name}", "delete"), ("/admin/audit", "get"),
                 })
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method} {path} is missing");
            var operation = item.GetProperty(method);
            Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _), $"{method} {path} does not mention 401");
            Assert.True(operation.GetProperty("responses").TryGetProperty("403", out _), $"{method} {path} does not mention 403");
        }

        var list = paths.GetProperty("/admin/users").GetProperty("get").GetProperty("description").GetString();
        Assert.Contains("gatehouse:admin.users", list);
        Assert.Contains("page_token", list);
        Assert.True(paths.GetProperty("/admin/users").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
    }

    [Fact]
    public async Task CreateUser_WithAPassword_CanSignIn_AndAnswersWithProfileFieldsOnly()
    {
        var email = AccountApi.NewEmail();

        var created = await AdminApi.ExpectAsync(
            await _admin.PostAsync("/admin/users", new { email, display_name = "Grace", password = Password, email_confirmed = true }), HttpStatusCode.Created);

        var id = created.GetProperty("id").GetGuid();
        Assert.Equal(email, created.GetProperty("email").GetString());
        Assert.Equal("Grace", created.GetProperty("display_name").GetString());
        Assert.Equal("active", created.GetProperty("status").GetString());
        Assert.True(created.GetProperty("email_confirmed").GetBoolean());
        Assert.True(created.GetProperty("has_password").GetBoolean());
        var text = created.GetRawText();
        Assert.DoesNotContain("hash", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("stamp", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("credential", text, StringComparison.OrdinalIgnoreCase);
        var pair = await _accounts.SignInAsync(email, Password);
        Assert.Equal(id.ToString(), ProtocolClient.Read(pair.AccessToken).Subject);
        var audit = Assert.Single(await AccountApi.AuditAsync(fixture.App, id, AuditEventTypes.UserCreated));
        Assert.Equal(AdminFixture.UsersAdmin, audit.ClientId);
    }

    [Fact]
    public async Task CreateUser_WithAWeakPassword_IsRefusedByTheSignUpPolicy_AndWritesNothing()
    {
        var email = AccountApi.NewEmail();

        using var response = await _admin.PostAsync("/admin/users", new { email, password = "password" });

        Assert.Equal("weak_password", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.BadRequest));
        var list = await AdminApi.ExpectAsync(await _admin.GetAsync("/admin/users?email=" + Uri.EscapeDataString(email)), HttpStatusCode.OK);
        Assert.Empty(list.GetProperty("users").EnumerateArray());
    }

    [Fact]
    public async Task CreateUser_WithATakenEmail_IsAConflict()
    {
        var email = AccountApi.NewEmail();
        await _admin.CreateUserAsync(email, Password);

        using var again = await _admin.PostAsync("/admin/users", new { email = email.ToUpperInvariant(), password = Password });

        Assert.Equal("email_taken", await AccountApi.ProblemCodeAsync(again, HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task CreateUser_SameEmailInParallel_CreatesOne_AndAnswersTheOthers409()
    {
        var email = AccountApi.NewEmail();

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var response = await _admin.PostAsync("/admin/users", new { email, password = Password });
            return response.StatusCode;
        }));

        Assert.Equal(1, answers.Count(status => status == HttpStatusCode.Created));
        Assert.All(answers.Where(status => status != HttpStatusCode.Created), status => Assert.Equal(HttpStatusCode.Conflict, status));
        var list = await AdminApi.ExpectAsync(await _admin.GetAsync("/admin/users?email=" + Uri.EscapeDataString(email)), HttpStatusCode.OK);
        Assert.Single(list.GetProperty("users").EnumerateArray());
    }

    [Fact]
    public async Task CreateUser_WithoutAPassword_EmailsACodeThatSetsThePasswordOnTheHostedPage()
    {
        var email = AccountApi.NewEmail();
        var created = await AdminApi.ExpectAsync(await _admin.PostAsync("/admin/users", new { email }), HttpStatusCode.Created);
        Assert.False(created.GetProperty("has_password").GetBoolean());
        Assert.False(created.GetProperty("email_confirmed").GetBoolean());

        var message = await TestMailbox.Shared.WaitForMessageAsync(email, "choose a password");
        var code = TestMailbox.ReadCode(message);
        var link = new Uri(ResetLink().Match(message.TextBody!).Value);
        Assert.DoesNotContain(code, created.GetRawText(), StringComparison.Ordinal);

        using var browser = BrowserFlow.For(fixture.App);
        using var page = await browser.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var done = await browser.SubmitAsync(link.PathAndQuery, html, new() { ["Code"] = code, ["NewPassword"] = Password });

        Assert.True(BrowserFlow.IsRedirect(done), $"expected a redirect to sign-in, got {(int)done.StatusCode}");
        await _accounts.SignInAsync(email, Password);
    }

    [Fact]
    public async Task GetUser_ByIdUnknownOrMalformed_AnswersWithTheUser404Or400()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password, "Ada");

        var user = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users/{id}"), HttpStatusCode.OK);
        using var unknown = await _admin.GetAsync($"/admin/users/{Guid.NewGuid()}");
        using var malformed = await _admin.GetAsync("/admin/users/not-a-guid");

        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal("user_not_found", await AccountApi.ProblemCodeAsync(unknown, HttpStatusCode.NotFound));
        Assert.Equal("invalid_request", await AccountApi.ProblemCodeAsync(malformed, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ListUsers_SearchesByEmailPrefixNameStatusAndRole_AndPagesWithoutGapsOrRepeats()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _admin.CreateUserAsync($"{tag}-{i}@example.com", Password, $"Member {tag} {i}"));
        }

        var seen = new List<Guid>();
        string? token = null;
        do
        {
            var page = await AdminApi.ExpectAsync(
                await _admin.GetAsync($"/admin/users?email={tag}&page_size=2" + (token is null ? "" : "&page_token=" + token)), HttpStatusCode.OK);
            var users = page.GetProperty("users").EnumerateArray().ToList();
            Assert.True(users.Count <= 2);
            seen.AddRange(users.Select(u => u.GetProperty("id").GetGuid()));
            token = page.GetProperty("next_page_token").GetString();
        }
        while (token is not null);

        Assert.Equal(ids.Order(), seen.Order());
        Assert.Equal(seen.Count, seen.Distinct().Count());

        var byName = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users?display_name=member%20{tag.ToUpperInvariant()}%203"), HttpStatusCode.OK);
        Assert.Equal(ids[3], Assert.Single(byName.GetProperty("users").EnumerateArray()).GetProperty("id").GetGuid());

        await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{ids[1]}/ban", new { reason = "spam" }), HttpStatusCode.OK);
        var banned = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users?email={tag}&status=banned"), HttpStatusCode.OK);
        Assert.Equal(ids[1], Assert.Single(banned.GetProperty("users").EnumerateArray()).GetProperty("id").GetGuid());
        var active = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users?email={tag}&status=active"), HttpStatusCode.OK);
        Assert.Equal(4, active.GetProperty("users").GetArrayLength());

        var role = "reviewer-" + tag;
        await AdminApi.ExpectAsync(await _admin.PostAsync("/admin/roles", new { name = role }), HttpStatusCode.Created);
        await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{ids[4]}/roles/{role}"), HttpStatusCode.NoContent);
        var withRole = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users?role={role}"), HttpStatusCode.OK);
        var holder = Assert.Single(withRole.GetProperty("users").EnumerateArray());
        Assert.Equal(ids[4], holder.GetProperty("id").GetGuid());
        Assert.Equal([role], holder.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task PatchUser_ChangesDisplayNameAndEmail_AndATakenEmailIsAConflict()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password, "Old name");
        var other = AccountApi.NewEmail();
        await _admin.CreateUserAsync(other, Password);

        var newEmail = AccountApi.NewEmail();
        var changed = await AdminApi.ExpectAsync(
            await _admin.SendAsync(HttpMethod.Patch, $"/admin/users/{id}", new { display_name = "New name", email = newEmail }), HttpStatusCode.OK);
        using var taken = await _admin.SendAsync(HttpMethod.Patch, $"/admin/users/{id}", new { email = other, display_name = "Not applied" });

        Assert.Equal("New name", changed.GetProperty("display_name").GetString());
        Assert.Equal(newEmail, changed.GetProperty("email").GetString());
        Assert.False(changed.GetProperty("email_confirmed").GetBoolean());
        Assert.Equal("email_taken", await AccountApi.ProblemCodeAsync(taken, HttpStatusCode.Conflict));
        var after = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users/{id}"), HttpStatusCode.OK);
        Assert.Equal("New name", after.GetProperty("display_name").GetString());
        Assert.Equal(newEmail, after.GetProperty("email").GetString());
        await _accounts.SignInAsync(newEmail, Password);
        Assert.NotEmpty(await AccountApi.AuditAsync(fixture.App, id, AuditEventTypes.UserUpdated));
    }

    [Fact]
    public async Task PatchUser_StatusBannedAndActive_BansAndLiftsTheBan()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);

        var banned = await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Patch, $"/admin/users/{id}", new { status = "banned" }), HttpStatusCode.OK);
        using (var refused = await _accounts.PostAsync("/auth/sign-in", new { email, password = Password }))
        {
            Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(refused, HttpStatusCode.Unauthorized));
        }

        var active = await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Patch, $"/admin/users/{id}", new { status = "active" }), HttpStatusCode.OK);

        Assert.Equal("banned", banned.GetProperty("status").GetString());
        Assert.Equal("active", active.GetProperty("status").GetString());
        await _accounts.SignInAsync(email, Password);
    }

    [Fact]
    public async Task DeleteUser_RemovesTheAccountAsTheAccountFlowDoes_AndKeepsOnlyTheIdInTheAudit()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password, "Doomed");
        var pair = await _accounts.SignInAsync(email, Password);

        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{id}"), HttpStatusCode.NoContent);

        using var gone = await _admin.GetAsync($"/admin/users/{id}");
        Assert.Equal("user_not_found", await AccountApi.ProblemCodeAsync(gone, HttpStatusCode.NotFound));
        using var again = await _admin.DeleteAsync($"/admin/users/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using var refresh = await _accounts.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken });
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        Assert.False(await _accounts.Http.IsActiveAsync(pair.AccessToken));
        var deleted = Assert.Single(await AccountApi.AuditAsync(fixture.App, id, AuditEventTypes.AccountDeleted));
        Assert.Equal(AdminFixture.UsersAdmin, deleted.ClientId);
        await TestMailbox.Shared.WaitForMessageAsync(email, "deleted");
    }

    [GeneratedRegex(@"http\S+/Account/ResetPassword\?flow=[0-9a-f-]+")]
    private static partial Regex ResetLink();
}
