using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>
/// The identity service on a real Kestrel socket, and a separate resource server that validates its
/// tokens with ASP.NET Core's own JwtBearer handler, fetching discovery and JWKS over HTTP.
/// </summary>
public sealed class RealSocketTests : IAsyncLifetime
{
    private TestStorage? _storage;
    private GatehouseApp? _identity;
    private WebApplication? _resourceServer;

    private GatehouseApp Identity => _identity!;

    public async ValueTask InitializeAsync()
    {
        _storage = await TestStorage.CreateAsync();
        _identity = new GatehouseApp(_storage);
        _identity.UseKestrel(0);
        _identity.StartServer();
        _resourceServer = await StartResourceServerAsync(Identity.ClientOptions.BaseAddress);
    }

    [Fact]
    public async Task Token_IssuedOverASocket_IsAcceptedByAnIndependentJwtBearerValidator()
    {
        var http = Identity.CreateClient();
        Assert.StartsWith("http://127.0.0.1:", http.BaseAddress!.ToString());
        var token = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var response = await CallResourceServerAsync(token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(GatehouseApp.OrdersClient, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Token_ForAnotherAudience_IsRefusedByTheValidator()
    {
        var token = await Identity.CreateClient().GetAccessTokenAsync(GatehouseApp.ImagesApiClient, GatehouseApp.ImagesApiSecret, "orders.read");

        using var response = await CallResourceServerAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Token_WithAlteredSignature_IsRefusedByTheValidator()
    {
        var token = await Identity.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        var forged = token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA");

        using var response = await CallResourceServerAsync(forged);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<HttpResponseMessage> CallResourceServerAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Authorization = new("Bearer", token);
        return await _resourceServer!.GetTestClient().SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<WebApplication> StartResourceServerAsync(Uri authority)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.Authority = authority.ToString();
            jwt.RequireHttpsMetadata = false;
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidAudience = "images-api",
                ValidTypes = ["at+jwt"],
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            };
        });
        builder.Services.AddAuthorization();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", (HttpContext context) => context.User.FindFirst("sub")!.Value).RequireAuthorization();
        await app.StartAsync();
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_resourceServer is not null)
        {
            await _resourceServer.DisposeAsync();
        }

        if (_identity is not null)
        {
            await _identity.DisposeAsync();
        }

        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }
}
