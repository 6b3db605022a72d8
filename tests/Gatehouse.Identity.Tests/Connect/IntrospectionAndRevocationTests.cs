using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Connect;

public sealed class IntrospectionAndRevocationTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private readonly HttpClient _http = fixture.App.CreateClient();

    [Fact]
    public async Task Introspection_ByTheTokensAudience_ReportsItActiveWithItsClaims()
    {
        var token = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        var answer = await IntrospectAsync(token);

        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal(GatehouseApp.OrdersClient, answer.GetProperty("sub").GetString());
        Assert.Equal(GatehouseApp.OrdersClient, answer.GetProperty("client_id").GetString());
        Assert.Equal("images.read", answer.GetProperty("scope").GetString());
        Assert.Equal("access_token", answer.GetProperty("token_usage").GetString());
    }

    [Fact]
    public async Task Introspection_OfGarbage_ReportsInactive()
    {
        var answer = await IntrospectAsync("not-a-token");

        Assert.False(answer.GetProperty("active").GetBoolean());
        Assert.Single(answer.EnumerateObject());
    }

    [Fact]
    public async Task Introspection_OfATamperedToken_ReportsInactive()
    {
        var token = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        var parts = token.Split('.');
        var payload = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]).Replace("images.read", "images.write");
        var tampered = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload)}.{parts[2]}";

        Assert.False((await IntrospectAsync(tampered)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Introspection_ByClientWithoutThePermission_IsRefused()
    {
        var token = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var response = await _http.PostFormAsync("/connect/introspect", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unauthorized_client", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Introspection_WithoutClientAuthentication_IsRefused()
    {
        var token = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var response = await _http.PostFormAsync("/connect/introspect", [new("token", token)]);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, response.StatusCode.ToString());
        Assert.Equal("invalid_client", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Revocation_OfAnAccessToken_MakesIntrospectionReportItInactiveAtOnce()
    {
        var token = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        Assert.True((await IntrospectAsync(token)).GetProperty("active").GetBoolean());

        using var revoked = await _http.PostFormAsync("/connect/revoke",
            [new("token", token), new("token_type_hint", "access_token")],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.False((await IntrospectAsync(token)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Revocation_OfAnotherClientsToken_DoesNotRevokeIt()
    {
        var token = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var response = await _http.PostFormAsync("/connect/revoke", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.BillingClient, GatehouseApp.BillingSecret));

        // RFC 7009 §2.2: the answer does not tell the caller whether the token existed; it stays valid.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await IntrospectAsync(token)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Revocation_OfAnUnknownToken_AnswersOkAsRfc7009Requires()
    {
        using var response = await _http.PostFormAsync("/connect/revoke", [new("token", "no-such-token")],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Revocation_WithWrongSecret_IsInvalidClient()
    {
        var token = await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var response = await _http.PostFormAsync("/connect/revoke", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, "wrong-secret-for-orders"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await response.ReadJsonAsync()).GetProperty("error").GetString());
        Assert.True((await IntrospectAsync(token)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task AccessTokens_AreNotWrittenToTheDatabase()
    {
        await _http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        await using var scope = fixture.App.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictTokenManager>();
        Assert.Equal(0, await tokens.CountAsync(TestContext.Current.CancellationToken));
    }

    private async Task<System.Text.Json.JsonElement> IntrospectAsync(string token)
    {
        using var response = await _http.PostFormAsync("/connect/introspect", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.ImagesApiClient, GatehouseApp.ImagesApiSecret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }
}
