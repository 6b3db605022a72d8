using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Connect;

public sealed class ClientCredentialsTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private readonly HttpClient _http = fixture.App.CreateClient();

    [Fact]
    public async Task Token_ForConfiguredClient_IsAnRfc9068JwtSignedWithEs256()
    {
        var token = ProtocolClient.Read(await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read"));

        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal("ES256", token.Alg);
        Assert.False(string.IsNullOrEmpty(token.Kid));
        Assert.Equal(GatehouseApp.OrdersClient, token.Subject);
        Assert.Equal(GatehouseApp.OrdersClient, token.GetClaim("client_id").Value);
        Assert.Equal(["images-api"], token.Audiences);
        Assert.Equal("images.read", token.GetClaim("scope").Value);
        Assert.False(string.IsNullOrEmpty(token.Id), "every access token carries a jti");
        Assert.Equal(TimeSpan.FromMinutes(5), token.ValidTo - token.IssuedAt);
        Assert.Equal("http://localhost/", token.Issuer);
    }

    [Fact]
    public async Task Token_WithSeveralScopes_HasTheUnionOfTheirAudiences()
    {
        var token = ProtocolClient.Read(await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "reports images.read"));

        Assert.Equal(["images-api", "orders-api"], token.Audiences.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Token_WithoutScope_GrantsEveryScopeTheClientIsAllowed()
    {
        var token = ProtocolClient.Read(await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));

        Assert.Equal(["images.read", "reports"], token.GetClaim("scope").Value.Split(' ').Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Token_WithResourceIndicator_HasThatResourceAsAudienceAndTheClientsLifetime()
    {
        using var response = await _http.RequestClientCredentialsAsync(GatehouseApp.BillingClient, GatehouseApp.BillingSecret, resources: GatehouseApp.BillingResource);
        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var token = ProtocolClient.Read(body.GetProperty("access_token").GetString()!);
        Assert.Equal([GatehouseApp.BillingResource], token.Audiences);
        Assert.Equal(TimeSpan.FromMinutes(2), token.ValidTo - token.IssuedAt);
    }

    [Fact]
    public async Task Token_WithScopeTheClientMayNotUse_IsRefused()
    {
        using var response = await _http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "orders.read");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_WithUnknownScope_IsRefused()
    {
        using var response = await _http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "no.such.scope");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_scope", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_WithUnregisteredResource_IsRefused()
    {
        using var response = await _http.RequestClientCredentialsAsync(GatehouseApp.BillingClient, GatehouseApp.BillingSecret, resources: "https://elsewhere.example.com/");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_target", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_WithNoScopeNorResource_IsRefusedBecauseItWouldHaveNoAudience()
    {
        // billing-service has no scopes, only a resource: without 'resource' its token would have no aud.
        using var response = await _http.RequestClientCredentialsAsync(GatehouseApp.BillingClient, GatehouseApp.BillingSecret);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ReadJsonAsync();
        Assert.Equal("invalid_scope", error.GetProperty("error").GetString());
        Assert.Contains("audience", error.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task Token_WithWrongSecret_IsInvalidClient()
    {
        using var response = await _http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, "not-the-secret-at-all");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_AfterAGoodSecret_StillRefusesAWrongOne()
    {
        // The verified-secret cache must not turn one success into a pass for other secrets.
        await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
        using var response = await _http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret + "x");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Token_ForUnknownClient_IsInvalidClient()
    {
        using var response = await _http.RequestClientCredentialsAsync("nobody", "whatever-secret-value");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_WithSecretInTheForm_IsAcceptedToo()
    {
        using var response = await _http.PostFormAsync("/connect/token",
        [
            new("grant_type", "client_credentials"),
            new("client_id", GatehouseApp.OrdersClient),
            new("client_secret", GatehouseApp.OrdersSecret),
        ]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("password")]
    [InlineData("implicit")]
    [InlineData("urn:ietf:params:oauth:grant-type:device_code")]
    public async Task Token_WithGrantOtherThanClientCredentials_IsRefused(string grant)
    {
        using var response = await _http.PostFormAsync("/connect/token",
        [
            new("grant_type", grant),
            new("username", "admin@localhost"),
            new("password", "whatever"),
            new("code", "x"),
            new("device_code", "x"),
        ], ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unsupported_grant_type", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_ResponseIsNotCacheable()
    {
        using var response = await _http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);

        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
    }
}
