using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>GET /admin/audit: newest first, filtered, paged; every admin action names the acting client and administrator.</summary>
public sealed class AuditApiTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private const string Password = "plum-orbit-canyon-4471";
    private readonly AdminApi _admin = new(fixture.App.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);

    private async Task<List<JsonElement>> EventsAsync(string query)
    {
        await fixture.App.Services.GetRequiredService<AuditLog>().FlushAsync(TestContext.Current.CancellationToken);
        var page = await AdminApi.ExpectAsync(await _admin.GetAsync("/admin/audit?" + query), HttpStatusCode.OK);
        return [.. page.GetProperty("events").EnumerateArray()];
    }

    [Fact]
    public async Task Audit_OfAUser_ListsTheAdminActionsNewestFirst_NamingTheActingClient()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);
        await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Patch, $"/admin/users/{id}", new { display_name = "Renamed" }), HttpStatusCode.OK);
        await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/ban", new { reason = "spam" }), HttpStatusCode.OK);
        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{id}"), HttpStatusCode.NoContent);

        var events = await EventsAsync($"user_id={id}");

        Assert.Equal([AuditEventTypes.AccountDeleted, AuditEventTypes.AccountBanned, AuditEventTypes.UserUpdated, AuditEventTypes.UserCreated],
            events.Select(e => e.GetProperty("type").GetString()));
        Assert.All(events, e => Assert.Equal(AdminFixture.UsersAdmin, e.GetProperty("client_id").GetString()));
        Assert.DoesNotContain(email, string.Join(" ", events.Select(e => e.GetRawText())), StringComparison.OrdinalIgnoreCase);
        var ids = events.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
    }

    [Fact]
    public async Task AdminAction_ByAPersonThroughTheCodeFlow_IsAuditedUnderTheClientAndTheAdministrator()
    {
        using var browser = BrowserFlow.For(fixture.App);
        var (code, _) = await browser.GetCodeAsync(
            browser.AuthorizeUrl(AdminFixture.AdminWeb, AdminFixture.AdminWebRedirect, "openid gatehouse:admin.users"),
            consent: false, OidcFixture.UserEmail, OidcFixture.UserPassword);
        var tokens = await BrowserFlow.TokensAsync(await browser.RedeemAsync(code, AdminFixture.AdminWeb, AdminFixture.AdminWebRedirect, AdminFixture.AdminWebSecret));
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        var administrator = Guid.Parse(ProtocolClient.Read(accessToken).Subject);
        var person = fixture.App.CreateClient();
        person.DefaultRequestHeaders.Authorization = new("Bearer", accessToken);

        using var created = await person.PostAsJsonAsync("/admin/users", new { email = AccountApi.NewEmail() }, TestContext.Current.CancellationToken);
        var id = (await AdminApi.ExpectAsync(created, HttpStatusCode.Created)).GetProperty("id").GetGuid();

        var audit = Assert.Single(await EventsAsync($"user_id={id}&type={AuditEventTypes.UserCreated}"));
        Assert.Equal(AdminFixture.AdminWeb, audit.GetProperty("client_id").GetString());
        Assert.Equal(administrator, audit.GetProperty("actor_user_id").GetGuid());
    }

    [Fact]
    public async Task Audit_FiltersByClientTypeAndTime_AndPagesWithoutGapsOrRepeats()
    {
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _admin.CreateUserAsync(AccountApi.NewEmail(), Password));
        }

        var since = Uri.EscapeDataString(from.ToString("O"));
        var all = await EventsAsync($"client_id={AdminFixture.UsersAdmin}&type={AuditEventTypes.UserCreated}&since={since}&page_size=200");
        Assert.Superset(ids.Select(id => id.ToString()).ToHashSet(), all.Select(e => e.GetProperty("user_id").GetString()!).ToHashSet());

        // Other tests create users at the same time, so the pages are checked against this test's own
        // events: each appears exactly once (no repeats) and none is missing (no gaps).
        var until = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddSeconds(1).ToString("O"));
        var seen = new List<long>();
        var seenUsers = new List<string>();
        string? token = null;
        do
        {
            await fixture.App.Services.GetRequiredService<AuditLog>().FlushAsync(TestContext.Current.CancellationToken);
            var page = await AdminApi.ExpectAsync(await _admin.GetAsync(
                $"/admin/audit?type={AuditEventTypes.UserCreated}&since={since}&until={until}&page_size=2" + (token is null ? "" : "&page_token=" + token)), HttpStatusCode.OK);
            var events = page.GetProperty("events").EnumerateArray().ToList();
            Assert.True(events.Count <= 2);
            seen.AddRange(events.Select(e => e.GetProperty("id").GetInt64()));
            seenUsers.AddRange(events.Select(e => e.GetProperty("user_id").GetString()!));
            token = page.GetProperty("next_page_token").GetString();
        }
        while (token is not null);

        Assert.Equal(seen.Distinct().Count(), seen.Count);
        foreach (var id in ids)
        {
            Assert.Single(seenUsers, user => user == id.ToString());
        }

        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        Assert.Empty(await EventsAsync($"since={future}"));
        Assert.Empty(await EventsAsync($"client_id=nobody-{Guid.NewGuid():N}"));
    }

    [Theory]
    [InlineData("user_id=123", "user_id")]
    [InlineData("since=yesterday", "since")]
    [InlineData("until=2020-13-45", "until")]
    [InlineData("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until")]
    [InlineData("page_size=1001", "page_size")]
    [InlineData("page_token=-5", "page_token")]
    [InlineData("page_token=abc", "page_token")]
    public async Task Audit_WithABadQuery_IsA400NamingTheParameter(string query, string parameter)
    {
        using var response = await _admin.GetAsync("/admin/audit?" + query);

        await AdminApi.ExpectNamedAsync(response, parameter);
    }
}
