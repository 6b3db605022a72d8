using System.Globalization;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// The OpenID Connect flows for people: authorization code with PKCE (S256 only), rotating refresh
/// tokens, token exchange, end-session. Implicit, hybrid and password grants are never enabled.
/// </summary>
public static class BrowserFlows
{
    /// <summary>Authorization codes are single-use and live a minute at most.</summary>
    public static readonly TimeSpan AuthorizationCodeLifetime = TimeSpan.FromSeconds(60);

    public static void Configure(OpenIddictServerBuilder server, GatehouseOptions settings)
    {
        server.AllowAuthorizationCodeFlow()
            .AllowRefreshTokenFlow()
            .AllowTokenExchangeFlow()
            .RequireProofKeyForCodeExchange()
            .SetAuthorizationCodeLifetime(AuthorizationCodeLifetime)
            .SetRefreshTokenLifetime(settings.Tokens.RefreshTokenLifetime)
            // No grace period: a refresh token presented a second time revokes its whole family.
            .SetRefreshTokenReuseLeeway(TimeSpan.Zero);

        server.Configure(options =>
        {
            options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain);
            // Only access tokens are exchanged (opaque for JWT); ID and refresh tokens are not bearer credentials for APIs.
            options.SubjectTokenTypes.IntersectWith([TokenTypeIdentifiers.AccessToken]);
        });

        server.AddEventHandler(AllowFormPostScript.Descriptor);
        server.AddEventHandler(ReferenceAccessTokensPerClient.Descriptor);
        server.AddEventHandler(RevokeAuthorizationOnReplay.Descriptor);
        server.AddEventHandler(RejectAccessTokensOfRevokedGrants.Descriptor);
        server.AddEventHandler(UserGrantCheck.Descriptor);
        server.AddEventHandler(TokenExchangeGrant.Descriptor);
        server.RemoveEventHandler(Exchange.ValidateAuthorizedParty.Descriptor);
        server.AddEventHandler(TokenExchangePartyCheck.Descriptor);
        JwtIntrospection.Configure(server);
    }

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<Exchange.ValidateAuthorizedParty>();
        services.AddHttpContextAccessor();
        services.AddScoped<AuthorizationFlow>();
        services.AddScoped<SessionTermination>();
        // Each attempt has its own timeout (Gatehouse:BackChannelLogout:Timeout); this one only bounds it.
        services.AddHttpClient(BackChannelLogout.HttpClientName, http => http.Timeout = TimeSpan.FromMinutes(2))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddScoped<BackChannelLogout>();
        services.AddSingleton<BackChannelLogoutOutbox>();
        services.AddHostedService(provider => provider.GetRequiredService<BackChannelLogoutOutbox>());
        JwtIntrospection.AddServices(services);
    }
}

/// <summary>Claims Gatehouse keeps inside codes and refresh tokens; they never reach a token a client can read.</summary>
public static class GatehouseClaims
{
    /// <summary>The user's security stamp at sign-in: a changed password or a ban ends the refresh-token family.</summary>
    public const string SecurityStamp = "gh_stamp";

    /// <summary>Unix seconds when the refresh-token family began (its absolute lifetime counts from here).</summary>
    public const string FamilyStart = "gh_family_start";

    public static string StampDigest(string? stamp) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stamp ?? "")));
}

/// <summary>
/// A client configured with <c>AccessTokenFormat: reference</c> gets opaque access tokens (the payload
/// stays in the database). The format is read from <see cref="ClientRegistrationCache"/>, which every node
/// empties when a client changes, so issuing a token costs no database query for it.
/// </summary>
public sealed class ReferenceAccessTokensPerClient(ClientRegistrationCache registrations) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<ReferenceAccessTokensPerClient>()
            .SetOrder(SkipAccessTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (context.TokenType != TokenTypeIdentifiers.AccessToken || string.IsNullOrEmpty(context.ClientId))
        {
            return;
        }

        var registration = await registrations.GetAsync(context.ClientId, context.CancellationToken);
        if (registration is { ReceivesReferenceAccessTokens: true })
        {
            context.IsReferenceToken = true;
            context.PersistTokenPayload = true;
            context.CreateTokenEntry = true;
        }
    }
}

/// <summary>
/// A code or refresh token presented after it was redeemed means it leaked: OpenIddict revokes the
/// tokens of its authorization; this also revokes the authorization itself, so the whole family
/// (and every reference token of it) is dead and cannot be extended.
/// </summary>
public sealed class RevokeAuthorizationOnReplay(IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations)
    : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseScopedHandler<RevokeAuthorizationOnReplay>()
            .SetOrder(Protection.ValidateTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (string.IsNullOrEmpty(context.TokenId) || context.Principal is not { } principal
            || !(principal.HasTokenType(TokenTypeIdentifiers.Private.AuthorizationCode) || principal.HasTokenType(TokenTypeIdentifiers.RefreshToken))
            || principal.GetAuthorizationId() is not { Length: > 0 } authorizationId)
        {
            return;
        }

        var token = await tokens.FindByIdAsync(context.TokenId, context.CancellationToken);
        if (token is null || !await tokens.HasStatusAsync(token, Statuses.Redeemed, context.CancellationToken))
        {
            return;
        }

        if (await authorizations.FindByIdAsync(authorizationId, context.CancellationToken) is { } authorization)
        {
            await authorizations.TryRevokeAsync(authorization, context.CancellationToken);
        }
    }
}

/// <summary>
/// A JWT access token has no row of its own, so revoking its grant (code replay, refresh-token reuse,
/// sign-out, withdrawn consent) cannot mark it. Wherever this server validates one (UserInfo,
/// introspection, token exchange) its grant is looked up, and a revoked grant refuses it.
/// </summary>
public sealed class RejectAccessTokensOfRevokedGrants(IOpenIddictAuthorizationManager authorizations)
    : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseScopedHandler<RejectAccessTokensOfRevokedGrants>()
            .SetOrder(RejectDeniedAccessTokens.Descriptor.Order + 100)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (context.Principal is not { } principal || !principal.HasTokenType(TokenTypeIdentifiers.AccessToken)
            || !string.IsNullOrEmpty(context.TokenId) || principal.GetAuthorizationId() is not { Length: > 0 } authorizationId)
        {
            return;
        }

        var authorization = await authorizations.FindByIdAsync(authorizationId, context.CancellationToken);
        if (authorization is null || !await authorizations.HasStatusAsync(authorization, Statuses.Valid, context.CancellationToken))
        {
            context.Reject(Errors.InvalidToken, "The grant this access token came from has been revoked.");
        }
    }
}

/// <summary>
/// Code and refresh grants for a person: the user must still exist, not be locked out, and have the
/// security stamp the family was issued under. Refresh tokens slide, but never past the family's
/// absolute lifetime.
/// </summary>
public sealed class UserGrantCheck(
    UserManager<GatehouseUser> users,
    IOpenIddictApplicationManager applications,
    IOpenIddictAuthorizationManager authorizations,
    IOptions<GatehouseOptions> options,
    ScopeResourceCatalog scopeResources,
    TimeProvider clock) : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
            .UseScopedHandler<UserGrantCheck>()
            .SetOrder(Exchange.AttachPrincipal.Descriptor.Order + 1_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        if (!(context.Request.IsAuthorizationCodeGrantType() || context.Request.IsRefreshTokenGrantType()) || context.Principal is not { } principal)
        {
            return;
        }

        var user = principal.GetClaim(Claims.Subject) is { } subject ? await users.FindByIdAsync(subject) : null;
        if (user is null || await users.IsLockedOutAsync(user)
            || principal.GetClaim(GatehouseClaims.SecurityStamp) != GatehouseClaims.StampDigest(await users.GetSecurityStampAsync(user)))
        {
            await RevokeFamilyAsync(principal.GetAuthorizationId(), context.CancellationToken);
            context.Reject(Errors.InvalidGrant, "The user's credentials or status changed since this grant was issued; sign in again.");
            return;
        }

        // A user who lost the admin role keeps the grant but no longer gets the admin API's scopes.
        var roles = await users.GetRolesAsync(user);
        var scopes = principal.GetScopes();
        if (scopes.Any(AdminScopes.IsAdminScope))
        {
            var kept = AuthorizationFlow.UserScopes(scopes, roles);
            if (kept.Length != scopes.Length)
            {
                principal.SetScopes(kept);
                principal.SetResources(await scopeResources.GetResourcesAsync(kept, context.CancellationToken));
            }
        }

        var application = await applications.FindByClientIdAsync(context.ClientId!, context.CancellationToken)
            ?? throw new InvalidOperationException($"Client '{context.ClientId}' vanished after it was authenticated.");
        var settings = await applications.GetSettingsAsync(application, context.CancellationToken);
        var absolute = ClientRegistration.ReadLifetime(settings, ClientRegistration.RefreshTokenAbsoluteLifetimeSetting)
            ?? options.Value.Tokens.RefreshTokenAbsoluteLifetime;
        var sliding = ClientRegistration.ReadLifetime(settings, Settings.TokenLifetimes.RefreshToken)
            ?? options.Value.Tokens.RefreshTokenLifetime;

        var started = long.TryParse(principal.GetClaim(GatehouseClaims.FamilyStart), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : clock.GetUtcNow();
        var remaining = started + absolute - clock.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            await RevokeFamilyAsync(principal.GetAuthorizationId(), context.CancellationToken);
            context.Reject(Errors.InvalidGrant, "This sign-in reached its absolute lifetime; sign in again.");
            return;
        }

        principal.SetRefreshTokenLifetime(remaining < sliding ? remaining : sliding);

        // Roles are read again at every refresh: a role given or taken shows in the next access token.
        principal.SetClaims(Claims.Role, [.. roles]);
        principal.SetDestinations(principal.GetDestinations().SetItem(Claims.Role, [Destinations.AccessToken]));

        // So is the display name: a name the user changed in their profile shows in the next tokens.
        if (principal.HasScope(Scopes.Profile))
        {
            principal.SetClaim(Claims.Name, user.DisplayName ?? user.UserName);
            principal.SetDestinations(principal.GetDestinations().SetItem(Claims.Name, [Destinations.IdentityToken]));
        }
    }

    private async Task RevokeFamilyAsync(string? authorizationId, CancellationToken cancellationToken)
    {
        if (authorizationId is { Length: > 0 } && await authorizations.FindByIdAsync(authorizationId, cancellationToken) is { } authorization)
        {
            await authorizations.TryRevokeAsync(authorization, cancellationToken);
        }
    }
}

/// <summary>
/// RFC 8693 token exchange, for clients allowed to do it (the gateway): an access token, typically
/// opaque, becomes a short-lived JWT with the same subject, scopes and audiences, never outliving it.
/// </summary>
public sealed class TokenExchangeGrant(IOptions<GatehouseOptions> options, TimeProvider clock) : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    /// <summary>The longest an exchanged JWT lives.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(2);

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
            .UseScopedHandler<TokenExchangeGrant>()
            .SetOrder(Exchange.AttachPrincipal.Descriptor.Order + 2_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        if (!context.Request.IsTokenExchangeGrantType() || context.SubjectTokenPrincipal is not { } subjectToken)
        {
            return ValueTask.CompletedTask;
        }

        var identity = new System.Security.Claims.ClaimsIdentity(
            Microsoft.IdentityModel.Tokens.TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subjectToken.GetClaim(Claims.Subject));
        identity.SetClaims(Claims.Role, subjectToken.GetClaims(Claims.Role));
        identity.SetClaim(Claims.Private.AuthorizationId, subjectToken.GetAuthorizationId());
        identity.SetScopes(subjectToken.GetScopes());
        identity.SetResources(subjectToken.GetAudiences());
        identity.SetDestinations(static _ => [Destinations.AccessToken]);

        var remaining = (subjectToken.GetExpirationDate() ?? clock.GetUtcNow()) - clock.GetUtcNow();
        var lifetime = new[] { MaxLifetime, options.Value.Tokens.AccessTokenLifetime, remaining }.Min();
        if (lifetime <= TimeSpan.Zero)
        {
            context.Reject(Errors.InvalidGrant, "The subject token has expired.");
            return ValueTask.CompletedTask;
        }

        var principal = new System.Security.Claims.ClaimsPrincipal(identity);
        principal.SetAccessTokenLifetime(lifetime);
        context.Principal = principal;
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// OpenIddict lets a client exchange only tokens issued to it or meant for it. The gateway exchanges
/// other clients' tokens by design, and only clients holding the token-exchange permission reach the
/// grant at all; for every other grant the built-in check still runs.
/// </summary>
public sealed class TokenExchangePartyCheck(Exchange.ValidateAuthorizedParty builtIn) : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseSingletonHandler<TokenExchangePartyCheck>()
            .SetOrder(Exchange.ValidateAuthorizedParty.Descriptor.Order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateTokenRequestContext context) =>
        context.Request.IsTokenExchangeGrantType() ? ValueTask.CompletedTask : builtIn.HandleAsync(context);
}
