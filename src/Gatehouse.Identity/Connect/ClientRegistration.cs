using System.Globalization;
using Gatehouse.Identity.Configuration;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Names of the Gatehouse-specific parts of a stored client, and the translation of a configured
/// client into OpenIddict's descriptor: type, consent, redirect URIs, permissions and settings.
/// </summary>
public static class ClientRegistration
{
    /// <summary>Setting: <c>reference</c> when the client receives opaque access tokens.</summary>
    public const string AccessTokenFormatSetting = "gh:access_token_format";

    /// <summary>Setting: where back-channel logout tokens are POSTed.</summary>
    public const string BackChannelLogoutUriSetting = "gh:backchannel_logout_uri";

    /// <summary>Setting: the absolute lifetime of a refresh-token family.</summary>
    public const string RefreshTokenAbsoluteLifetimeSetting = "gh:refresh_token_absolute_lifetime";

    /// <summary>Permission: may exchange access tokens (RFC 8693).</summary>
    public const string TokenExchangePermission = "gh:token_exchange";

    /// <summary>Permission: may receive signed JWT introspection responses (RFC 9701).</summary>
    public const string JwtIntrospectionPermission = "gh:introspection_jwt";

    public static OpenIddictApplicationDescriptor ToDescriptor(string clientId, ClientOptions client)
    {
        var isPublic = client.Type == ClientKinds.Public;
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = isPublic ? null : client.Secret,
            ClientType = isPublic ? ClientTypes.Public : ClientTypes.Confidential,
            DisplayName = client.DisplayName ?? clientId,
            ConsentType = client.FirstParty ? ConsentTypes.Implicit : ConsentTypes.Explicit,
            // Native apps (RFC 8252) may listen on any loopback port: OpenIddict then matches a registered
            // port-less loopback URI with any port, and nothing else changes.
            ApplicationType = isPublic && client.RedirectUris.Any(IsNativeRedirectUri) ? ApplicationTypes.Native : ApplicationTypes.Web,
        };

        var permissions = descriptor.Permissions;
        permissions.UnionWith([Permissions.Endpoints.Token, Permissions.Endpoints.Revocation]);
        if (client.AllowIntrospection || client.AllowJwtIntrospection)
        {
            permissions.Add(Permissions.Endpoints.Introspection);
        }

        if (client.AllowJwtIntrospection)
        {
            permissions.Add(JwtIntrospectionPermission);
        }

        if (client.AllowTokenExchange)
        {
            permissions.Add(TokenExchangePermission);
        }

        if (client.AllowAccountsApi)
        {
            permissions.Add(Accounts.AccountClients.AccountsApiPermission);
        }

        permissions.UnionWith(client.GrantTypes.Select(grant => Permissions.Prefixes.GrantType + grant));
        permissions.UnionWith(client.Scopes
            .Where(scope => scope is not (Scopes.OpenId or Scopes.OfflineAccess))
            .Select(scope => Permissions.Prefixes.Scope + scope));
        permissions.UnionWith(client.Resources.Select(resource => Permissions.Prefixes.Resource + resource));

        if (client.GrantTypes.Contains(GrantTypes.AuthorizationCode))
        {
            permissions.UnionWith([Permissions.Endpoints.Authorization, Permissions.Endpoints.EndSession, Permissions.ResponseTypes.Code]);
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
            descriptor.RedirectUris.UnionWith(client.RedirectUris.Select(uri => new Uri(uri, UriKind.Absolute)));
            descriptor.PostLogoutRedirectUris.UnionWith(client.PostLogoutRedirectUris.Select(uri => new Uri(uri, UriKind.Absolute)));
        }

        var settings = descriptor.Settings;
        if (client.AccessTokenLifetime is { } accessLifetime)
        {
            settings[Settings.TokenLifetimes.AccessToken] = Format(accessLifetime);
        }

        if (client.RefreshTokenLifetime is { } refreshLifetime)
        {
            settings[Settings.TokenLifetimes.RefreshToken] = Format(refreshLifetime);
        }

        if (client.RefreshTokenAbsoluteLifetime is { } absolute)
        {
            settings[RefreshTokenAbsoluteLifetimeSetting] = Format(absolute);
        }

        if (client.AccessTokenFormat == AccessTokenFormats.Reference)
        {
            settings[AccessTokenFormatSetting] = AccessTokenFormats.Reference;
        }

        if (client.BackChannelLogoutUri is { Length: > 0 } backChannel)
        {
            settings[BackChannelLogoutUriSetting] = backChannel;
        }

        return descriptor;
    }

    /// <summary>
    /// The registration a stored client stands for, read back from its descriptor (everything but the
    /// secret, which is kept only as a hash). <c>openid</c> is listed for every code-flow client and
    /// <c>offline_access</c> for every client with the refresh-token grant: that is what they may request,
    /// whether or not they were listed. <see cref="ToDescriptor"/> of the result gives the same descriptor.
    /// </summary>
    public static ClientOptions FromDescriptor(OpenIddictApplicationDescriptor descriptor)
    {
        var permissions = descriptor.Permissions;
        string[] WithPrefix(string prefix) =>
        [
            .. permissions.Where(permission => permission.StartsWith(prefix, StringComparison.Ordinal))
                .Select(permission => permission[prefix.Length..])
                .Order(StringComparer.Ordinal),
        ];

        var grants = WithPrefix(Permissions.Prefixes.GrantType);
        var scopes = new List<string>();
        if (grants.Contains(GrantTypes.AuthorizationCode))
        {
            scopes.Add(Scopes.OpenId);
        }

        if (grants.Contains(GrantTypes.RefreshToken))
        {
            scopes.Add(Scopes.OfflineAccess);
        }

        scopes.AddRange(WithPrefix(Permissions.Prefixes.Scope));
        var settings = descriptor.Settings;
        return new ClientOptions
        {
            DisplayName = descriptor.DisplayName,
            Type = descriptor.ClientType == ClientTypes.Public ? ClientKinds.Public : ClientKinds.Confidential,
            FirstParty = descriptor.ConsentType == ConsentTypes.Implicit,
            AllowAccountsApi = permissions.Contains(Accounts.AccountClients.AccountsApiPermission),
            RedirectUris = [.. descriptor.RedirectUris.Select(uri => uri.OriginalString).Order(StringComparer.Ordinal)],
            PostLogoutRedirectUris = [.. descriptor.PostLogoutRedirectUris.Select(uri => uri.OriginalString).Order(StringComparer.Ordinal)],
            BackChannelLogoutUri = settings.GetValueOrDefault(BackChannelLogoutUriSetting),
            AccessTokenFormat = settings.GetValueOrDefault(AccessTokenFormatSetting) ?? AccessTokenFormats.Jwt,
            AccessTokenLifetime = ReadLifetime(settings, Settings.TokenLifetimes.AccessToken),
            RefreshTokenLifetime = ReadLifetime(settings, Settings.TokenLifetimes.RefreshToken),
            RefreshTokenAbsoluteLifetime = ReadLifetime(settings, RefreshTokenAbsoluteLifetimeSetting),
            AllowTokenExchange = permissions.Contains(TokenExchangePermission),
            AllowJwtIntrospection = permissions.Contains(JwtIntrospectionPermission),
            AllowIntrospection = permissions.Contains(Permissions.Endpoints.Introspection),
            GrantTypes = [.. grants],
            Scopes = scopes,
            Resources = [.. WithPrefix(Permissions.Prefixes.Resource)],
        };
    }

    /// <summary>
    /// The origins a browser app of this client calls the token, revocation and UserInfo endpoints from:
    /// those of a public client's http(s) redirect URIs.
    /// </summary>
    public static IEnumerable<string> CorsOrigins(ClientOptions client) =>
        client.Type != ClientKinds.Public
            ? []
            : client.RedirectUris
                .Select(uri => Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme is "https" or "http"
                    ? parsed.GetLeftPart(UriPartial.Authority)
                    : null)
                .OfType<string>()
                .Distinct(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the stored client already says what the descriptor says (the secret is checked apart).</summary>
    public static bool SameAs(this OpenIddictApplicationDescriptor current, OpenIddictApplicationDescriptor wanted) =>
        current.DisplayName == wanted.DisplayName
        && current.ClientType == wanted.ClientType
        && current.ConsentType == wanted.ConsentType
        && current.ApplicationType == wanted.ApplicationType
        && current.Permissions.SetEquals(wanted.Permissions)
        && current.Requirements.SetEquals(wanted.Requirements)
        && current.RedirectUris.SetEquals(wanted.RedirectUris)
        && current.PostLogoutRedirectUris.SetEquals(wanted.PostLogoutRedirectUris)
        && current.Settings.Count == wanted.Settings.Count
        && !current.Settings.Except(wanted.Settings).Any();

    public static TimeSpan? ReadLifetime(IReadOnlyDictionary<string, string> settings, string key) =>
        settings.TryGetValue(key, out var value) && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var lifetime)
            ? lifetime
            : null;

    public static bool IsNativeRedirectUri(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
        && (parsed.IsLoopback || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp));

    private static string Format(TimeSpan lifetime) => lifetime.ToString("c", CultureInfo.InvariantCulture);
}
