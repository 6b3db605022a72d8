using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Configuration;

namespace Gatehouse.Identity.Admin.Clients;

/// <summary>
/// A client registration as the admin API takes it (create and full replacement). The fields are those
/// of a client in configuration (<see cref="ClientOptions"/>), in snake case, lifetimes in seconds; the
/// secret is never sent: the server generates it.
/// </summary>
public sealed record ClientRequest(
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("display_name")] string? DisplayName,
    [property: JsonPropertyName("first_party")] bool? FirstParty,
    [property: JsonPropertyName("allow_accounts_api")] bool? AllowAccountsApi,
    [property: JsonPropertyName("grant_types")] List<string>? GrantTypes,
    [property: JsonPropertyName("scopes")] List<string>? Scopes,
    [property: JsonPropertyName("resources")] List<string>? Resources,
    [property: JsonPropertyName("redirect_uris")] List<string>? RedirectUris,
    [property: JsonPropertyName("post_logout_redirect_uris")] List<string>? PostLogoutRedirectUris,
    [property: JsonPropertyName("back_channel_logout_uri")] string? BackChannelLogoutUri,
    [property: JsonPropertyName("access_token_format")] string? AccessTokenFormat,
    [property: JsonPropertyName("access_token_lifetime")] int? AccessTokenLifetime,
    [property: JsonPropertyName("refresh_token_lifetime")] int? RefreshTokenLifetime,
    [property: JsonPropertyName("refresh_token_absolute_lifetime")] int? RefreshTokenAbsoluteLifetime,
    [property: JsonPropertyName("allow_introspection")] bool? AllowIntrospection,
    [property: JsonPropertyName("allow_jwt_introspection")] bool? AllowJwtIntrospection,
    [property: JsonPropertyName("allow_token_exchange")] bool? AllowTokenExchange) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        if (ClientId is not null)
        {
            errors.Text("client_id", ClientId, 100);
        }

        errors.Required("type", Type);
        if (GrantTypes is null && AllowAccountsApi != true)
        {
            errors.Add("grant_types", "is required.");
        }

        if (DisplayName is not null)
        {
            errors.Text("display_name", DisplayName, ClientRules.MaxDisplayNameLength);
        }

        foreach (var (field, seconds) in new[]
                 {
                     ("access_token_lifetime", AccessTokenLifetime), ("refresh_token_lifetime", RefreshTokenLifetime),
                     ("refresh_token_absolute_lifetime", RefreshTokenAbsoluteLifetime),
                 })
        {
            if (seconds is <= 0)
            {
                errors.Add(field, "must be a positive number of seconds.");
            }
        }
    }

    /// <summary>The registration in configuration's terms; <paramref name="secret"/> is the server-generated one.</summary>
    public ClientOptions ToOptions(string? secret) => new()
    {
        Type = Type ?? "",
        DisplayName = DisplayName,
        FirstParty = FirstParty ?? false,
        AllowAccountsApi = AllowAccountsApi ?? false,
        Secret = secret,
        GrantTypes = GrantTypes ?? [],
        Scopes = Scopes ?? [],
        Resources = Resources ?? [],
        RedirectUris = RedirectUris ?? [],
        PostLogoutRedirectUris = PostLogoutRedirectUris ?? [],
        BackChannelLogoutUri = BackChannelLogoutUri,
        AccessTokenFormat = AccessTokenFormat ?? AccessTokenFormats.Jwt,
        AccessTokenLifetime = Seconds(AccessTokenLifetime),
        RefreshTokenLifetime = Seconds(RefreshTokenLifetime),
        RefreshTokenAbsoluteLifetime = Seconds(RefreshTokenAbsoluteLifetime),
        AllowIntrospection = AllowIntrospection ?? false,
        AllowJwtIntrospection = AllowJwtIntrospection ?? false,
        AllowTokenExchange = AllowTokenExchange ?? false,
    };

    /// <summary>The request that would register <paramref name="client"/> as it is now.</summary>
    public static ClientRequest From(ClientView client) => new(
        client.ClientId,
        client.Type,
        client.DisplayName,
        client.FirstParty,
        client.AllowAccountsApi,
        [.. client.GrantTypes],
        [.. client.Scopes],
        [.. client.Resources],
        [.. client.RedirectUris],
        [.. client.PostLogoutRedirectUris],
        client.BackChannelLogoutUri,
        client.AccessTokenFormat,
        client.AccessTokenLifetime,
        client.RefreshTokenLifetime,
        client.RefreshTokenAbsoluteLifetime,
        client.AllowIntrospection,
        client.AllowJwtIntrospection,
        client.AllowTokenExchange);

    /// <summary>How a <see cref="ClientOptions"/> field is called in this API: <c>RedirectUris</c> is <c>redirect_uris</c>.</summary>
    public static string FieldName(string option) =>
        option.Length == 0 ? "client_id" : JsonNamingPolicy.SnakeCaseLower.ConvertName(option);

    private static TimeSpan? Seconds(int? seconds) => seconds is { } value ? TimeSpan.FromSeconds(value) : null;
}

/// <summary>A registered client: its registration (never its secret) and where it comes from.</summary>
public sealed record ClientView(
    [property: JsonPropertyName("client_id")] string ClientId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("display_name")] string? DisplayName,
    [property: JsonPropertyName("first_party")] bool FirstParty,
    [property: JsonPropertyName("allow_accounts_api")] bool AllowAccountsApi,
    [property: JsonPropertyName("grant_types")] IReadOnlyList<string> GrantTypes,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes,
    [property: JsonPropertyName("resources")] IReadOnlyList<string> Resources,
    [property: JsonPropertyName("redirect_uris")] IReadOnlyList<string> RedirectUris,
    [property: JsonPropertyName("post_logout_redirect_uris")] IReadOnlyList<string> PostLogoutRedirectUris,
    [property: JsonPropertyName("cors_origins")] IReadOnlyList<string> CorsOrigins,
    [property: JsonPropertyName("back_channel_logout_uri")] string? BackChannelLogoutUri,
    [property: JsonPropertyName("access_token_format")] string AccessTokenFormat,
    [property: JsonPropertyName("access_token_lifetime")] int? AccessTokenLifetime,
    [property: JsonPropertyName("refresh_token_lifetime")] int? RefreshTokenLifetime,
    [property: JsonPropertyName("refresh_token_absolute_lifetime")] int? RefreshTokenAbsoluteLifetime,
    [property: JsonPropertyName("allow_introspection")] bool AllowIntrospection,
    [property: JsonPropertyName("allow_jwt_introspection")] bool AllowJwtIntrospection,
    [property: JsonPropertyName("allow_token_exchange")] bool AllowTokenExchange)
{
    public static ClientView From(string clientId, ClientOptions client, string source) => new(
        clientId,
        client.Type,
        ClientKindOf(client),
        source,
        client.DisplayName,
        client.FirstParty,
        client.AllowAccountsApi,
        client.GrantTypes,
        client.Scopes,
        client.Resources,
        client.RedirectUris,
        client.PostLogoutRedirectUris,
        [.. Connect.ClientRegistration.CorsOrigins(client)],
        client.BackChannelLogoutUri,
        client.AccessTokenFormat,
        Seconds(client.AccessTokenLifetime),
        Seconds(client.RefreshTokenLifetime),
        Seconds(client.RefreshTokenAbsoluteLifetime),
        client.AllowIntrospection,
        client.AllowJwtIntrospection,
        client.AllowTokenExchange);

    /// <summary><c>spa</c>, <c>native</c> (public, on a device), <c>web</c> (confidential, signs people in) or <c>service</c>.</summary>
    private static string ClientKindOf(ClientOptions client) => client switch
    {
        { Type: ClientKinds.Public } when client.RedirectUris.Any(Connect.ClientRegistration.IsNativeRedirectUri) => ClientListKinds.Native,
        { Type: ClientKinds.Public } => ClientListKinds.Spa,
        _ when client.GrantTypes.Contains(OpenIddict.Abstractions.OpenIddictConstants.GrantTypes.AuthorizationCode) => ClientListKinds.Web,
        _ => ClientListKinds.Service,
    };

    private static int? Seconds(TimeSpan? lifetime) => lifetime is { } value ? (int)value.TotalSeconds : null;
}

public static class ClientListKinds
{
    public const string Spa = "spa";
    public const string Native = "native";
    public const string Web = "web";
    public const string Service = "service";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Spa, Native, Web, Service };
}

/// <summary>Where a registration comes from: configuration (read-only here) or this API.</summary>
public static class ClientSources
{
    public const string Configuration = "configuration";
    public const string AdminApi = "admin";
}

/// <summary>A client as read or written, with the entity tag of that version (for <c>If-Match</c>).</summary>
public sealed record ClientRead(ClientView Client, string ETag);

/// <summary>One page of clients, ordered by client id; <c>next_page_token</c> is null on the last page.</summary>
public sealed record ClientPage(
    [property: JsonPropertyName("clients")] IReadOnlyList<ClientView> Clients,
    [property: JsonPropertyName("next_page_token")] string? NextPageToken);

/// <summary>A newly created client with its secret, shown this once (confidential clients only).</summary>
public sealed record ClientCreated(
    [property: JsonPropertyName("client")] ClientView Client,
    [property: JsonPropertyName("client_secret")] string? ClientSecret);

/// <summary>A new secret, shown this once; the previous one no longer works.</summary>
public sealed record ClientSecretIssued(
    [property: JsonPropertyName("client_id")] string ClientId,
    [property: JsonPropertyName("client_secret")] string ClientSecret);
