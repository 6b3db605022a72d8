using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>
/// The signed-in user reads their own profile and changes its display name with a merge patch; the
/// change keeps every session, is audited, and a patch that changes nothing stores and records nothing.
/// </summary>
public sealed class ProfileTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "saffron-lantern-meadow-4412";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    [Fact]
    public async Task Get_ReturnsTheProfile_WithSortedRoles_AndNothingSecret()
    {
        var (user, pair) = await SignedInUserAsync();
        await GiveRolesAsync(user.Id, "zebra-keeper", "ant-watcher");

        var profile = await GetAsync(pair.AccessToken);

        Assert.Equal(user.Id.ToString(), profile.GetProperty("id").GetString());
        Assert.Equal(user.Email, profile.GetProperty("email").GetString());
        Assert.True(profile.GetProperty("email_verified").GetBoolean());
        Assert.Equal(JsonValueKind.Null, profile.GetProperty("display_name").ValueKind);
        Assert.True(profile.GetProperty("created_at").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
        Assert.Equal(["ant-watcher", "zebra-keeper"], profile.GetProperty("roles").EnumerateArray().Select(role => role.GetString()).ToArray());
        Assert.Equal(
            ["created_at", "display_name", "email", "email_verified", "id", "roles"],
            profile.EnumerateObject().Select(member => member.Name).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Patch_SetsTheNameNormalized_KeepsSessions_AndIsAudited()
    {
        var (user, pair) = await SignedInUserAsync();
        var other = await _api.SignInAsync(user.Email!, Password);
        var versionBefore = (await StoredAsync(user.Id)).CredentialVersion;

        // "e" and a combining acute accent: stored as the one precomposed letter, as sign-up stores it.
        using var response = await PatchAsync(pair.AccessToken, "{\"display_name\":\"Ren\\u0065\\u0301e Dupont\"}");

        var profile = await OkAsync(response);
        Assert.Equal("Ren\u00e9e Dupont", profile.GetProperty("display_name").GetString());
        Assert.Equal("Ren\u00e9e Dupont", (await GetAsync(pair.AccessToken)).GetProperty("display_name").GetString());
        var stored = await StoredAsync(user.Id);
        Assert.Equal("Ren\u00e9e Dupont", stored.DisplayName);
        Assert.Equal(versionBefore, stored.CredentialVersion);
        Assert.True(await _api.Http.IsActiveAsync(other.AccessToken));
        await _api.RefreshAsync(other.RefreshToken);
        var updated = Assert.Single(await AccountApi.AuditAsync(fixture.App, user.Id, AuditEventTypes.ProfileUpdated));
        Assert.Equal(user.Id, updated.ActorUserId);
        Assert.Equal(GatehouseApp.WebAppClient, updated.ClientId);
        Assert.Equal("display_name", updated.Reason);
    }

    [Fact]
    public async Task Patch_WithNull_ClearsTheName_AndAbsentLeavesIt()
    {
        var (user, pair) = await SignedInUserAsync();
        using (var set = await PatchAsync(pair.AccessToken, "{\"display_name\":\"Grace\"}"))
        {
            await OkAsync(set);
        }

        using (var absent = await PatchAsync(pair.AccessToken, "{}"))
        {
            Assert.Equal("Grace", (await OkAsync(absent)).GetProperty("display_name").GetString());
        }

        using var cleared = await PatchAsync(pair.AccessToken, "{\"display_name\":null}", "application/json");

        Assert.Equal(JsonValueKind.Null, (await OkAsync(cleared)).GetProperty("display_name").ValueKind);
        Assert.Null((await StoredAsync(user.Id)).DisplayName);
        Assert.Equal(2, (await AccountApi.AuditAsync(fixture.App, user.Id, AuditEventTypes.ProfileUpdated)).Count);
    }

    [Fact]
    public async Task APatchThatChangesNothing_WritesNothing_AndRecordsNothing()
    {
        var (user, pair) = await SignedInUserAsync();
        using (var set = await PatchAsync(pair.AccessToken, "{\"display_name\":\"Lin\"}"))
        {
            await OkAsync(set);
        }

        var stampBefore = (await StoredAsync(user.Id)).ConcurrencyStamp;

        foreach (var body in new[] { "{\"display_name\":\"Lin\"}", "{}" })
        {
            using var same = await PatchAsync(pair.AccessToken, body);
            Assert.Equal("Lin", (await OkAsync(same)).GetProperty("display_name").GetString());
        }

        Assert.Equal(stampBefore, (await StoredAsync(user.Id)).ConcurrencyStamp);
        Assert.Single(await AccountApi.AuditAsync(fixture.App, user.Id, AuditEventTypes.ProfileUpdated));
    }

    [Fact]
    public async Task Patch_WhenAnotherRequestChangesTheUserAtTheSameMoment_Is409_AndStoresNothing()
    {
        var race = new WhileUserIsWritten();
        await using var node = WhileUserIsWritten.Node(fixture.App, race);
        var (api, user, pair) = await WhileUserIsWritten.SignedInUserAsync(node, Password);

        race.ArmChangeElsewhere(node, user.Id);
        using var response = await api.SendAsync(HttpMethod.Patch, "/auth/profile", bearer: pair.AccessToken, rawJson: "{\"display_name\":\"Mine\"}");

        Assert.Equal("concurrent_change", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Conflict));
        Assert.True(race.Ran);
        Assert.Equal("Renamed meanwhile", (await StoredAsync(user.Id)).DisplayName);
        Assert.Empty(await AccountApi.AuditAsync(node, user.Id, AuditEventTypes.ProfileUpdated));

        // Tried again, the change holds.
        using var again = await api.SendAsync(HttpMethod.Patch, "/auth/profile", bearer: pair.AccessToken, rawJson: "{\"display_name\":\"Mine\"}");
        Assert.Equal("Mine", (await OkAsync(again)).GetProperty("display_name").GetString());
    }

    [Fact]
    public async Task Email_IsRefused_WithThePlaceWhereItIsChanged()
    {
        var (user, pair) = await SignedInUserAsync();

        using var response = await PatchAsync(pair.AccessToken, "{\"email\":\"new@example.com\",\"display_name\":\"Ola\"}");

        var problem = await ProblemAsync(response, "email");
        Assert.Contains("/auth/change-email", problem.GetProperty("detail").GetString());
        Assert.Null((await StoredAsync(user.Id)).DisplayName);
    }

    [Theory]
    [InlineData("{\"is_admin\":true}", "is_admin")]
    [InlineData("{\"roles\":[\"admin\"]}", "roles")]
    [InlineData("{\"display_name\":42}", "display_name")]
    [InlineData("{\"display_name\":true}", "display_name")]
    [InlineData("{\"display_name\":{}}", "display_name")]
    [InlineData("{\"display_name\":[\"x\"]}", "display_name")]
    [InlineData("{\"display_name\":\"a\\u0007b\"}", "display_name")]
    [InlineData("{\"display_name\":\"a\\u2028b\"}", "display_name")]
    [InlineData("{\"display_name\":\"\\ud800\"}", "display_name")]
    [InlineData("{\"display_name\":\"\\ufffd\"}", "display_name")]
    [InlineData("{\"display_name\":\"a\\u0378b\"}", "display_name")]
    [InlineData("{\"display_name\":\"x\",\"display_name\":\"y\"}", "display_name")]
    public async Task BadMembers_AreNamed_AndNothingIsStored(string body, string field)
    {
        var (user, pair) = await SignedInUserAsync();

        using var response = await PatchAsync(pair.AccessToken, body);

        await ProblemAsync(response, field);
        Assert.Null((await StoredAsync(user.Id)).DisplayName);
        Assert.Empty(await AccountApi.AuditAsync(fixture.App, user.Id, AuditEventTypes.ProfileUpdated));
    }

    [Fact]
    public async Task ANameLongerThanSignUpAllows_IsNamed()
    {
        var (_, pair) = await SignedInUserAsync();

        using var longest = await PatchAsync(pair.AccessToken, JsonSerializer.Serialize(new { display_name = new string('n', 100) }));
        using var tooLong = await PatchAsync(pair.AccessToken, JsonSerializer.Serialize(new { display_name = new string('n', 101) }));

        await OkAsync(longest);
        await ProblemAsync(tooLong, "display_name");
    }

    [Fact]
    public async Task SignUp_RefusesTheSameNames()
    {
        using var response = await _api.SendAsync(HttpMethod.Post, "/auth/sign-up",
            rawJson: "{\"email\":\"" + AccountApi.NewEmail() + "\",\"password\":\"" + Password + "\",\"display_name\":\"a\\u0378b\"}");

        await ProblemAsync(response, "display_name");
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"text\"")]
    [InlineData("{'display_name':'x'}")]
    [InlineData("")]
    public async Task MalformedBodies_Are400Problems(string body)
    {
        var (_, pair) = await SignedInUserAsync();

        using var response = await PatchAsync(pair.AccessToken, body);

        Assert.Equal("invalid_request", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task OversizedAndNonJsonBodies_Are4xxProblems()
    {
        var (_, pair) = await SignedInUserAsync();

        using var huge = await PatchAsync(pair.AccessToken, "{\"display_name\":\"" + new string('a', 64 * 1024) + "\"}");
        using var text = await PatchAsync(pair.AccessToken, "{\"display_name\":\"x\"}", "text/plain");

        Assert.Equal("payload_too_large", await AccountApi.ProblemCodeAsync(huge, HttpStatusCode.RequestEntityTooLarge));
        Assert.Equal("unsupported_media_type", await AccountApi.ProblemCodeAsync(text, HttpStatusCode.UnsupportedMediaType));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PATCH")]
    public async Task WithoutAValidAccessToken_TheCallIsRefused(string method)
    {
        var (user, pair) = await SignedInUserAsync();
        var body = method == "PATCH" ? "{\"display_name\":\"Mallory\"}" : null;

        using var none = await _api.SendAsync(new HttpMethod(method), "/auth/profile", rawJson: body);
        using var garbage = await _api.SendAsync(new HttpMethod(method), "/auth/profile", bearer: "not.a.token", rawJson: body);
        using var overlong = await _api.SendAsync(new HttpMethod(method), "/auth/profile", bearer: new string('a', 9000), rawJson: body);
        using var otherClient = await new AccountApi(_api.Http, GatehouseApp.MobileAppClient, secret: null)
            .SendAsync(new HttpMethod(method), "/auth/profile", bearer: pair.AccessToken, rawJson: body);

        foreach (var response in new[] { none, garbage, overlong, otherClient })
        {
            Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Unauthorized));
        }

        Assert.Null((await StoredAsync(user.Id)).DisplayName);
    }

    [Fact]
    public async Task WithoutTheClient_TheCallIsRefused()
    {
        var (_, pair) = await SignedInUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/profile");
        request.Headers.Authorization = new("Bearer", pair.AccessToken);

        using var response = await _api.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("invalid_client", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Unauthorized));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PATCH")]
    public async Task ATokenOfAnEndedSession_IsRefused(string method)
    {
        var (user, pair) = await SignedInUserAsync();
        var sessionId = ProtocolClient.Read(pair.AccessToken).Claims.Single(claim => claim.Type == "sid").Value;
        using (var ended = await _api.SendAsync(HttpMethod.Delete, "/auth/sessions/" + sessionId, bearer: pair.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        }

        using var response = await _api.SendAsync(new HttpMethod(method), "/auth/profile", bearer: pair.AccessToken,
            rawJson: method == "PATCH" ? "{\"display_name\":\"Ghost\"}" : null);

        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Unauthorized));
        Assert.Null((await StoredAsync(user.Id)).DisplayName);
    }

    private async Task<(GatehouseUser User, Pair Pair)> SignedInUserAsync()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        return (user, await _api.SignInAsync(email, Password));
    }

    private async Task<HttpResponseMessage> PatchAsync(string accessToken, string body, string mediaType = "application/merge-patch+json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/auth/profile") { Content = new StringContent(body, Encoding.UTF8, mediaType) };
        request.Headers.Add("X-Client-Id", GatehouseApp.WebAppClient);
        request.Headers.Add("X-Client-Secret", GatehouseApp.WebAppSecret);
        request.Headers.Authorization = new("Bearer", accessToken);
        return await _api.Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private async Task<JsonElement> GetAsync(string accessToken)
    {
        using var response = await _api.SendAsync(HttpMethod.Get, "/auth/profile", bearer: accessToken);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return await OkAsync(response);
    }

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected the profile, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal("invalid_request", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.BadRequest));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"the problem does not name '{field}': {problem}");
        Assert.StartsWith(field + ":", problem.GetProperty("detail").GetString());
        return problem;
    }

    private async Task<GatehouseUser> StoredAsync(Guid userId)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        return (await users.FindByIdAsync(userId.ToString()))!;
    }

    private async Task GiveRolesAsync(Guid userId, params string[] roles)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var roleManager = scope.ServiceProvider.GetRequiredService<RoleManager<GatehouseRole>>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        foreach (var role in roles.Where(role => !roleManager.Roles.Any(existing => existing.Name == role)))
        {
            await roleManager.CreateAsync(new GatehouseRole(role));
        }

        var added = await users.AddToRolesAsync((await users.FindByIdAsync(userId.ToString()))!, roles);
        Assert.True(added.Succeeded, string.Join("; ", added.Errors.Select(error => error.Description)));
    }
}

/// <summary>A name changed in the profile is what the next tokens and userinfo say.</summary>
public sealed class ProfileInTokensTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private const string Password = "copper-orchard-violet-2290";

    [Fact]
    public async Task AChangedName_ShowsInTheNextIdTokenAndInUserInfo()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);
        using var browser = BrowserFlow.For(fixture.App);
        var (code, _) = await browser.GetCodeAsync(
            browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid profile offline_access"), email: email, password: Password);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var first = await BrowserFlow.TokensAsync(redeemed);
        Assert.Equal(email, NameIn(first.GetProperty("id_token").GetString()!));

        var api = new AccountApi(fixture.App.CreateClient(), OidcFixture.WebClient, OidcFixture.WebSecret);
        var pair = await api.SignInAsync(email, Password);
        using (var patched = await api.SendAsync(HttpMethod.Patch, "/auth/profile", bearer: pair.AccessToken, rawJson: "{\"display_name\":\"Grace Hopper\"}"))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        using var refreshed = await browser.RefreshAsync(first.GetProperty("refresh_token").GetString()!, OidcFixture.WebClient, OidcFixture.WebSecret);
        var next = await BrowserFlow.TokensAsync(refreshed);
        Assert.Equal("Grace Hopper", NameIn(next.GetProperty("id_token").GetString()!));

        using var userInfo = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        userInfo.Headers.Authorization = new("Bearer", next.GetProperty("access_token").GetString());
        using var answer = await browser.Http.SendAsync(userInfo, TestContext.Current.CancellationToken);
        Assert.Equal("Grace Hopper", (await answer.ReadJsonAsync()).GetProperty("name").GetString());
    }

    private static string? NameIn(string idToken) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(idToken).TryGetPayloadValue<string>("name", out var name) ? name : null;
}
