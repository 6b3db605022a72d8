using Microsoft.Extensions.Options;

namespace Gatehouse.ResourceServer;

/// <summary>
/// Checks <see cref="GatehouseResourceServerOptions"/> when the host starts. Each problem is one
/// sentence naming the setting (as its key under <c>Gatehouse:ResourceServer</c>).
/// </summary>
public sealed class GatehouseResourceServerOptionsValidator : IValidateOptions<GatehouseResourceServerOptions>
{
    private static readonly HashSet<string> AsymmetricAlgorithms = new(StringComparer.Ordinal)
    {
        "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    };

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GatehouseResourceServerOptions options)
    {
        var problems = Check(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Every problem with <paramref name="options"/>, one sentence each.</summary>
    public static List<string> Check(GatehouseResourceServerOptions options)
    {
        const string root = GatehouseResourceServerOptions.Section;
        var problems = new List<string>();
        if (options.Authority is null)
        {
            problems.Add($"{root}:Authority is missing; set it to the identity service's issuer, e.g. 'https://id.example.com/'.");
        }
        else if (!options.Authority.IsAbsoluteUri || options.Authority.Scheme is not ("http" or "https"))
        {
            problems.Add($"{root}:Authority is '{options.Authority}', which is not an absolute http(s) URI.");
        }
        else if (options.RequireHttpsMetadata && options.Authority.Scheme != Uri.UriSchemeHttps)
        {
            problems.Add($"{root}:Authority is '{options.Authority}' but {root}:RequireHttpsMetadata is true; use an https authority.");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            problems.Add($"{root}:Audience is missing; set it to this service's audience (the resource its tokens are issued for).");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            problems.Add($"{root}:ClockSkew is {options.ClockSkew}; use a value between 0 and 00:05:00.");
        }

        if (options.AllowedAlgorithms.Count == 0)
        {
            problems.Add($"{root}:AllowedAlgorithms is empty; list at least one of {string.Join(", ", AsymmetricAlgorithms)}.");
        }

        foreach (var algorithm in options.AllowedAlgorithms.Where(algorithm => !AsymmetricAlgorithms.Contains(algorithm)))
        {
            problems.Add($"{root}:AllowedAlgorithms contains '{algorithm}', which is not an asymmetric JWS algorithm; 'none' and HMAC are never accepted.");
        }

        if (options.UnknownKeyRefreshInterval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"{root}:UnknownKeyRefreshInterval is {options.UnknownKeyRefreshInterval}; at least 00:00:01, so unknown key ids cannot flood the authority.");
        }

        if (options.KeyRefreshInterval < TimeSpan.FromSeconds(10))
        {
            problems.Add($"{root}:KeyRefreshInterval is {options.KeyRefreshInterval}; read the keys at most every 10 seconds (00:00:10).");
        }

        if (options.ValidatedTokenCacheSize < 0)
        {
            problems.Add($"{root}:ValidatedTokenCacheSize is {options.ValidatedTokenCacheSize}; use 0 (off) or more.");
        }

        var feed = options.Revocation;
        if (!feed.Disabled && string.IsNullOrWhiteSpace(feed.RedisConnection)
            && (string.IsNullOrWhiteSpace(feed.ClientId) || string.IsNullOrEmpty(feed.ClientSecret)))
        {
            problems.Add($"{root}:Revocation needs either RedisConnection (the identity service's Redis) or ClientId and ClientSecret (a client allowed the '{Revocation.RevocationFeed.Scope}' scope, for the HTTP feed).");
        }

        if (feed.RedisConnection is { Length: > 0 } redis)
        {
            try
            {
                _ = StackExchange.Redis.ConfigurationOptions.Parse(redis);
            }
            catch (ArgumentException exception)
            {
                problems.Add($"{root}:Revocation:RedisConnection is not a valid Redis configuration string: {exception.Message}");
            }
        }

        if (RedisKeyPrefix.Problem($"{root}:Revocation:RedisKeyPrefix", feed.RedisKeyPrefix) is { } prefixProblem)
        {
            problems.Add(prefixProblem);
        }

        if (feed.GracePeriod < TimeSpan.Zero || feed.GracePeriod > TimeSpan.FromHours(1))
        {
            problems.Add($"{root}:Revocation:GracePeriod is {feed.GracePeriod}; use a value between 0 and 01:00:00.");
        }

        if (feed.PollWait < TimeSpan.FromSeconds(1) || feed.PollWait > TimeSpan.FromSeconds(30))
        {
            problems.Add($"{root}:Revocation:PollWait is {feed.PollWait}; use a value between 00:00:01 and 00:00:30.");
        }

        return problems;
    }
}
