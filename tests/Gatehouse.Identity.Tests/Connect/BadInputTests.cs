using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>Every protocol endpoint answers hostile or broken input with an OAuth error and a 4xx.</summary>
public sealed class BadInputTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    public static TheoryData<string> Endpoints => ["/connect/token", "/connect/introspect", "/connect/revoke"];

    private readonly HttpClient _http = fixture.App.CreateClient();

    [Fact]
    public async Task Token_WithoutGrantType_IsInvalidRequest()
    {
        using var response = await _http.PostFormAsync("/connect/token", [new("scope", "images.read")],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));

        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Token_WithEmptyBody_IsInvalidRequest()
    {
        using var response = await SendAsync("/connect/token", new ByteArrayContent([]), "application/x-www-form-urlencoded");

        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithDuplicatedParameter_IsInvalidRequest(string endpoint)
    {
        using var response = await _http.PostFormAsync(endpoint,
        [
            new("grant_type", "client_credentials"),
            new("grant_type", "client_credentials"),
            new("token", "a"),
            new("token", "b"),
        ], ProtocolClient.Basic(GatehouseApp.ImagesApiClient, GatehouseApp.ImagesApiSecret));

        var error = await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains("more than once", error);
    }

    [Fact]
    public async Task Token_WithDuplicatedClientIdInQuery_IsInvalidRequest()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token?client_id=a&client_id=b")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithJsonBody_IsInvalidRequest(string endpoint)
    {
        using var response = await SendAsync(endpoint,
            new StringContent("""{"grant_type":"client_credentials","token":"x"}""", Encoding.UTF8), "application/json");

        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithOversizedBody_IsRefusedWith413(string endpoint)
    {
        var huge = "grant_type=client_credentials&token=x&scope=" + new string('a', 64 * 1024);

        using var response = await SendAsync(endpoint, new StringContent(huge, Encoding.ASCII), "application/x-www-form-urlencoded");

        await AssertOAuthErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "invalid_request");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithOversizedChunkedBody_IsRefusedWith413(string endpoint)
    {
        var content = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes("grant_type=client_credentials&scope=" + new string('a', 64 * 1024))));
        content.Headers.ContentLength = null;

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertOAuthErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "invalid_request");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithMalformedFormBody_AnswersAnOAuthErrorNot500(string endpoint)
    {
        using var response = await SendAsync(endpoint,
            new ByteArrayContent([0x25, 0xff, 0xfe, 0x3d, 0x26, 0x26, 0x3d, 0x3d, 0x00, 0x25, 0x7a]), "application/x-www-form-urlencoded");

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.True((await response.ReadJsonAsync()).TryGetProperty("error", out _));
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithUnknownClient_IsInvalidClient(string endpoint)
    {
        using var response = await _http.PostFormAsync(endpoint,
            [new("grant_type", "client_credentials"), new("token", "x")],
            ProtocolClient.Basic("ghost", "ghost-secret-ghost-secret"));

        await AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithGarbledBasicCredentials_IsAnOAuthError(string endpoint)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("token", "x")]),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Basic %%%not-base64%%%");
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.InRange((int)response.StatusCode, 400, 401);
        Assert.True((await response.ReadJsonAsync()).TryGetProperty("error", out _));
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithGet_IsRefused(string endpoint)
    {
        using var response = await _http.GetAsync(endpoint + "?grant_type=client_credentials&token=x", TestContext.Current.CancellationToken);

        Assert.InRange((int)response.StatusCode, 400, 405);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithMissingToken_IsInvalidRequest(string endpoint)
    {
        if (endpoint == "/connect/token")
        {
            return; // covered by Token_WithoutGrantType_IsInvalidRequest
        }

        using var response = await _http.PostFormAsync(endpoint, [new("token_type_hint", "access_token")],
            ProtocolClient.Basic(GatehouseApp.ImagesApiClient, GatehouseApp.ImagesApiSecret));

        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    private async Task<HttpResponseMessage> SendAsync(string endpoint, HttpContent content, string contentType)
    {
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = content };
        request.Headers.Authorization = ProtocolClient.Basic(GatehouseApp.ImagesApiClient, GatehouseApp.ImagesApiSecret);
        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<string> AssertOAuthErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var body = await response.ReadJsonAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(error, body.GetProperty("error").GetString());
        return body.TryGetProperty("error_description", out var description) ? description.GetString() ?? "" : "";
    }
}
