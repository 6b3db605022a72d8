using System.Text.RegularExpressions;

namespace Gatehouse.Identity.Configuration;

/// <summary>One thing wrong with a client registration: the field (as named in <see cref="ClientOptions"/>) and a sentence.</summary>
public readonly record struct ClientProblem(string Field, string Message);

/// <summary>What the rules need to know beyond the client itself.</summary>
/// <param name="IsKnownScope">Whether a scope may be granted (defined under <c>Gatehouse:Scopes</c>, built in or standard).</param>
/// <param name="SecretIssuedByServer">
/// The server generates the secret (admin API), so there is no operator-chosen secret to check.
/// </param>
/// <param name="IsKnownResource">
/// Whether a resource indicator may be granted; null accepts any absolute URI (configuration registers
/// the resources its clients name at start-up).
/// </param>
public sealed record ClientRuleContext(
    Func<string, bool> IsKnownScope,
    bool SecretIssuedByServer = false,
    Func<string, bool>? IsKnownResource = null);

/// <summary>
/// The rules every client registration obeys, whether it comes from configuration or from the admin
/// API: exact https redirect URIs (plain HTTP only on loopback, private-use schemes only for public
/// native apps, no fragments or wildcards), PKCE-only code flow, no implicit or password grant, no
/// secret on a public client, sane lifetimes. Each problem names its field through
/// <c>name</c>, so configuration speaks of <c>Gatehouse:Clients:x:RedirectUris</c> and the admin API of
/// <c>redirect_uris</c>.
/// </summary>
public static partial class ClientRules
{
    public const string TokenExchangeGrantType = "urn:ietf:params:oauth:grant-type:token-exchange";

    /// <summary>Grant types a client may be registered with.</summary>
    public static readonly IReadOnlySet<string> SupportedGrantTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "client_credentials",
        "authorization_code",
        "refresh_token",
        TokenExchangeGrantType,
    };

    public const int MaxDisplayNameLength = 200;
    public const int MaxListLength = 50;
    public const int MaxUriLength = 2000;

    internal static readonly TimeSpan MinRefreshTokenLifetime = TimeSpan.FromMinutes(1);
    internal static readonly TimeSpan MaxRefreshTokenLifetime = TimeSpan.FromDays(365);
    internal static readonly TimeSpan MinAccessTokenLifetime = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan MaxAccessTokenLifetime = TimeSpan.FromHours(1);
    private const int MinSecretLength = 16;

    /// <summary>Whether <paramref name="clientId"/> has the form of a client id.</summary>
    public static bool IsClientId(string clientId) => ClientIdPattern().IsMatch(clientId);

    /// <param name="name">How a field is called in messages; the empty field name stands for the client itself.</param>
    public static List<ClientProblem> Check(string clientId, ClientOptions client, ClientRuleContext context, Func<string, string> name)
    {
        var problems = new List<ClientProblem>();
        void Add(string field, string message) => problems.Add(new ClientProblem(field, message));

        if (!IsClientId(clientId))
        {
            Add("", $"{name("")}: '{clientId}' is not a valid client id (letters, digits and . _ : -, at most 100).");
        }

        if (client.DisplayName is { } displayName
            && (displayName.Length > MaxDisplayNameLength || displayName.Any(c => char.IsControl(c) || char.IsSurrogate(c))))
        {
            Add(nameof(client.DisplayName), $"{name(nameof(client.DisplayName))} must be at most {MaxDisplayNameLength} characters of plain text.");
        }

        foreach (var (field, list) in new[]
                 {
                     (nameof(client.GrantTypes), client.GrantTypes), (nameof(client.Scopes), client.Scopes),
                     (nameof(client.Resources), client.Resources), (nameof(client.RedirectUris), client.RedirectUris),
                     (nameof(client.PostLogoutRedirectUris), client.PostLogoutRedirectUris),
                 })
        {
            if (list.Count > MaxListLength || list.Any(entry => entry is null || entry.Length > MaxUriLength))
            {
                Add(field, $"{name(field)} has more than {MaxListLength} entries, an empty entry or one longer than {MaxUriLength} characters.");
                return problems;
            }
        }

        CheckKind(client, context, name, Add);

        if (client.AllowAccountsApi && !client.FirstParty)
        {
            Add(nameof(client.AllowAccountsApi), $"{name(nameof(client.AllowAccountsApi))} is true but {name(nameof(client.FirstParty))} is not; only first-party clients may use the account API.");
        }

        if (client.GrantTypes.Count == 0 && !client.AllowAccountsApi)
        {
            Add(nameof(client.GrantTypes), $"{name(nameof(client.GrantTypes))} is empty; list the grants this client uses, for example 'client_credentials'.");
        }

        foreach (var grant in client.GrantTypes.Where(grant => !SupportedGrantTypes.Contains(grant)))
        {
            Add(nameof(client.GrantTypes), $"{name(nameof(client.GrantTypes))} contains '{grant}', which Gatehouse does not allow here; supported: {string.Join(", ", SupportedGrantTypes)}.");
        }

        foreach (var scope in client.Scopes.Where(scope => !context.IsKnownScope(scope)))
        {
            Add(nameof(client.Scopes), $"{name(nameof(client.Scopes))} contains '{scope}', which is not defined under {GatehouseOptions.Section}:Scopes.");
        }

        CheckBrowserFlow(client, name, Add);

        foreach (var resource in client.Resources)
        {
            if (!Uri.TryCreate(resource, UriKind.Absolute, out _))
            {
                Add(nameof(client.Resources), $"{name(nameof(client.Resources))} contains '{resource}', which is not an absolute URI (RFC 8707 resource indicator).");
            }
            else if (context.IsKnownResource is { } isKnown && !isKnown(resource))
            {
                Add(nameof(client.Resources), $"{name(nameof(client.Resources))} contains '{resource}', which is not a resource this server knows; resources are registered by the clients in configuration.");
            }
        }

        if (client.AccessTokenLifetime is { } lifetime && (lifetime < MinAccessTokenLifetime || lifetime > MaxAccessTokenLifetime))
        {
            Add(nameof(client.AccessTokenLifetime), $"{name(nameof(client.AccessTokenLifetime))} is {lifetime}; access tokens live between {MinAccessTokenLifetime} and {MaxAccessTokenLifetime}.");
        }

        return problems;
    }

    private static void CheckKind(ClientOptions client, ClientRuleContext context, Func<string, string> name, Action<string, string> add)
    {
        if (client.Type == ClientKinds.Public)
        {
            if (client.Secret is not null)
            {
                add(nameof(client.Secret), $"{name(nameof(client.Secret))} is set but {name(nameof(client.Type))} is 'public'; a public client cannot keep a secret, remove it.");
            }

            foreach (var grant in client.GrantTypes.Where(grant => grant is "client_credentials" or TokenExchangeGrantType))
            {
                add(nameof(client.GrantTypes), $"{name(nameof(client.GrantTypes))} contains '{grant}', which only confidential clients may use.");
            }

            if (client.AllowIntrospection || client.AllowJwtIntrospection)
            {
                add(nameof(client.AllowIntrospection), $"{name(nameof(client.AllowIntrospection))} needs a confidential client; {name(nameof(client.Type))} is 'public'.");
            }

            return;
        }

        if (client.Type != ClientKinds.Confidential)
        {
            add(nameof(client.Type), $"{name(nameof(client.Type))} is '{client.Type}'; use 'confidential' or 'public'.");
            return;
        }

        if (context.SecretIssuedByServer)
        {
            return;
        }

        if (string.IsNullOrEmpty(client.Secret))
        {
            add(nameof(client.Secret), $"{name(nameof(client.Secret))} is missing; a confidential client needs one (or set {name(nameof(client.Type))} to 'public').");
        }
        else if (client.Secret.Length < MinSecretLength)
        {
            add(nameof(client.Secret), $"{name(nameof(client.Secret))} is {client.Secret.Length} characters long; use at least {MinSecretLength} random characters.");
        }
    }

    private static void CheckBrowserFlow(ClientOptions client, Func<string, string> name, Action<string, string> add)
    {
        var usesCode = client.GrantTypes.Contains("authorization_code");
        if (usesCode && client.RedirectUris.Count == 0)
        {
            add(nameof(client.RedirectUris), $"{name(nameof(client.RedirectUris))} is empty; the authorization_code grant needs at least one redirect URI.");
        }

        if (!usesCode && client.RedirectUris.Count > 0)
        {
            add(nameof(client.RedirectUris), $"{name(nameof(client.RedirectUris))} is set but {name(nameof(client.GrantTypes))} lacks 'authorization_code'.");
        }

        if (!usesCode && client.PostLogoutRedirectUris.Count > 0)
        {
            add(nameof(client.PostLogoutRedirectUris), $"{name(nameof(client.PostLogoutRedirectUris))} is set but {name(nameof(client.GrantTypes))} lacks 'authorization_code'.");
        }

        if (client.GrantTypes.Contains("refresh_token") && !usesCode)
        {
            add(nameof(client.GrantTypes), $"{name(nameof(client.GrantTypes))} contains 'refresh_token' without 'authorization_code'; refresh tokens come from a sign-in.");
        }

        if (client.AllowTokenExchange != client.GrantTypes.Contains(TokenExchangeGrantType))
        {
            add(nameof(client.AllowTokenExchange), $"{name(nameof(client.AllowTokenExchange))} and the '{TokenExchangeGrantType}' entry of {name(nameof(client.GrantTypes))} go together; set both or neither.");
        }

        var isPublic = client.Type == ClientKinds.Public;
        foreach (var uri in client.RedirectUris)
        {
            if (RedirectUriProblem(uri, isPublic) is { } problem)
            {
                add(nameof(client.RedirectUris), $"{name(nameof(client.RedirectUris))} contains '{uri}', {problem}");
            }
        }

        foreach (var uri in client.PostLogoutRedirectUris)
        {
            if (RedirectUriProblem(uri, isPublic) is { } problem)
            {
                add(nameof(client.PostLogoutRedirectUris), $"{name(nameof(client.PostLogoutRedirectUris))} contains '{uri}', {problem}");
            }
        }

        if (client.BackChannelLogoutUri is { } backChannel)
        {
            if (backChannel.Length > MaxUriLength)
            {
                add(nameof(client.BackChannelLogoutUri), $"{name(nameof(client.BackChannelLogoutUri))} is longer than {MaxUriLength} characters.");
            }
            else if (RedirectUriProblem(backChannel, allowPrivateScheme: false) is { } backChannelProblem)
            {
                add(nameof(client.BackChannelLogoutUri), $"{name(nameof(client.BackChannelLogoutUri))} is '{backChannel}', {backChannelProblem}");
            }
        }

        if (client.AccessTokenFormat is not (AccessTokenFormats.Jwt or AccessTokenFormats.Reference))
        {
            add(nameof(client.AccessTokenFormat), $"{name(nameof(client.AccessTokenFormat))} is '{client.AccessTokenFormat}'; use 'jwt' or 'reference'.");
        }

        if (client.RefreshTokenLifetime is not null || client.RefreshTokenAbsoluteLifetime is not null)
        {
            CheckRefreshLifetimes(client.RefreshTokenLifetime ?? MinRefreshTokenLifetime,
                client.RefreshTokenAbsoluteLifetime ?? MaxRefreshTokenLifetime, name, add);
        }
    }

    /// <summary>The sliding and absolute refresh-token lifetimes, of the server or of one client.</summary>
    public static void CheckRefreshLifetimes(TimeSpan sliding, TimeSpan absolute, Func<string, string> name, Action<string, string> add)
    {
        const string slidingField = nameof(ClientOptions.RefreshTokenLifetime);
        const string absoluteField = nameof(ClientOptions.RefreshTokenAbsoluteLifetime);
        if (sliding < MinRefreshTokenLifetime || sliding > MaxRefreshTokenLifetime)
        {
            add(slidingField, $"{name(slidingField)} is {sliding}; use between {MinRefreshTokenLifetime} and {MaxRefreshTokenLifetime.TotalDays} days.");
        }

        if (absolute < sliding || absolute > MaxRefreshTokenLifetime)
        {
            add(absoluteField, $"{name(absoluteField)} is {absolute}; use at least the refresh-token lifetime and at most {MaxRefreshTokenLifetime.TotalDays} days.");
        }
    }

    /// <summary>
    /// Why a redirect URI cannot be registered, or null. HTTPS everywhere; plain HTTP only on loopback
    /// (RFC 8252: also local development); a private-use scheme such as <c>com.example.app:/cb</c>
    /// only for public (native) clients. Compared exactly later, so wildcards are refused outright.
    /// </summary>
    private static string? RedirectUriProblem(string value, bool allowPrivateScheme)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return "which is not an absolute URI.";
        }

        if (value.Contains('*', StringComparison.Ordinal))
        {
            return "which contains a wildcard; redirect URIs are compared exactly, list each one.";
        }

        if (!string.IsNullOrEmpty(uri.Fragment) || value.Contains('#', StringComparison.Ordinal))
        {
            return "which carries a fragment; redirect URIs must not.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "which carries user information; redirect URIs must not.";
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return null;
        }

        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            return uri.IsLoopback ? null : "which uses plain HTTP away from loopback; use https.";
        }

        return allowPrivateScheme && uri.Scheme.Contains('.')
            ? null
            : "whose scheme is neither https nor, for public native clients, a reverse-domain private-use scheme.";
    }

    [GeneratedRegex(@"^[A-Za-z0-9._:\-]{1,100}$")]
    private static partial Regex ClientIdPattern();
}
