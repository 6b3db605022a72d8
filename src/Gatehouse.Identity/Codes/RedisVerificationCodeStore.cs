using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gatehouse.Identity.Codes;

/// <summary>
/// Codes shared by every node: one Redis hash per user and purpose (HMAC, key id, expiry, attempts),
/// expiring with the code. Each step is one Lua script, so it is atomic across nodes.
/// </summary>
public sealed class RedisVerificationCodeStore(IConnectionMultiplexer redis, IOptions<GatehouseOptions> options) : IVerificationCodeStore
{
    private readonly string _prefix = options.Value.Redis.Key("codes:");

    private const string PutScript = """
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'm', ARGV[1], 'k', ARGV[2], 'e', ARGV[3], 'a', 0)
        redis.call('PEXPIREAT', KEYS[1], ARGV[3])
        """;

    // Returns nil when no live code exists, {0} when its attempts are used up, otherwise
    // {1, mac, key id, expiry, attempts before this one} after counting the attempt.
    private const string CountAttemptScript = """
        local v = redis.call('HMGET', KEYS[1], 'm', 'k', 'e', 'a')
        if not v[1] then return nil end
        if tonumber(v[3]) <= tonumber(ARGV[2]) then
          redis.call('DEL', KEYS[1])
          return nil
        end
        local a = tonumber(v[4])
        if a >= tonumber(ARGV[1]) then return {0} end
        redis.call('HINCRBY', KEYS[1], 'a', 1)
        return {1, v[1], v[2], v[3], a}
        """;

    // The MAC compared here already matched the presented code; this only checks that the code was
    // not replaced or spent in between, so a plain comparison leaks nothing.
    private const string SpendScript = """
        if redis.call('HGET', KEYS[1], 'm') == ARGV[1] then
          redis.call('DEL', KEYS[1])
          return 1
        end
        return 0
        """;

    public async Task PutAsync(string key, StoredCode code, CancellationToken cancellationToken)
    {
        await redis.GetDatabase().ScriptEvaluateAsync(
            PutScript,
            [_prefix + key],
            [code.Mac, code.KeyId, code.ExpiresAt.ToUnixTimeMilliseconds()]);
    }

    public async Task<CodeAttempt> CountAttemptAsync(string key, int maxAttempts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(
            CountAttemptScript,
            [_prefix + key],
            [maxAttempts, now.ToUnixTimeMilliseconds()]);
        if (result.IsNull)
        {
            return new CodeAttempt(AttemptStatus.None);
        }

        var values = (RedisResult[])result!;
        if ((int)values[0] == 0)
        {
            return new CodeAttempt(AttemptStatus.Exhausted);
        }

        var code = new StoredCode(
            (byte[])values[1]!,
            (string)values[2]!,
            DateTimeOffset.FromUnixTimeMilliseconds((long)values[3]),
            (int)values[4]);
        return new CodeAttempt(AttemptStatus.Counted, code);
    }

    public async Task<bool> SpendAsync(string key, byte[] mac, CancellationToken cancellationToken)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(SpendScript, [_prefix + key], [mac]);
        return (int)result == 1;
    }

    public async Task RemoveAsync(string key, CancellationToken cancellationToken) =>
        await redis.GetDatabase().KeyDeleteAsync(_prefix + key);
}
