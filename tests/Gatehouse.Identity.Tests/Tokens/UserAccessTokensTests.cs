using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;
using Gatehouse.Identity.Tokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Identity.Tests.Tokens;

/// <summary>
/// The account API's access tokens, written directly, are the tokens OpenIddict's pipeline makes for the
/// same input: the same header, the same payload character for character except the random <c>jti</c>.
/// </summary>
public sealed class UserAccessTokensTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private static readonly Uri BaseUri = new("http://localhost/");

    /// <summary>Roles, scopes and audiences of a token: none, one and several of each.</summary>
    private static readonly Dictionary<string, (string[] Roles, string[] Scopes, string[] Audiences)> Inputs = new()
    {
        ["no role"] = ([], ["images.read"], ["images-api"]),
        ["one role"] = (["editor"], ["images.read"], ["images-api"]),
        ["two roles"] = (["editor", "reviewer"], ["images.read"], ["images-api"]),
        ["three roles, two scopes, two audiences"] = (["editor", "reviewer", "billing"], ["images.read", "reports"], ["images-api", "orders-api"]),
        ["roles but no scope and no audience"] = (["editor", "reviewer"], [], []),
        ["characters JSON escapes"] = (["rédacteur \"en chef\"", "<admin>&'\\"], ["images.read"], ["https://billing.example.com/"]),
    };

    public static TheoryData<string> InputNames => [.. Inputs.Keys];

    [Fact]
    public void DirectPath_IsActiveInTheDefaultConfiguration()
    {
        // A new handler of OpenIddict's GenerateTokenContext switches the direct path off; this test is
        // the reminder to list it as known (or teach the writer) instead of losing the path unnoticed.
        var state = fixture.App.Services.GetRequiredService<AccountTokensFastPathState>();

        Assert.True(state.Reasons.Count == 0, string.Join("; ", state.Reasons));
        Assert.True(state.IsActive);
    }

    [Theory]
    [MemberData(nameof(InputNames))]
    public async Task DirectToken_IsTheTokenOpenIddictMakes(string name)
    {
        var (roles, scopes, audiences) = Inputs[name];
        var client = new AccountClient(GatehouseApp.WebAppClient, scopes, audiences, TimeSpan.FromMinutes(7));
        var userId = Guid.NewGuid();
        var sessionId = Guid.NewGuid();
        // A cut-off in the future: the direct token is issued at it, so both tokens have the same iat.
        var issuedAt = DateTimeOffset.UtcNow.AddSeconds(30);
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<UserAccessTokens>();
        using var counter = new GrantCounter(fixture.App.Services, TokenMetrics.AccountTokensInstrument);

        var direct = await tokens.IssueAsync(BaseUri, userId, roles, client, sessionId, issuedAt, TestContext.Current.CancellationToken);
        var standard = await tokens.GenerateAsync(BaseUri, userId, roles, client, sessionId, issuedAt, TestContext.Current.CancellationToken);

        Assert.Equal(1, counter.Fast);
        Assert.Equal(1, counter.Standard);
        Assert.Equal(standard.ExpiresAt, direct.ExpiresAt);
        Assert.Equal(Part(standard.Token, 0), Part(direct.Token, 0));

        var directClaims = Claims(direct.Token);
        var standardClaims = Claims(standard.Token);
        Assert.True(Guid.TryParse(directClaims["jti"].GetString(), out _), "jti is a GUID, as OpenIddict makes it");
        Assert.NotEqual(standardClaims["jti"].GetString(), directClaims["jti"].GetString());
        Assert.Equal(issuedAt.ToUnixTimeSeconds(), directClaims["iat"].GetInt64());
        Assert.Equal(
            Part(standard.Token, 1).Replace(standardClaims["jti"].GetString()!, "jti", StringComparison.Ordinal),
            Part(direct.Token, 1).Replace(directClaims["jti"].GetString()!, "jti", StringComparison.Ordinal));

        var verified = await tokens.VerifyAsync(BaseUri, direct.Token, TestContext.Current.CancellationToken);
        Assert.NotNull(verified);
        Assert.Equal((userId, GatehouseApp.WebAppClient, (Guid?)sessionId), (verified.UserId, verified.ClientId, verified.SessionId));
    }

    [Fact]
    public async Task SignIn_GivesADirectToken_ThatTheAccountApiIntrospectionAndUserInfoAccept()
    {
        const string password = "copper-harbour-violet-2207";
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, password);
        var http = fixture.App.CreateClient();
        using var counter = new GrantCounter(fixture.App.Services, TokenMetrics.AccountTokensInstrument);

        var pair = await new AccountApi(http).SignInAsync(email, password);

        Assert.Equal(1, counter.Fast);
        Assert.Equal(0, counter.Standard);
        await AssertAcceptedAsync(http, pair.AccessToken, user.Id);
    }

    /// <summary>The token is accepted where the service checks tokens: the account API, introspection and userinfo.</summary>
    internal static async Task AssertAcceptedAsync(HttpClient http, string token, Guid userId)
    {
        using (var profile = await new AccountApi(http).SendAsync(HttpMethod.Get, "/auth/profile", bearer: token))
        {
            Assert.True(profile.IsSuccessStatusCode, $"the account API refused the token: {(int)profile.StatusCode}");
        }

        Assert.True(await http.IsActiveAsync(token), "introspection says the token is not active");

        using var userInfo = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        userInfo.Headers.Authorization = new("Bearer", token);
        using var answer = await http.SendAsync(userInfo, TestContext.Current.CancellationToken);
        Assert.Equal(userId.ToString(), (await answer.ReadJsonAsync()).GetProperty("sub").GetString());
    }

    private static string Part(string token, int index) =>
        Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(token.Split('.')[index]));

    private static Dictionary<string, JsonElement> Claims(string token)
    {
        using var document = JsonDocument.Parse(Part(token, 1));
        return document.RootElement.EnumerateObject().ToDictionary(claim => claim.Name, claim => claim.Value.Clone());
    }
}
