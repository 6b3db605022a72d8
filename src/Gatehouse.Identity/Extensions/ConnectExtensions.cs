using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Revocation;
using Gatehouse.Identity.Security;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Extensions;

internal static class ConnectExtensions
{
    /// <summary>The OAuth 2.0 / OpenID Connect server: OpenIddict on the EF Core stores.</summary>
    public static IServiceCollection AddGatehouseConnect(this IServiceCollection services, GatehouseOptions settings)
    {
        services.AddSingleton<ServerKeyRing>();
        services.AddSingleton<SigningKeyReload>();
        services.AddSingleton<ServerKeyMaintenance>();
        services.AddHostedService(provider => provider.GetRequiredService<ServerKeyMaintenance>());
        services.AddSingleton<VerifiedSecretCache>();
        services.AddSingleton<ScopeResourceCatalog>();
        services.AddSingleton<TokenMetrics>();
        services.AddSingleton<ClientRegistrationCache>();
        services.AddSingleton<ClientCredentialsFastPathState>();
        services.AddSingleton<ClientAuthenticationThrottle>();
        services.AddSingleton<SessionRevocations>();
        services.AddSingleton<CredentialUseCounter>();
        services.AddHostedService(provider => provider.GetRequiredService<CredentialUseCounter>());
        services.AddHostedService<DecideAtStartup<ClientCredentialsFastPathSettings>>(provider =>
            new(provider.GetRequiredService<ClientCredentialsFastPathState>()));
        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ServerKeyRingOptionsSetup>();

        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<GatehouseDbContext>();
                core.ReplaceApplicationManager(typeof(GatehouseApplicationManager<>));
                core.ReplaceAuthorizationManager(typeof(GatehouseAuthorizationManager<>));
            })
            .AddServer(server =>
            {
                if (settings.Issuer is { Length: > 0 } issuer)
                {
                    server.SetIssuer(new Uri(issuer, UriKind.Absolute));
                }

                server.SetTokenEndpointUris("connect/token")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetRevocationEndpointUris("connect/revoke")
                    .SetAuthorizationEndpointUris("connect/authorize")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .SetUserInfoEndpointUris("connect/userinfo");

                server.AllowClientCredentialsFlow();
                BrowserFlows.Configure(server, settings);

                // RFC 9068 JWT access tokens: signed, readable by every resource server, short-lived.
                server.DisableAccessTokenEncryption();
                server.SetAccessTokenLifetime(settings.Tokens.AccessTokenLifetime);

                server.RegisterScopes([.. settings.Scopes.Keys, .. GatehouseOptionsValidator.StandardScopes]);
                server.RegisterResources([.. settings.Clients.Values
                    .SelectMany(client => client.Resources)
                    .Distinct(StringComparer.Ordinal)
                    .Select(resource => new Uri(resource, UriKind.Absolute))]);

                server.AddEventHandler(ClientCredentialsGrant.Descriptor);
                server.AddEventHandler(SkipAccessTokenEntry.Descriptor);
                server.AddEventHandler(RejectDeniedAccessTokens.Descriptor);
                server.RemoveEventHandler(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor);
                server.AddEventHandler(RevokeTokenOrDenylistAccessToken.Descriptor);
                ClientAuthenticationAudit.Configure(server);
                server.AddEventHandler(SessionIdInAccessTokens.Descriptor);

                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableErrorPassthrough();
                if (!settings.RequireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            })
            // The service's own APIs (feeds) accept its access tokens, checked against its own keys and denylist.
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
            });

        // The built-in revocation handler is still used, for stored tokens, from ours.
        services.AddScoped<OpenIddictServerHandlers.Revocation.RevokeToken>();
        BrowserFlows.AddServices(services);
        services.AddBrowserClientCors();
        return services;
    }

    /// <summary>The endpoints Gatehouse answers itself after OpenIddict has validated the request.</summary>
    public static IEndpointRouteBuilder MapConnectEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapUserInfo();
        return endpoints;
    }
}
