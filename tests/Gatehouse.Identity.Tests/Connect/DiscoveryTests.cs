using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Connect;

public sealed class DiscoveryTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private readonly HttpClient _http = fixture.App.CreateClient();

    [Fact]
    public async Task Discovery_AnnouncesEndpointsAndOnlyTheSupportedGrants()
    {
        var document = await GetJsonAsync("/.well-known/openid-configuration");

        Assert.Equal("http://localhost/", document.GetProperty("issuer").GetString());
        Assert.Equal("http://localhost/connect/token", document.GetProperty("token_endpoint").GetString());
        Assert.Equal("http://localhost/connect/introspect", document.GetProperty("introspection_endpoint").GetString());
        Assert.Equal("http://localhost/connect/revoke", document.GetProperty("revocation_endpoint").GetString());
        Assert.Equal("http://localhost/.well-known/jwks", document.GetProperty("jwks_uri").GetString());
        var grants = document.GetProperty("grant_types_supported").EnumerateArray().Select(grant => grant.GetString()).ToArray();
        Assert.Equal(["authorization_code", "client_credentials", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"], grants.Order());
        Assert.Equal(["S256"], document.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(method => method.GetString()));
        Assert.Equal(["code"], document.GetProperty("response_types_supported").EnumerateArray().Select(type => type.GetString()));
        Assert.True(document.GetProperty("authorization_response_iss_parameter_supported").GetBoolean());
        Assert.DoesNotContain("password", grants);
        Assert.DoesNotContain("implicit", grants);
    }

    [Fact]
    public async Task Jwks_PublishesThePublicSigningKeyOnly()
    {
        var jwks = await GetJsonAsync("/.well-known/jwks");

        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.False(key.TryGetProperty("d", out _), "the private part must never be published");
    }

    [Fact]
    public async Task Jwks_KeyIdMatchesTheKidInIssuedTokens()
    {
        var jwks = await GetJsonAsync("/.well-known/jwks");
        var token = ProtocolClient.Read(await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));

        Assert.Contains(token.Kid, jwks.GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString()));
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.ReadJsonAsync();
    }
}
