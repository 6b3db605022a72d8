using Gatehouse.Identity.Configuration;
using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// A single-page app redeems its code, refreshes, revokes and reads UserInfo from the browser, so
/// those endpoints (and discovery) answer CORS requests, but only from the origins of the public
/// clients' registered redirect URIs. No cookies cross origins: credentials stay off.
/// </summary>
public static class BrowserClientCors
{
    public const string Policy = "gatehouse-browser-clients";

    private static readonly PathString[] Paths =
        ["/connect/token", "/connect/revoke", "/connect/userinfo", "/.well-known/openid-configuration", "/.well-known/jwks"];

    public static IServiceCollection AddBrowserClientCors(this IServiceCollection services, GatehouseOptions settings)
    {
        var origins = settings.Clients.Values
            .Where(client => client.Type == ClientKinds.Public)
            .SelectMany(client => client.RedirectUris)
            .Select(uri => Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme is "https" or "http"
                ? parsed.GetLeftPart(UriPartial.Authority)
                : null)
            .OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        services.AddCors(cors => cors.AddPolicy(Policy, policy => policy
            .SetIsOriginAllowed(origins.Contains)
            .WithMethods(HttpMethods.Get, HttpMethods.Post)
            .WithHeaders("Authorization", "Content-Type", "DPoP")
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        return services;
    }

    /// <summary>Runs before OpenIddict so that preflight requests are answered and answers carry the headers.</summary>
    public static IApplicationBuilder UseBrowserClientCors(this IApplicationBuilder app) =>
        app.UseWhen(context => Paths.Any(path => context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase)),
            branch => branch.UseCors(Policy));
}
