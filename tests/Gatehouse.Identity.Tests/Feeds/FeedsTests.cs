using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Tests.Feeds;

public sealed class FeedsFixture : GatehouseFixture
{
    public const string FeedClient = "feed-reader";
    public const string FeedSecret = "feed-reader-secret-0000001";

    protected override IReadOnlyDictionary<string, string?> Overrides => new Dictionary<string, string?>
    {
        [$"Gatehouse:Clients:{FeedClient}:Secret"] = FeedSecret,
        [$"Gatehouse:Clients:{FeedClient}:GrantTypes:0"] = "client_credentials",
        [$"Gatehouse:Clients:{FeedClient}:Scopes:0"] = "gatehouse:revocations",
        [$"Gatehouse:Clients:{FeedClient}:Scopes:1"] = "gatehouse:events",
    };
}

/// <summary>The revocation and user feeds: who may read them, what they say, and bad input.</summary>
public sealed class FeedsTests(FeedsFixture fixture) : IClassFixture<FeedsFixture>
{
    private readonly HttpClient _http = fixture.App.CreateClient();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await _http.SendAsync(request, Cancel);
    }

    private Task<string> FeedTokenAsync(string scope) =>
        _http.GetAccessTokenAsync(FeedsFixture.FeedClient, FeedsFixture.FeedSecret, scope);

    [Theory]
    [InlineData("/feeds/revocations")]
    [InlineData("/feeds/users?after=0")]
    [InlineData("/feeds/users/snapshot")]
    public async Task Feed_WithoutAToken_IsUnauthorized(string path)
    {
        using var response = await GetAsync(path, null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Feed_WithATokenLackingItsScope_IsForbidden()
    {
        var token = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var revocations = await GetAsync("/feeds/revocations", token);
        using var users = await GetAsync("/feeds/users/snapshot", token);

        Assert.Equal(HttpStatusCode.Forbidden, revocations.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
    }

    [Fact]
    public async Task RevocationFeed_ListsARevokedToken_AfterTheCursor()
    {
        var token = await FeedTokenAsync("gatehouse:revocations");
        var start = await ReadAsync(await GetAsync("/feeds/revocations", token));
        var revoked = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        using (var revoke = await _http.PostFormAsync("/connect/revoke", [new("token", revoked)], ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret)))
        {
            revoke.EnsureSuccessStatusCode();
        }

        var page = await ReadAsync(await GetAsync("/feeds/revocations?wait=5&after=" + start.GetProperty("cursor").GetString(), token));

        var jti = ProtocolClient.Read(revoked).Id;
        Assert.Contains(page.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "token" && e.GetProperty("jti").GetString() == jti);
    }

    [Fact]
    public async Task UserFeed_FollowsCreationProfileChangeAndDeletion_AndRevokesOnStampChange()
    {
        var token = await FeedTokenAsync("gatehouse:events gatehouse:revocations");
        var cursor = (await ReadAsync(await GetAsync("/feeds/users/snapshot", token))).GetProperty("cursor").GetString();
        var revocationCursor = (await ReadAsync(await GetAsync("/feeds/revocations", token))).GetProperty("cursor").GetString();

        await using var scope = fixture.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var email = $"ann-{Guid.NewGuid():N}@example.com";
        var user = new GatehouseUser { UserName = email, Email = email, DisplayName = "Ann" };
        Assert.True((await users.CreateAsync(user, "a-long-passphrase-1")).Succeeded);
        user.DisplayName = "Ann B.";
        Assert.True((await users.UpdateAsync(user)).Succeeded);
        Assert.True((await users.UpdateSecurityStampAsync(user)).Succeeded);
        Assert.True((await users.DeleteAsync(user)).Succeeded);

        var changes = await ReadAsync(await GetAsync($"/feeds/users?after={cursor}", token));
        var mine = changes.GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("user").GetProperty("id").GetString() == user.Id.ToString()).ToList();
        Assert.Equal(["user.created", "user.updated", "user.deleted"], mine.Select(e => e.GetProperty("type").GetString()).Distinct());
        Assert.Contains(mine, e => e.GetProperty("user").TryGetProperty("display_name", out var name) && name.GetString() == "Ann B.");
        var text = changes.GetRawText();
        Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("stamp", text, StringComparison.OrdinalIgnoreCase);

        var revocations = await ReadAsync(await GetAsync($"/feeds/revocations?after={revocationCursor}", token));
        Assert.Contains(revocations.GetProperty("events").EnumerateArray(),
            e => e.GetProperty("kind").GetString() == "subject" && e.GetProperty("sub").GetString() == user.Id.ToString());
    }

    [Theory]
    [InlineData(UserStatus.Banned, "user.updated")]
    [InlineData(UserStatus.Deleted, "user.deleted")]
    public async Task StatusChange_RevokesTheUsersTokens_AndDeletionLeavesTheFeed(UserStatus status, string published)
    {
        var token = await FeedTokenAsync("gatehouse:events gatehouse:revocations");
        var cursor = (await ReadAsync(await GetAsync("/feeds/users/snapshot", token))).GetProperty("cursor").GetString();
        var revocationCursor = (await ReadAsync(await GetAsync("/feeds/revocations", token))).GetProperty("cursor").GetString();
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var email = $"cy-{Guid.NewGuid():N}@example.com";
        var user = new GatehouseUser { UserName = email, Email = email, DisplayName = "Cy" };
        Assert.True((await users.CreateAsync(user, "a-long-passphrase-3")).Succeeded);

        user.Status = status;
        user.DisplayName = "Cy (gone)";
        Assert.True((await users.UpdateAsync(user)).Succeeded);

        var revocations = await ReadAsync(await GetAsync($"/feeds/revocations?after={revocationCursor}", token));
        Assert.Contains(revocations.GetProperty("events").EnumerateArray(),
            e => e.GetProperty("kind").GetString() == "subject" && e.GetProperty("sub").GetString() == user.Id.ToString());
        var changes = await ReadAsync(await GetAsync($"/feeds/users?after={cursor}", token));
        var last = changes.GetProperty("events").EnumerateArray().Last(e => e.GetProperty("user").GetProperty("id").GetString() == user.Id.ToString());
        Assert.Equal(published, last.GetProperty("type").GetString());
        var snapshot = await ReadAsync(await GetAsync("/feeds/users/snapshot", token));
        Assert.Equal(status != UserStatus.Deleted, snapshot.GetProperty("users").EnumerateArray().Any(u => u.GetProperty("id").GetString() == user.Id.ToString()));
    }

    [Fact]
    public async Task UserSnapshot_HoldsProfilesOnly()
    {
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
            var email = $"bob-{Guid.NewGuid():N}@example.com";
            Assert.True((await users.CreateAsync(new GatehouseUser { UserName = email, Email = email, DisplayName = "Bob" }, "a-long-passphrase-2")).Succeeded);
        }

        var snapshot = await ReadAsync(await GetAsync("/feeds/users/snapshot", await FeedTokenAsync("gatehouse:events")));

        var bob = snapshot.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("display_name").GetString() == "Bob");
        Assert.Equal(["id", "display_name", "email", "picture"], bob.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Bob", bob.GetProperty("display_name").GetString());
    }

    [Theory]
    [InlineData("/feeds/revocations?after=not-a-cursor", "invalid_cursor")]
    [InlineData("/feeds/revocations?wait=99", "invalid_wait")]
    [InlineData("/feeds/revocations?wait=-1", "invalid_wait")]
    [InlineData("/feeds/revocations?after=1&after=2", "duplicate_parameter")]
    [InlineData("/feeds/users", "missing_cursor")]
    [InlineData("/feeds/users/snapshot?after_user=x", "invalid_parameter")]
    public async Task Feed_WithBadParameters_IsABadRequestThatSaysWhy(string path, string code)
    {
        var token = await FeedTokenAsync("gatehouse:events gatehouse:revocations");

        using var response = await GetAsync(path, token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await response.ReadJsonAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task UserFeed_CursorFromAnotherRun_IsGone()
    {
        Assert.SkipWhen(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null, "Redis keeps its stream across runs");
        var token = await FeedTokenAsync("gatehouse:events");

        using var response = await GetAsync("/feeds/users?after=987654321", token);

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Equal("cursor_expired", (await response.ReadJsonAsync()).GetProperty("code").GetString());
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Cancel)}");
            return await response.ReadJsonAsync();
        }
    }
}
