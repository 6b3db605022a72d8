using System.Collections.Frozen;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// A single-page app redeems its code, refreshes, revokes and reads UserInfo from the browser, so
/// those endpoints (and discovery) answer CORS requests, but only from the origins of the public
/// clients' registered redirect URIs, whether configured or registered through the admin API. No
/// cookies cross origins: credentials stay off.
/// </summary>
public static class BrowserClientCors
{
    public const string Policy = "gatehouse-browser-clients";

    private static readonly PathString[] Paths =
        ["/connect/token", "/connect/revoke", "/connect/userinfo", "/.well-known/openid-configuration", "/.well-known/jwks"];

    public static IServiceCollection AddBrowserClientCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddSingleton<BrowserClientOrigins>();
        services.AddSingleton<ICorsPolicyProvider, BrowserClientCorsPolicyProvider>();
        return services;
    }

    /// <summary>Runs before OpenIddict so that preflight requests are answered and answers carry the headers.</summary>
    public static IApplicationBuilder UseBrowserClientCors(this IApplicationBuilder app) =>
        app.UseWhen(context => Paths.Any(path => context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase)),
            branch => branch.UseCors(Policy));

    /// <summary>The browser-client policy for one request: its origin is allowed if a public client registered it.</summary>
    private sealed class BrowserClientCorsPolicyProvider(BrowserClientOrigins origins, IOptions<CorsOptions> options) : ICorsPolicyProvider
    {
        public async Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName)
        {
            if (policyName != Policy)
            {
                return options.Value.GetPolicy(policyName ?? options.Value.DefaultPolicyName);
            }

            var origin = context.Request.Headers.Origin;
            var allowed = origin.Count == 1 && origin[0] is { Length: > 0 } value
                && await origins.IsAllowedAsync(value, context.RequestAborted);
            return new CorsPolicyBuilder()
                .WithOrigins(allowed ? [origin[0]!] : [])
                .WithMethods(HttpMethods.Get, HttpMethods.Post)
                .WithHeaders("Authorization", "Content-Type", "DPoP")
                .SetPreflightMaxAge(TimeSpan.FromHours(1))
                .Build();
        }
    }
}

/// <summary>
/// The origins of every public client's http(s) redirect URIs, read from the application store and
/// kept until a client changes on any node (<see cref="ClientRegistrationCache"/>'s invalidations) or
/// for <see cref="ClientRegistrationCache.Lifetime"/> at most.
/// </summary>
public sealed class BrowserClientOrigins(IServiceScopeFactory scopes, ClientRegistrationCache registrations, TimeProvider time)
{
    private Snapshot? _snapshot;

    public async ValueTask<bool> IsAllowedAsync(string origin, CancellationToken cancellationToken)
    {
        var generation = registrations.Generation;
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is null || snapshot.Generation != generation || time.GetTimestamp() >= snapshot.ExpiresAt)
        {
            snapshot = new Snapshot(
                await LoadAsync(cancellationToken),
                generation,
                time.GetTimestamp() + (long)(ClientRegistrationCache.Lifetime.TotalSeconds * time.TimestampFrequency));
            Volatile.Write(ref _snapshot, snapshot);
        }

        return snapshot.Origins.Contains(origin);
    }

    private async Task<FrozenSet<string>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var origins = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            var descriptor = new OpenIddictApplicationDescriptor();
            await applications.PopulateAsync(descriptor, application, cancellationToken);
            origins.UnionWith(ClientRegistration.CorsOrigins(ClientRegistration.FromDescriptor(descriptor)));
        }

        return origins.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    private sealed record Snapshot(FrozenSet<string> Origins, long Generation, long ExpiresAt);
}
