using Gatehouse.ResourceServer.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace Gatehouse.ResourceServer.Tests.Infrastructure;

/// <summary>A service that uses the kit, as a team would write it, hosted in memory.</summary>
public sealed class ResourceServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ResourceServerHost(WebApplication app)
    {
        _app = app;
        Client = app.GetTestClient();
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ResourceServerHost> StartAsync(Action<GatehouseResourceServerOptions> configure, Action<WebApplication>? map = null, Action<WebApplicationBuilder>? build = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddGatehouseResourceServer(configure);
        build?.Invoke(builder);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", (HttpContext context) => context.User.FindFirst("sub")!.Value).RequireAuthorization();
        app.MapGet("/images", () => "images").RequireScope("images:read");
        app.MapGet("/images/write", () => "written").RequireScope("images:write");
        app.MapGet("/admin", () => "admin").RequireRole("admin");
        app.MapHealthChecks("/health");
        map?.Invoke(app);
        await app.StartAsync();
        return new ResourceServerHost(app);
    }

    /// <summary>A service trusting <paramref name="authority"/>, with no revocation feed unless configured.</summary>
    public static Task<ResourceServerHost> StartTrustingAsync(
        TestAuthority authority,
        Action<GatehouseResourceServerOptions>? configure = null,
        Action<WebApplication>? map = null,
        Action<WebApplicationBuilder>? build = null) =>
        StartAsync(
            o =>
            {
                o.Authority = authority.Address;
                o.Audience = TestAuthority.Audience;
                o.RequireHttpsMetadata = false;
                o.Revocation.Disabled = true;
                configure?.Invoke(o);
            },
            map,
            build);

    public async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Waits until the service's revocation feed reader has been answered once (its health turns from
    /// degraded to healthy), so that what a test times afterwards is propagation, not the reader's start.
    /// </summary>
    public Task<TimeSpan> FeedConnectedAsync() => Eventually.HoldsAsync(async () =>
    {
        using var health = await GetAsync("/health", null);
        return await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken) == "Healthy";
    }, "the revocation feed reader is connected", TimeSpan.FromSeconds(60));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
