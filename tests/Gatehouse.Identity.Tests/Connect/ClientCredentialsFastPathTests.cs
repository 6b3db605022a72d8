using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>Two nodes on one storage: one with the fast path (the default), one with it switched off.</summary>
public sealed class FastAndStandardNodes : IAsyncLifetime
{
    private TestStorage? _storage;

    public GatehouseApp Fast { get; private set; } = null!;

    public GatehouseApp Standard { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _storage = await TestStorage.CreateAsync();
        Fast = new GatehouseApp(_storage);
        _ = Fast.Server;
        Standard = new GatehouseApp(_storage, new Dictionary<string, string?> { [TokenOptions.ClientCredentialsFastPathKey] = "false" });
        _ = Standard.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await Fast.DisposeAsync();
        await Standard.DisposeAsync();
        await _storage!.DisposeAsync();
    }
}

/// <summary>
/// The fast path answers exactly as the OpenIddict pipeline does: the same token, claim by claim, the
/// same response, and the same errors for bad requests.
/// </summary>
public sealed class ClientCredentialsFastPathTests(FastAndStandardNodes nodes) : IClassFixture<FastAndStandardNodes>
{
    /// <summary>Token requests the fast path serves once the client's secret has been verified.</summary>
    private static readonly Dictionary<string, Func<HttpRequestMessage>> Grants = new()
    {
        ["one scope"] = () => TokenRequest([new("grant_type", "client_credentials"), new("scope", "images.read")], Basic()),
        ["several scopes, asked in another order than stored"] = () =>
            TokenRequest([new("grant_type", "client_credentials"), new("scope", "reports images.read")], Basic()),
        ["no scope (every allowed scope)"] = () => TokenRequest([new("grant_type", "client_credentials")], Basic()),
        ["resource indicator, client lifetime"] = () => TokenRequest(
            [new("grant_type", "client_credentials"), new("resource", GatehouseApp.BillingResource)],
            ProtocolClient.Basic(GatehouseApp.BillingClient, GatehouseApp.BillingSecret)),
        ["secret in the form"] = () => TokenRequest(
        [
            new("grant_type", "client_credentials"), new("scope", "images.read"),
            new("client_id", GatehouseApp.OrdersClient), new("client_secret", GatehouseApp.OrdersSecret),
        ]),
        ["lower-case basic scheme"] = () =>
        {
            var request = TokenRequest([new("grant_type", "client_credentials"), new("scope", "images.read")]);
            request.Headers.TryAddWithoutValidation("Authorization", "basic " + Basic().Parameter);
            return request;
        },
    };

    /// <summary>Requests that must get the same answer (mostly an error) with or without the fast path.</summary>
    private static readonly Dictionary<string, Func<HttpRequestMessage>> Others = new()
    {
        ["wrong secret"] = () => TokenRequest([new("grant_type", "client_credentials")],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret + "x")),
        ["unknown client"] = () => TokenRequest([new("grant_type", "client_credentials")],
            ProtocolClient.Basic("nobody-here", GatehouseApp.OrdersSecret)),
        ["scope the client may not use"] = () => TokenRequest([new("grant_type", "client_credentials"), new("scope", "orders.read")], Basic()),
        ["unknown scope"] = () => TokenRequest([new("grant_type", "client_credentials"), new("scope", "images.read no.such.scope")], Basic()),
        ["repeated scope name"] = () => TokenRequest([new("grant_type", "client_credentials"), new("scope", "images.read images.read")], Basic()),
        ["double space between scopes"] = () => TokenRequest([new("grant_type", "client_credentials"), new("scope", "images.read  reports")], Basic()),
        ["empty scope"] = () => TokenRequest([new("grant_type", "client_credentials"), new("scope", "")], Basic()),
        ["unregistered resource"] = () => TokenRequest(
            [new("grant_type", "client_credentials"), new("resource", "https://elsewhere.example.com/")],
            ProtocolClient.Basic(GatehouseApp.BillingClient, GatehouseApp.BillingSecret)),
        ["resource the client may not use"] = () => TokenRequest(
            [new("grant_type", "client_credentials"), new("resource", GatehouseApp.BillingResource)], Basic()),
        ["no audience"] = () => TokenRequest([new("grant_type", "client_credentials")],
            ProtocolClient.Basic(GatehouseApp.BillingClient, GatehouseApp.BillingSecret)),
        ["secret in the header and the form"] = () => TokenRequest(
            [new("grant_type", "client_credentials"), new("client_secret", GatehouseApp.OrdersSecret)], Basic()),
        ["client id in the form differs from the header"] = () => TokenRequest(
            [new("grant_type", "client_credentials"), new("client_id", GatehouseApp.BillingClient)], Basic()),
        ["bearer instead of basic"] = () =>
        {
            var request = TokenRequest([new("grant_type", "client_credentials")]);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "abc");
            return request;
        },
        ["basic without a colon"] = () =>
        {
            var request = TokenRequest([new("grant_type", "client_credentials")]);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes(GatehouseApp.OrdersClient)));
            return request;
        },
        ["no client authentication"] = () => TokenRequest([new("grant_type", "client_credentials"), new("client_id", GatehouseApp.OrdersClient)]),
        ["unknown grant type"] = () => TokenRequest([new("grant_type", "password"), new("username", "a"), new("password", "b")], Basic()),
        ["grant type in another case"] = () => TokenRequest([new("grant_type", "Client_Credentials")], Basic()),
        ["an extra parameter"] = () => TokenRequest([new("grant_type", "client_credentials"), new("audience", "images-api")], Basic()),
        ["client id in the query string"] = () =>
        {
            var request = TokenRequest([new("grant_type", "client_credentials")], Basic());
            request.RequestUri = new Uri("/connect/token?client_id=" + GatehouseApp.OrdersClient, UriKind.Relative);
            return request;
        },
        ["proof-of-possession header"] = () =>
        {
            var request = TokenRequest([new("grant_type", "client_credentials"), new("scope", "images.read")], Basic());
            request.Headers.TryAddWithoutValidation("DPoP", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
            return request;
        },
        ["multipart form"] = () =>
        {
            var request = TokenRequest([], Basic());
            request.Content = new MultipartFormDataContent { { new StringContent("client_credentials"), "grant_type" } };
            return request;
        },
    };

    public static TheoryData<string> GrantNames => [.. Grants.Keys];

    public static TheoryData<string> OtherNames => [.. Others.Keys];

    [Fact]
    public void FastPath_IsActiveInTheDefaultConfiguration()
    {
        // A new OpenIddict handler on the token request switches the fast path off; this test is the
        // reminder to teach it the handler (or list it as known) instead of losing it unnoticed.
        var state = nodes.Fast.Services.GetRequiredService<ClientCredentialsFastPathState>();

        Assert.Empty(state.Reasons);
        Assert.True(state.IsActive);
    }

    [Fact]
    public void FastPath_SwitchedOffInConfiguration_IsInactive()
    {
        var state = nodes.Standard.Services.GetRequiredService<ClientCredentialsFastPathState>();

        Assert.False(state.IsActive);
        Assert.Contains(state.Reasons, reason => reason.Contains(TokenOptions.ClientCredentialsFastPathKey));
    }

    [Theory]
    [MemberData(nameof(GrantNames))]
    public async Task FastPath_IssuesTheSameTokenAndResponseAsOpenIddict(string grant)
    {
        using var fastGrants = new GrantCounter(nodes.Fast.Services);
        using var standardGrants = new GrantCounter(nodes.Standard.Services);
        var fastHttp = nodes.Fast.CreateClient();
        (await SendAsync(fastHttp, Grants[grant]())).Response.Dispose(); // a first secret is verified by OpenIddict

        var fastBefore = fastGrants.Fast;
        var (fastResponse, fast) = await SendAsync(fastHttp, Grants[grant]());
        var (standardResponse, standard) = await SendAsync(nodes.Standard.CreateClient(), Grants[grant]());
        using var disposeFast = fastResponse;
        using var disposeStandard = standardResponse;

        Assert.Equal(fastBefore + 1, fastGrants.Fast);
        Assert.Equal(1, standardGrants.Standard);
        Assert.Equal(0, standardGrants.Fast);
        Assert.Equal(HttpStatusCode.OK, standardResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fastResponse.StatusCode);

        // The response: the same members in the same order, the same headers.
        Assert.Equal(Names(standard), Names(fast));
        Assert.Equal(standard.GetProperty("token_type").GetString(), fast.GetProperty("token_type").GetString());
        Assert.Equal(Optional(standard, "scope"), Optional(fast, "scope"));
        Assert.InRange(fast.GetProperty("expires_in").GetInt64(), standard.GetProperty("expires_in").GetInt64() - 2, standard.GetProperty("expires_in").GetInt64() + 2);
        Assert.Equal(standardResponse.Headers.CacheControl?.ToString(), fastResponse.Headers.CacheControl?.ToString());
        Assert.Equal(standardResponse.Headers.Pragma.ToString(), fastResponse.Headers.Pragma.ToString());
        Assert.Equal(standardResponse.Content.Headers.Expires, fastResponse.Content.Headers.Expires);
        Assert.Equal(standardResponse.Content.Headers.ContentType?.ToString(), fastResponse.Content.Headers.ContentType?.ToString());

        // The token: the same header and claims; only the id and times of issue may differ.
        var fastToken = fast.GetProperty("access_token").GetString()!;
        var standardToken = standard.GetProperty("access_token").GetString()!;
        var fastJwt = new JsonWebToken(fastToken);
        var standardJwt = new JsonWebToken(standardToken);
        Assert.Equal(standardJwt.Alg, fastJwt.Alg);
        Assert.Equal(standardJwt.Kid, fastJwt.Kid);
        Assert.Equal(standardJwt.Typ, fastJwt.Typ);

        var fastClaims = Payload(fastToken);
        var standardClaims = Payload(standardToken);
        Assert.Equal(standardClaims.Keys.Order(StringComparer.Ordinal), fastClaims.Keys.Order(StringComparer.Ordinal));
        foreach (var (claim, value) in standardClaims.Where(claim => claim.Key is not ("jti" or "iat" or "exp")))
        {
            Assert.True(JsonElement.DeepEquals(value, fastClaims[claim]), $"claim {claim}: {value} (standard) against {fastClaims[claim]} (fast)");
        }

        Assert.Equal(
            standardClaims["exp"].GetInt64() - standardClaims["iat"].GetInt64(),
            fastClaims["exp"].GetInt64() - fastClaims["iat"].GetInt64());
        Assert.InRange(fastClaims["iat"].GetInt64(), standardClaims["iat"].GetInt64() - 5, standardClaims["iat"].GetInt64() + 5);
        Assert.True(Guid.TryParse(fastClaims["jti"].GetString(), out _), "jti is a GUID, as OpenIddict makes it");
        Assert.NotEqual(standardClaims["jti"].GetString(), fastClaims["jti"].GetString());

        await AssertSignedWithPublishedKeyAsync(fastToken, fastJwt.Audiences);
    }

    [Theory]
    [MemberData(nameof(OtherNames))]
    public async Task FastPath_AnswersOtherRequestsAsOpenIddictDoes(string name)
    {
        // Warm both nodes' secret caches, so that a fast path that skipped a check would show here.
        foreach (var node in new[] { nodes.Fast, nodes.Standard })
        {
            await node.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
            using var billing = await node.CreateClient().RequestClientCredentialsAsync(
                GatehouseApp.BillingClient, GatehouseApp.BillingSecret, resources: GatehouseApp.BillingResource);
            billing.EnsureSuccessStatusCode();
        }

        var (fastResponse, fast) = await SendAsync(nodes.Fast.CreateClient(), Others[name]());
        var (standardResponse, standard) = await SendAsync(nodes.Standard.CreateClient(), Others[name]());
        using var disposeFast = fastResponse;
        using var disposeStandard = standardResponse;

        Assert.Equal(standardResponse.StatusCode, fastResponse.StatusCode);
        Assert.Equal(Optional(standard, "error"), Optional(fast, "error"));
        Assert.Equal(Optional(standard, "error_description"), Optional(fast, "error_description"));
        Assert.Equal(standardResponse.Headers.WwwAuthenticate.ToString(), fastResponse.Headers.WwwAuthenticate.ToString());
        Assert.Equal(Names(standard), Names(fast));
        if (standardResponse.StatusCode != HttpStatusCode.OK)
        {
            Assert.InRange((int)fastResponse.StatusCode, 400, 499);
        }
    }

    private static HttpRequestMessage TokenRequest(IEnumerable<KeyValuePair<string, string>> form, AuthenticationHeaderValue? authorization = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = authorization;
        return request;
    }

    private static AuthenticationHeaderValue Basic() => ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        {
            var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            return (response, await response.ReadJsonAsync());
        }
    }

    private static string[] Names(JsonElement body) => [.. body.EnumerateObject().Select(member => member.Name)];

    private static string? Optional(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) ? value.ToString() : null;

    private static Dictionary<string, JsonElement> Payload(string token)
    {
        using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.Split('.')[1]));
        return document.RootElement.EnumerateObject().ToDictionary(claim => claim.Name, claim => claim.Value.Clone());
    }

    private async Task AssertSignedWithPublishedKeyAsync(string token, IEnumerable<string> audiences)
    {
        var jwks = await nodes.Standard.CreateClient().GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
            ValidIssuer = "http://localhost/",
            ValidAudiences = audiences,
            ValidTypes = ["at+jwt"],
        });

        Assert.True(result.IsValid, $"the fast path's token does not validate: {result.Exception?.Message}");
    }
}
