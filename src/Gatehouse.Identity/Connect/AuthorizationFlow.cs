using System.Collections.Immutable;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// What the authorization endpoint decides once OpenIddict has validated the request (client,
/// redirect URI, PKCE, scopes): whether the user must sign in or consent first, and the principal
/// the code is issued for.
/// </summary>
public sealed class AuthorizationFlow(
    UserManager<GatehouseUser> users,
    IOpenIddictApplicationManager applications,
    IOpenIddictAuthorizationManager authorizations,
    ScopeResourceCatalog scopeResources,
    TimeProvider clock)
{
    /// <summary>Added by the consent page when the user declines; it can only make the request fail.</summary>
    public const string ConsentDeniedParameter = "gh_consent";

    /// <summary>Whether the session is fresh enough for the request's <c>prompt=login</c> and <c>max_age</c>.</summary>
    public bool NeedsSignIn(OpenIddictRequest request, ClaimsPrincipal? session)
    {
        if (session?.AuthTime() is not { } authTime || request.HasPromptValue(PromptValues.Login))
        {
            return true;
        }

        return request.MaxAge is { } maxAge && authTime.AddSeconds(maxAge) < clock.GetUtcNow();
    }

    /// <summary>Whether the user has already consented to every requested scope for this client (or needs not).</summary>
    public async Task<bool> HasConsentAsync(object application, string subject, ImmutableArray<string> scopes, CancellationToken cancellationToken)
    {
        if (await applications.HasConsentTypeAsync(application, ConsentTypes.Implicit, cancellationToken))
        {
            return true;
        }

        var applicationId = await applications.GetIdAsync(application, cancellationToken);
        await foreach (var _ in authorizations.FindAsync(subject, applicationId, Statuses.Valid, AuthorizationTypes.Permanent, scopes, cancellationToken))
        {
            return true;
        }

        return false;
    }

    /// <summary>Remembers the user's consent as a permanent authorization for the client and scopes.</summary>
    public async Task RememberConsentAsync(GatehouseUser user, object application, ImmutableArray<string> scopes, CancellationToken cancellationToken)
    {
        var applicationId = await applications.GetIdAsync(application, cancellationToken);
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType);
        identity.SetClaim(Claims.Subject, user.Id.ToString());
        await authorizations.CreateAsync(new ClaimsPrincipal(identity), user.Id.ToString(), applicationId!, AuthorizationTypes.Permanent, scopes, cancellationToken);
    }

    /// <summary>
    /// The principal the authorization code is issued for, bound to a new ad-hoc authorization that
    /// records the browser session: that authorization is the refresh-token family.
    /// </summary>
    public async Task<ClaimsPrincipal> CreatePrincipalAsync(
        GatehouseUser user, ClaimsPrincipal session, object application, OpenIddictRequest request, CancellationToken cancellationToken)
    {
        var roles = await users.GetRolesAsync(user);
        var scopes = UserScopes(request.GetScopes(), roles);
        var subject = user.Id.ToString();
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject);
        if (scopes.Contains(Scopes.Profile))
        {
            identity.SetClaim(Claims.Name, user.DisplayName ?? user.UserName);
            identity.SetClaim(Claims.PreferredUsername, user.UserName);
        }

        if (scopes.Contains(Scopes.Email))
        {
            identity.SetClaim(Claims.Email, user.Email);
            identity.SetClaim(Claims.EmailVerified, user.EmailConfirmed);
        }

        identity.SetClaims(Claims.Role, [.. roles]);

        var authTime = session.AuthTime() ?? clock.GetUtcNow();
        identity.SetClaim(Claims.AuthenticationTime, authTime.ToUnixTimeSeconds());
        // OpenIddict writes amr into ID tokens as a JSON array, even with one value.
        identity.SetClaims(Claims.AuthenticationMethodReference, [.. session.FindAll(SessionCookie.MethodClaim).Select(claim => claim.Value).Distinct()]);
        var sessionId = session.FindFirst(SessionCookie.SessionIdClaim)?.Value;
        identity.SetClaim(SessionCookie.SessionIdClaim, sessionId);

        identity.SetClaim(GatehouseClaims.SecurityStamp, GatehouseClaims.StampDigest(await users.GetSecurityStampAsync(user)));
        identity.SetClaim(GatehouseClaims.FamilyStart, clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));

        identity.SetScopes(scopes);
        identity.SetResources(await scopeResources.GetResourcesAsync(scopes, cancellationToken));

        var descriptor = new OpenIddictAuthorizationDescriptor
        {
            ApplicationId = await applications.GetIdAsync(application, cancellationToken),
            CreationDate = clock.GetUtcNow(),
            Principal = new ClaimsPrincipal(identity),
            Status = Statuses.Valid,
            Subject = subject,
            Type = AuthorizationTypes.AdHoc,
        };
        descriptor.Scopes.UnionWith(scopes);
        if (sessionId is not null)
        {
            descriptor.Properties[SessionTermination.SessionProperty] = JsonSerializer.SerializeToElement(sessionId);
        }

        var authorization = await authorizations.CreateAsync(descriptor, cancellationToken);
        identity.SetAuthorizationId(await authorizations.GetIdAsync(authorization, cancellationToken));
        identity.SetDestinations(Destinations);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>
    /// The requested scopes a user's token may carry: the admin API's scopes only for users with the
    /// <see cref="Roles.Admin"/> role; for anyone else they are dropped (the client's registration
    /// allowing them is not enough).
    /// </summary>
    public static ImmutableArray<string> UserScopes(ImmutableArray<string> requested, IEnumerable<string> roles) =>
        roles.Contains(Roles.Admin, StringComparer.Ordinal)
            ? requested
            : [.. requested.Where(scope => !Configuration.AdminScopes.IsAdminScope(scope))];

    /// <summary>Which token each claim goes into; claims with none stay inside codes and refresh tokens.</summary>
    private static IEnumerable<string> Destinations(Claim claim) => claim.Type switch
    {
        Claims.Subject => [OpenIddictConstants.Destinations.AccessToken, OpenIddictConstants.Destinations.IdentityToken],
        Claims.Role => [OpenIddictConstants.Destinations.AccessToken],
        Claims.Name or Claims.PreferredUsername or Claims.Email or Claims.EmailVerified
            or Claims.AuthenticationTime or Claims.AuthenticationMethodReference or SessionCookie.SessionIdClaim
            => [OpenIddictConstants.Destinations.IdentityToken],
        _ => [],
    };
}
