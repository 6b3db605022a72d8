using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Accounts;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>GET /admin/audit: newest first, filtered, paged; every admin action names the acting client.</summary>
public sealed class AuditApiTests(UsersAdminFixture fixture) : IClassFixture<UsersAdminFixture>
{
    private const string Password = "plum-orbit-canyon-4471";
    private readonly UsersAdminCalls _admin = new(fixture.App.CreateClient());

    private async Task<List<JsonElement>> EventsAsync(string query)
    {
        await fixture.App.Services.GetRequiredService<AuditLog>().FlushAsync(TestContext.Current.CancellationToken);
        var page = await UsersAdminCalls.ExpectAsync(await _admin.GetAsync("/admin/audit?" + query), HttpStatusCode.OK);
        return [.. page.GetProperty("events").EnumerateArray()];
    }

    [Fact]
    public async Task Audit_OfAUser_ListsTheAdminActionsNewestFirst_NamingTheActingClient()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);
        await UsersAdminCalls.ExpectAsync(await _admin.SendAsync(HttpMethod.Patch, $"/admin/users/{id}", new { display_name = "Renamed" }), HttpStatusCode.OK);
        await UsersAdminCalls.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/ban", new { reason = "spam" }), HttpStatusCode.OK);
        await UsersAdminCalls.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{id}"), HttpStatusCode.NoContent);

        var events = await EventsAsync($"user_id={id}");

        Assert.Equal([AuditEventTypes.AccountDeleted, AuditEventTypes.AccountBanned, AuditEventTypes.UserUpdated, AuditEventTypes.UserCreated],
            events.Select(e => e.GetProperty("type").GetString()));
        Assert.All(events, e => Assert.Equal(UsersAdminFixture.AdminClient, e.GetProperty("client_id").GetString()));
        Assert.DoesNotContain(email, string.Join(" ", events.Select(e => e.GetRawText())), StringComparison.OrdinalIgnoreCase);
        var ids = events.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
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
        var all = await EventsAsync($"client_id={UsersAdminFixture.AdminClient}&type={AuditEventTypes.UserCreated}&since={since}&page_size=200");
        Assert.Superset(ids.Select(id => id.ToString()).ToHashSet(), all.Select(e => e.GetProperty("user_id").GetString()!).ToHashSet());

        var seen = new List<long>();
        string? token = null;
        do
        {
            await fixture.App.Services.GetRequiredService<AuditLog>().FlushAsync(TestContext.Current.CancellationToken);
            var page = await UsersAdminCalls.ExpectAsync(await _admin.GetAsync(
                $"/admin/audit?type={AuditEventTypes.UserCreated}&since={since}&page_size=2" + (token is null ? "" : "&page_token=" + token)), HttpStatusCode.OK);
            var events = page.GetProperty("events").EnumerateArray().ToList();
            Assert.True(events.Count <= 2);
            seen.AddRange(events.Select(e => e.GetProperty("id").GetInt64()));
            token = page.GetProperty("next_page_token").GetString();
        }
        while (token is not null);

        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(all.Count(e => e.GetProperty("type").GetString() == AuditEventTypes.UserCreated), seen.Count);
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

        var problem = await UsersAdminCalls.ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.GetRawText());
    }
}
