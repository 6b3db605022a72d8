namespace Gatehouse.Identity.Configuration;

/// <summary>The <c>Gatehouse</c> configuration section: everything an operator sets.</summary>
public sealed class GatehouseOptions
{
    public const string Section = "Gatehouse";

    /// <summary>
    /// The issuer URI written into tokens and discovery. Unset, the issuer follows the request's host,
    /// which is fine on a laptop and wrong behind a load balancer: set it in production.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Refuse protocol requests over plain HTTP. Off only for local development and tests.</summary>
    public bool RequireHttps { get; set; } = true;

    public DatabaseOptions Database { get; set; } = new();

    /// <summary>How this deployment's keys and channels are named in Redis.</summary>
    public RedisOptions Redis { get; set; } = new();

    public TokenOptions Tokens { get; set; } = new();

    public KeyOptions Keys { get; set; } = new();

    public RequestLimitOptions Requests { get; set; } = new();

    /// <summary>Waits after failed client authentication.</summary>
    public ClientAuthenticationOptions ClientAuthentication { get; set; } = new();

    /// <summary>Delivery of back-channel logout notices.</summary>
    public BackChannelLogoutOptions BackChannelLogout { get; set; } = new();

    /// <summary>Clients registered from configuration, keyed by client id.</summary>
    public Dictionary<string, ClientOptions> Clients { get; set; } = new(StringComparer.Ordinal);

    /// <summary>API scopes, keyed by scope name; each names the resources (audiences) it grants access to.</summary>
    public Dictionary<string, ScopeOptions> Scopes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The first administrator, created at start-up when no user has this email yet.</summary>
    public AdminOptions? Admin { get; set; }

    /// <summary>Password rules and hashing.</summary>
    public PasswordOptions Passwords { get; set; } = new();

    /// <summary>How email leaves the service.</summary>
    public EmailOptions Email { get; set; } = new();

    /// <summary>One-time codes sent by email.</summary>
    public CodeOptions Codes { get; set; } = new();

    /// <summary>Account flows: sign-up, sign-in, refresh tokens, lockout and rate limits.</summary>
    public AccountOptions Accounts { get; set; } = new();

    /// <summary>The browser session of the hosted pages and the OpenID Connect flows.</summary>
    public SessionOptions Session { get; set; } = new();
}

public sealed class SessionOptions
{
    /// <summary>A session unused this long ends (sliding).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>A session ends this long after sign-in, however active it is.</summary>
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>
/// Scopes every Gatehouse has, whatever the configuration says: reading the revocation and user
/// feeds (audience: the identity service itself) and managing a service's object permissions (no
/// audience of its own: the token's audience comes from the service's scopes requested with it).
/// </summary>
public static class BuiltInScopes
{
    public const string Revocations = "gatehouse:revocations";
    public const string Events = "gatehouse:events";
    public const string PermissionsAdmin = "permissions:admin";

    /// <summary>The audience of tokens for the identity service's own APIs.</summary>
    public const string IdentityAudience = "gatehouse";

    public static bool IsBuiltIn(string scope) => scope is Revocations or Events or PermissionsAdmin || AdminScopes.IsAdminScope(scope);

    /// <summary>Adds the built-in scopes that <paramref name="scopes"/> does not define itself.</summary>
    public static void AddTo(Dictionary<string, ScopeOptions> scopes)
    {
        scopes.TryAdd(Revocations, new ScopeOptions { DisplayName = "Read the revocation feed", Resources = [IdentityAudience] });
        scopes.TryAdd(Events, new ScopeOptions { DisplayName = "Read the user events feed", Resources = [IdentityAudience] });
        scopes.TryAdd(PermissionsAdmin, new ScopeOptions { DisplayName = "Manage object permissions" });
        scopes.TryAdd(AdminScopes.All, new ScopeOptions { DisplayName = "Administer Gatehouse (every admin area)", Resources = [IdentityAudience] });
        scopes.TryAdd(AdminScopes.Users, new ScopeOptions { DisplayName = "Manage users, roles and sessions", Resources = [IdentityAudience] });
        scopes.TryAdd(AdminScopes.Clients, new ScopeOptions { DisplayName = "Manage clients and API keys", Resources = [IdentityAudience] });
        scopes.TryAdd(AdminScopes.Keys, new ScopeOptions { DisplayName = "Manage signing keys", Resources = [IdentityAudience] });
        scopes.TryAdd(AdminScopes.Audit, new ScopeOptions { DisplayName = "Read the audit log", Resources = [IdentityAudience] });
    }
}

/// <summary>
/// Scopes of the admin API (<c>/admin/*</c>): one per area, and <see cref="All"/> for every area. The
/// admin API is protected by these scopes only, never by a shared password.
/// </summary>
public static class AdminScopes
{
    public const string All = "gatehouse:admin";
    public const string Users = "gatehouse:admin.users";
    public const string Clients = "gatehouse:admin.clients";
    public const string Keys = "gatehouse:admin.keys";
    public const string Audit = "gatehouse:admin.audit";

    public static bool IsAdminScope(string scope) => scope is All or Users or Clients or Keys or Audit;
}

public sealed class DatabaseOptions
{
    /// <summary><c>Sqlite</c> (embedded default) or <c>PostgreSQL</c>.</summary>
    public string Provider { get; set; } = DatabaseProviders.Sqlite;

    /// <summary>Apply pending EF Core migrations when the service starts.</summary>
    public bool MigrateOnStartup { get; set; } = true;
}

public static class DatabaseProviders
{
    public const string Sqlite = "Sqlite";
    public const string PostgreSql = "PostgreSQL";

    /// <summary>The SQLite database used when no connection string is configured.</summary>
    public const string DefaultSqliteConnection = "Data Source=data/gatehouse.db";
}

public sealed class RedisOptions
{
    public const string KeyPrefixKey = "Gatehouse:Redis:KeyPrefix";

    /// <summary>
    /// Every Redis key and channel of this deployment starts with it, so deployments sharing one Redis
    /// (staging and production, two tenants) never see each other's revocations, flows, codes or
    /// announcements. 1 to 64 printable ASCII characters without spaces; resource servers reading the
    /// revocation feed from Redis set the same value as <c>Gatehouse:ResourceServer:Revocation:RedisKeyPrefix</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = Gatehouse.ResourceServer.RedisKeyPrefix.Default;

    /// <summary>
    /// Fills in the specific prefixes left unset (<c>Gatehouse:Accounts:RateLimits:RedisKeyPrefix</c>,
    /// <c>Gatehouse:ClientAuthentication:RedisKeyPrefix</c>) from <see cref="KeyPrefix"/>.
    /// </summary>
    public static void ApplyTo(GatehouseOptions options)
    {
        options.Accounts.RateLimits.RedisKeyPrefix ??= options.Redis.KeyPrefix + "ratelimit:";
        options.ClientAuthentication.RedisKeyPrefix ??= options.Redis.KeyPrefix + "client-auth:";
    }

    /// <summary>The key of <paramref name="suffix"/> under this deployment's prefix.</summary>
    public string Key(string suffix) => KeyPrefix + suffix;
}

public sealed class TokenOptions
{
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Sliding lifetime of refresh tokens issued to users (each use rotates the token).</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Longest a refresh-token family may live from the sign-in that started it.</summary>
    public TimeSpan RefreshTokenAbsoluteLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary><c>ES256</c> (default) or <c>RS256</c>.</summary>
    public string SigningAlgorithm { get; set; } = SigningAlgorithms.ES256;

    public const string ClientCredentialsFastPathKey = "Gatehouse:Tokens:ClientCredentialsFastPath";

    /// <summary>
    /// Answer plain client-credentials requests without OpenIddict's event pipeline (same checks, same
    /// tokens). It switches itself off when OpenIddict has handlers it does not know.
    /// </summary>
    public bool ClientCredentialsFastPath { get; set; } = true;

    public const string AccountTokensFastPathKey = "Gatehouse:Tokens:AccountTokensFastPath";

    /// <summary>
    /// Write the account API's access tokens directly instead of through OpenIddict's token-generation
    /// events (the same token, claim by claim). It switches itself off when OpenIddict is configured in
    /// a way it does not reproduce; independent of <see cref="ClientCredentialsFastPath"/>.
    /// </summary>
    public bool AccountTokensFastPath { get; set; } = true;
}

public static class SigningAlgorithms
{
    public const string ES256 = "ES256";
    public const string RS256 = "RS256";
}

public sealed class KeyOptions
{
    /// <summary>How long a signing or encryption key stays the active one before a new one replaces it.</summary>
    public TimeSpan RotationPeriod { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How long a replaced key stays published (and accepted) so tokens it signed keep working.</summary>
    public TimeSpan RetentionPeriod { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How often each node compares its key ring with the database: it rotates keys whose rotation
    /// period has passed, stops publishing keys whose retention has ended, and picks up a rotation
    /// another node made, even one whose announcement it missed.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}

public sealed class RequestLimitOptions
{
    /// <summary>Largest body accepted by the protocol endpoints (token, introspection, revocation).</summary>
    public long MaxProtocolBodyBytes { get; set; } = 16 * 1024;
}

public sealed class ClientOptions
{
    public string? DisplayName { get; set; }

    /// <summary><c>confidential</c> (default: holds a secret) or <c>public</c> (an app on a user's device).</summary>
    public string Type { get; set; } = ClientKinds.Confidential;

    /// <summary>An application of the same operator as this service (its own web or mobile app).</summary>
    public bool FirstParty { get; set; }

    /// <summary>May call the account API under <c>/auth</c>; only first-party clients may.</summary>
    public bool AllowAccountsApi { get; set; }

    /// <summary>The client secret; stored only as a hash. Required for confidential clients, refused for public ones.</summary>
    public string? Secret { get; set; }

    /// <summary>Where authorization responses may go, compared exactly (a loopback URI of a public client may change port).</summary>
    public List<string> RedirectUris { get; set; } = [];

    /// <summary>Where the browser may be sent back after RP-initiated logout, compared exactly.</summary>
    public List<string> PostLogoutRedirectUris { get; set; } = [];

    /// <summary>Receives OpenID Connect back-channel logout tokens when a user's session ends.</summary>
    public string? BackChannelLogoutUri { get; set; }

    /// <summary><c>jwt</c> (default) or <c>reference</c>: an opaque access token the gateway exchanges for a JWT.</summary>
    public string AccessTokenFormat { get; set; } = AccessTokenFormats.Jwt;

    /// <summary>How long an unused refresh token stays valid; every use rotates it and restarts this period.</summary>
    public TimeSpan? RefreshTokenLifetime { get; set; }

    /// <summary>How long a chain of rotated refresh tokens may last from the sign-in that started it.</summary>
    public TimeSpan? RefreshTokenAbsoluteLifetime { get; set; }

    /// <summary>May exchange an access token for a short-lived JWT (RFC 8693 token exchange).</summary>
    public bool AllowTokenExchange { get; set; }

    /// <summary>May ask for signed JWT introspection responses (RFC 9701); implies introspection.</summary>
    public bool AllowJwtIntrospection { get; set; }

    public List<string> GrantTypes { get; set; } = [];

    /// <summary>Scopes the client may request.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>Resource indicators (RFC 8707) the client may request directly.</summary>
    public List<string> Resources { get; set; } = [];

    /// <summary>May call the introspection endpoint (resource servers that accept opaque tokens).</summary>
    public bool AllowIntrospection { get; set; }

    /// <summary>Overrides <see cref="TokenOptions.AccessTokenLifetime"/> for this client.</summary>
    public TimeSpan? AccessTokenLifetime { get; set; }
}

public static class ClientKinds
{
    public const string Confidential = "confidential";
    public const string Public = "public";
}

public static class AccessTokenFormats
{
    public const string Jwt = "jwt";
    public const string Reference = "reference";
}

public sealed class ScopeOptions
{
    public string? DisplayName { get; set; }

    /// <summary>The audiences a token carrying this scope is meant for.</summary>
    public List<string> Resources { get; set; } = [];
}

public sealed class AdminOptions
{
    public string? Email { get; set; }

    public string? Password { get; set; }
}
