using System.Net.Mail;
using System.Text.RegularExpressions;
using Gatehouse.ResourceServer;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Configuration;

/// <summary>
/// Checks the <c>Gatehouse</c> section. Each problem is one sentence that names the key to fix.
/// </summary>
public sealed partial class GatehouseOptionsValidator : IValidateOptions<GatehouseOptions>
{
    /// <summary>OpenID Connect scopes every client may be given without defining them under <c>Gatehouse:Scopes</c>.</summary>
    public static readonly IReadOnlySet<string> StandardScopes = new HashSet<string>(StringComparer.Ordinal)
    {
        "openid", "profile", "email", "offline_access",
    };

    private static readonly TimeSpan MinAccessTokenLifetime = ClientRules.MinAccessTokenLifetime;
    private static readonly TimeSpan MaxAccessTokenLifetime = ClientRules.MaxAccessTokenLifetime;

    public ValidateOptionsResult Validate(string? name, GatehouseOptions options)
    {
        var problems = Check(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static List<string> Check(GatehouseOptions options)
    {
        var problems = new List<string>();
        const string root = GatehouseOptions.Section;

        if (options.Issuer is { Length: > 0 } issuer)
        {
            if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                problems.Add($"{root}:Issuer is '{issuer}', which is not an absolute http(s) URI.");
            }
            else if (options.RequireHttps && uri.Scheme != Uri.UriSchemeHttps)
            {
                problems.Add($"{root}:Issuer is '{issuer}' but {root}:RequireHttps is true; use an https issuer.");
            }
            else if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            {
                problems.Add($"{root}:Issuer must not carry a query or fragment.");
            }
        }

        var tokens = options.Tokens;
        if (tokens.AccessTokenLifetime < MinAccessTokenLifetime || tokens.AccessTokenLifetime > MaxAccessTokenLifetime)
        {
            problems.Add($"{root}:Tokens:AccessTokenLifetime is {tokens.AccessTokenLifetime}; access tokens live between {MinAccessTokenLifetime} and {MaxAccessTokenLifetime}.");
        }

        if (tokens.SigningAlgorithm is not (SigningAlgorithms.ES256 or SigningAlgorithms.RS256))
        {
            problems.Add($"{root}:Tokens:SigningAlgorithm is '{tokens.SigningAlgorithm}'; use 'ES256' or 'RS256'.");
        }

        if (options.Keys.RotationPeriod < TimeSpan.FromDays(1))
        {
            problems.Add($"{root}:Keys:RotationPeriod is {options.Keys.RotationPeriod}; rotate keys at most once a day.");
        }

        if (options.Keys.CheckInterval < TimeSpan.FromSeconds(1) || options.Keys.CheckInterval > TimeSpan.FromDays(1))
        {
            problems.Add($"{root}:Keys:CheckInterval is {options.Keys.CheckInterval}; use between 00:00:01 and 1.00:00:00.");
        }

        if (options.Keys.RetentionPeriod < tokens.AccessTokenLifetime)
        {
            problems.Add($"{root}:Keys:RetentionPeriod is {options.Keys.RetentionPeriod}; it must be at least the access-token lifetime so issued tokens stay verifiable.");
        }

        if (options.Requests.MaxProtocolBodyBytes is < 1024 or > 1024 * 1024)
        {
            problems.Add($"{root}:Requests:MaxProtocolBodyBytes is {options.Requests.MaxProtocolBodyBytes}; use a value between 1024 and 1048576.");
        }

        foreach (var (scope, settings) in options.Scopes)
        {
            var key = $"{root}:Scopes:{scope}";
            if (!ScopeName().IsMatch(scope))
            {
                problems.Add($"{key}: '{scope}' is not a valid scope name (letters, digits and . _ : - /, at most 100).");
            }

            if ((settings.Resources.Count == 0 && scope != BuiltInScopes.PermissionsAdmin) || settings.Resources.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"{key}:Resources must list at least one audience, with no empty entry.");
            }
        }

        var clientRules = new ClientRuleContext(scope => options.Scopes.ContainsKey(scope) || StandardScopes.Contains(scope));
        foreach (var (clientId, client) in options.Clients)
        {
            var key = $"{root}:Clients:{clientId}";
            problems.AddRange(ClientRules.Check(clientId, client, clientRules, field => field.Length == 0 ? key : $"{key}:{field}")
                .Select(problem => problem.Message));
        }

        CheckRedisKeyPrefixes(options, problems);
        CheckAccounts(options.Accounts, problems);
        CheckClientAuthentication(options.ClientAuthentication, problems);
        CheckBackChannelLogout(options.BackChannelLogout, problems);
        var session = options.Session;
        if (session.IdleTimeout < TimeSpan.FromMinutes(1) || session.IdleTimeout > TimeSpan.FromDays(1))
        {
            problems.Add($"{root}:Session:IdleTimeout is {session.IdleTimeout}; use between one minute and one day.");
        }

        if (session.AbsoluteLifetime < session.IdleTimeout || session.AbsoluteLifetime > TimeSpan.FromDays(30))
        {
            problems.Add($"{root}:Session:AbsoluteLifetime is {session.AbsoluteLifetime}; use at least {root}:Session:IdleTimeout and at most 30 days.");
        }

        ClientRules.CheckRefreshLifetimes(tokens.RefreshTokenLifetime, tokens.RefreshTokenAbsoluteLifetime,
            field => $"{root}:Tokens:{field}", (_, message) => problems.Add(message));

        if (options.Admin is { } admin && (admin.Email is not null || admin.Password is not null))
        {
            if (string.IsNullOrWhiteSpace(admin.Email) || !MailAddress.TryCreate(admin.Email, out _))
            {
                problems.Add($"{root}:Admin:Email is '{admin.Email}', which is not an email address.");
            }

            if (string.IsNullOrEmpty(admin.Password))
            {
                problems.Add($"{root}:Admin:Password is missing; the first administrator needs a password.");
            }
        }

        options.Codes.Check($"{root}:Codes", problems);
        options.Email.Check($"{root}:Email", problems);
        options.Passwords.Check($"{root}:Passwords", problems);
        return problems;
    }

    private static void CheckAccounts(AccountOptions accounts, List<string> problems)
    {
        const string key = GatehouseOptions.Section + ":Accounts";
        if (accounts.RefreshTokenLifetime < TimeSpan.FromMinutes(5) || accounts.RefreshTokenLifetime > accounts.SessionLifetime)
        {
            problems.Add($"{key}:RefreshTokenLifetime is {accounts.RefreshTokenLifetime}; use at least 00:05:00 and no more than {key}:SessionLifetime ({accounts.SessionLifetime}).");
        }

        if (accounts.FlowLifetime < TimeSpan.FromMinutes(1) || accounts.FlowLifetime > TimeSpan.FromHours(1))
        {
            problems.Add($"{key}:FlowLifetime is {accounts.FlowLifetime}; use between 00:01:00 and 01:00:00.");
        }

        if (accounts.MaxBodyBytes is < 1024 or > 1024 * 1024)
        {
            problems.Add($"{key}:MaxBodyBytes is {accounts.MaxBodyBytes}; use a value between 1024 and 1048576.");
        }

        var lockout = accounts.Lockout;
        if (lockout.MaxFailedAttempts is < 1 or > 100)
        {
            problems.Add($"{key}:Lockout:MaxFailedAttempts is {lockout.MaxFailedAttempts}; use between 1 and 100.");
        }

        if (lockout.FirstWait <= TimeSpan.Zero || lockout.MaxWait < lockout.FirstWait)
        {
            problems.Add($"{key}:Lockout:FirstWait ({lockout.FirstWait}) must be positive and no longer than {key}:Lockout:MaxWait ({lockout.MaxWait}).");
        }

        var limits = accounts.RateLimits;
        if (limits.Window < TimeSpan.FromSeconds(1) || limits.PerIpPermits < 1 || limits.PerAccountPermits < 1)
        {
            problems.Add($"{key}:RateLimits needs a Window of at least 00:00:01 and PerIpPermits and PerAccountPermits of at least 1.");
        }

        foreach (var proxy in accounts.TrustedProxies.Where(proxy => !System.Net.IPNetwork.TryParse(proxy, out _) && !System.Net.IPAddress.TryParse(proxy, out _)))
        {
            problems.Add($"{key}:TrustedProxies contains '{proxy}', which is neither an IP address nor a CIDR network.");
        }
    }

    /// <summary>
    /// The deployment's prefix, and the specific ones of the rate limits and client authentication when
    /// set; those default to it plus a suffix, so they may be a little longer.
    /// </summary>
    private static void CheckRedisKeyPrefixes(GatehouseOptions options, List<string> problems)
    {
        const int specificMaxLength = RedisKeyPrefix.MaxLength + 16;
        (string Key, string? Prefix)[] specific =
        [
            ($"{GatehouseOptions.Section}:Accounts:RateLimits:RedisKeyPrefix", options.Accounts.RateLimits.RedisKeyPrefix),
            ($"{GatehouseOptions.Section}:{ClientAuthenticationOptions.Section}:RedisKeyPrefix", options.ClientAuthentication.RedisKeyPrefix),
        ];
        problems.AddRange(specific
            .Where(setting => setting.Prefix is not null)
            .Select(setting => RedisKeyPrefix.Problem(setting.Key, setting.Prefix, specificMaxLength))
            .Prepend(RedisKeyPrefix.Problem(RedisOptions.KeyPrefixKey, options.Redis.KeyPrefix))
            .OfType<string>());
    }

    private static void CheckClientAuthentication(ClientAuthenticationOptions limits, List<string> problems)
    {
        const string key = GatehouseOptions.Section + ":" + ClientAuthenticationOptions.Section;
        if (limits.FreeFailures is < 1 or > 1000)
        {
            problems.Add($"{key}:FreeFailures is {limits.FreeFailures}; use between 1 and 1000.");
        }

        if (limits.PerIpFreeFailures < limits.FreeFailures || limits.PerIpFreeFailures > 100_000)
        {
            problems.Add($"{key}:PerIpFreeFailures is {limits.PerIpFreeFailures}; use at least {key}:FreeFailures ({limits.FreeFailures}) and at most 100000.");
        }

        if (limits.FirstWait <= TimeSpan.Zero || limits.MaxWait < limits.FirstWait || limits.MaxWait > TimeSpan.FromDays(1))
        {
            problems.Add($"{key}:FirstWait ({limits.FirstWait}) must be positive and no longer than {key}:MaxWait ({limits.MaxWait}), which is at most one day.");
        }

        if (limits.Window < limits.MaxWait)
        {
            problems.Add($"{key}:Window ({limits.Window}) must be at least {key}:MaxWait ({limits.MaxWait}).");
        }
    }

    private static void CheckBackChannelLogout(BackChannelLogoutOptions logout, List<string> problems)
    {
        const string key = GatehouseOptions.Section + ":" + BackChannelLogoutOptions.Section;
        if (logout.Timeout < TimeSpan.FromMilliseconds(100) || logout.Timeout > TimeSpan.FromMinutes(1))
        {
            problems.Add($"{key}:Timeout is {logout.Timeout}; use between 00:00:00.1 and 00:01:00.");
        }

        if (logout.FirstRetryDelay < TimeSpan.FromMilliseconds(100) || logout.MaxRetryDelay < logout.FirstRetryDelay)
        {
            problems.Add($"{key}:FirstRetryDelay ({logout.FirstRetryDelay}) must be at least 00:00:00.1 and no longer than {key}:MaxRetryDelay ({logout.MaxRetryDelay}).");
        }

        if (logout.GiveUpAfter < logout.FirstRetryDelay || logout.GiveUpAfter > TimeSpan.FromDays(7))
        {
            problems.Add($"{key}:GiveUpAfter is {logout.GiveUpAfter}; use at least {key}:FirstRetryDelay and at most 7 days.");
        }

        if (logout.PollInterval < TimeSpan.FromMilliseconds(100) || logout.PollInterval > TimeSpan.FromMinutes(5))
        {
            problems.Add($"{key}:PollInterval is {logout.PollInterval}; use between 00:00:00.1 and 00:05:00.");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9._:\-/]{1,100}$")]
    private static partial Regex ScopeName();
}
