namespace Gatehouse.ResourceServer;

/// <summary>
/// The rule for the prefix every Gatehouse Redis key and channel starts with. Deployments that share one
/// Redis (staging and production, two tenants) each set their own prefix, so they never read each
/// other's revocations, flows or codes. The identity service (<c>Gatehouse:Redis:KeyPrefix</c>) and the
/// resource-server kit (<c>Gatehouse:ResourceServer:Revocation:RedisKeyPrefix</c>) must use the same one.
/// </summary>
public static class RedisKeyPrefix
{
    /// <summary>The prefix of a deployment that sets none: <c>gatehouse:</c>.</summary>
    public const string Default = "gatehouse:";

    /// <summary>The longest prefix accepted.</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// Why <paramref name="prefix"/> cannot be a key prefix, as a sentence naming <paramref name="key"/>, or
    /// <see langword="null"/> when it can: it must be 1 to <paramref name="maxLength"/> (default
    /// <see cref="MaxLength"/>) printable ASCII characters without spaces (<c>!</c> to <c>~</c>), which keeps
    /// keys readable in <c>redis-cli</c> and the same bytes whatever encoding a tool assumes.
    /// </summary>
    public static string? Problem(string key, string? prefix, int maxLength = MaxLength)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            return $"{key} is empty; set a prefix such as '{Default}' (1 to {maxLength} printable ASCII characters without spaces).";
        }

        if (prefix.Length > maxLength)
        {
            return $"{key} is {prefix.Length} characters long; use at most {maxLength}.";
        }

        if (prefix.Any(c => c is < '!' or > '~'))
        {
            return $"{key} holds a space, a control or a non-ASCII character; use printable ASCII characters without spaces ('!' to '~').";
        }

        return null;
    }
}
