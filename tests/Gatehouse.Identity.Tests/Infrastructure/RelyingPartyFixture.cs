using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>
/// The identity service on a real Kestrel port, and beside it a small web app that signs its users
/// in with ASP.NET Core's own OpenIdConnect handler (code flow, PKCE, userinfo, RP-initiated logout)
/// and receives back-channel logout tokens. Also registers a public client for openid-client (Node).
/// </summary>
public sealed class RelyingPartyFixture : BrowserSession
{
    public const string NodeClient = "node-rp";
    public const string NodeRedirect = "https://node-rp.example/callback";
    public const string NodePostLogout = "https://node-rp.example/signed-out";

    private readonly int _webAppPort = FreePort();
    private WebApplication? _webApp;

    public Uri WebAppAddress => new($"http://127.0.0.1:{_webAppPort}/");

    /// <summary>Logout tokens the web app received on its back-channel URI.</summary>
    public ConcurrentQueue<string> LogoutTokens { get; } = new();

    protected override IReadOnlyDictionary<string, string?>? Overrides
    {
        get
        {
            var settings = new Dictionary<string, string?>(OidcFixture.BrowserClients(
                webRedirect: $"{WebAppAddress}signin-oidc",
                webLoggedOut: $"{WebAppAddress}signout-callback-oidc",
                backChannel: $"{WebAppAddress}backchannel-logout"))
            {
                [$"Gatehouse:Clients:{NodeClient}:DisplayName"] = "Node relying party",
                [$"Gatehouse:Clients:{NodeClient}:Type"] = "public",
                [$"Gatehouse:Clients:{NodeClient}:GrantTypes:0"] = "authorization_code",
                [$"Gatehouse:Clients:{NodeClient}:GrantTypes:1"] = "refresh_token",
                [$"Gatehouse:Clients:{NodeClient}:RedirectUris:0"] = NodeRedirect,
                [$"Gatehouse:Clients:{NodeClient}:PostLogoutRedirectUris:0"] = NodePostLogout,
                [$"Gatehouse:Clients:{NodeClient}:AccessTokenFormat"] = "reference",
                [$"Gatehouse:Clients:{NodeClient}:Scopes:0"] = "openid",
                [$"Gatehouse:Clients:{NodeClient}:Scopes:1"] = "profile",
                [$"Gatehouse:Clients:{NodeClient}:Scopes:2"] = "email",
                [$"Gatehouse:Clients:{NodeClient}:Scopes:3"] = "offline_access",
            };
            return settings;
        }
    }

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _webApp = BuildWebApp(BaseAddress);
        await _webApp.StartAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_webApp is not null)
        {
            await _webApp.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private WebApplication BuildWebApp(Uri authority)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(WebAppAddress.ToString());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAuthentication(auth =>
            {
                auth.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                auth.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie()
            .AddOpenIdConnect(oidc =>
            {
                oidc.Authority = authority.ToString();
                oidc.RequireHttpsMetadata = false;
                oidc.ClientId = OidcFixture.WebClient;
                oidc.ClientSecret = OidcFixture.WebSecret;
                oidc.ResponseType = OpenIdConnectResponseType.Code;
                oidc.UsePkce = true;
                oidc.SaveTokens = true; // the id_token_hint of RP-initiated logout
                oidc.GetClaimsFromUserInfoEndpoint = true;
                oidc.MapInboundClaims = false;
                oidc.Scope.Clear();
                foreach (var scope in new[] { "openid", "profile", "email", "offline_access" })
                {
                    oidc.Scope.Add(scope);
                }

                // Plain HTTP on loopback in tests: these cookies cannot be SameSite=None (that needs Secure).
                oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
                oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                oidc.NonceCookie.SameSite = SameSiteMode.Lax;
                oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            });
        builder.Services.AddAuthorization();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/", (ClaimsPrincipal user) => Results.Text(
            $"sub={user.FindFirstValue("sub")};email={user.FindFirstValue("email")};amr={user.FindFirstValue("amr")};sid={user.FindFirstValue("sid")}"))
            .RequireAuthorization();
        app.MapGet("/logout", () => Results.SignOut(new AuthenticationProperties { RedirectUri = "/signed-out" },
            [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]));
        app.MapGet("/signed-out", () => Results.Text("signed out of the web app"));
        app.MapPost("/backchannel-logout", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            LogoutTokens.Enqueue(form["logout_token"].ToString());
            return Results.Ok();
        }).DisableAntiforgery();
        return app;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
