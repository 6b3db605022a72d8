using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Codes;

/// <summary>
/// Issues and checks one-time codes. A code is drawn from the operating system's CSPRNG; only an
/// HMAC of (user, purpose, code) under a server key from the database is stored, so neither a copy of
/// the store nor a code stolen for one user or purpose helps with another.
/// </summary>
public sealed partial class VerificationCodes(
    IVerificationCodeStore store,
    ServerKeyRing keyRing,
    IServiceScopeFactory scopes,
    IOptions<GatehouseOptions> options,
    TimeProvider time,
    ILogger<VerificationCodes> logger) : IVerificationCodes
{
    /// <summary>Longest input that is hashed at all; anything longer is wrong without looking.</summary>
    private const int MaxPresentedLength = 64;

    // Keys another node created after this one loaded its ring (several nodes starting at once).
    private readonly ConcurrentDictionary<string, byte[]> _lateKeys = new(StringComparer.Ordinal);

    private CodeOptions Settings => options.Value.Codes;

    public async Task<IssuedCode> IssueAsync(Guid userId, VerificationPurpose purpose, CancellationToken cancellationToken = default)
    {
        var code = NewCode(Settings.Digits);
        var key = keyRing.CodeMacKeys[0];
        var expiresAt = time.GetUtcNow() + Settings.Lifetime;
        await store.PutAsync(StoreKey(userId, purpose), new StoredCode(Mac(key.Material, userId, purpose, code), key.Id, expiresAt), cancellationToken);
        LogIssued(logger, userId, purpose, expiresAt);
        return new IssuedCode(code, expiresAt);
    }

    public async Task<CodeCheckResult> VerifyAsync(Guid userId, VerificationPurpose purpose, string code, CancellationToken cancellationToken = default)
    {
        var storeKey = StoreKey(userId, purpose);

        // The attempt is counted before the comparison, so parallel guesses cannot outrun the limit.
        var attempt = await store.CountAttemptAsync(storeKey, Settings.MaxAttempts, time.GetUtcNow(), cancellationToken);
        if (attempt.Status == AttemptStatus.None)
        {
            return CodeCheckResult.NotFound;
        }

        if (attempt.Status == AttemptStatus.Exhausted || attempt.Code is not { } stored)
        {
            LogExhausted(logger, userId, purpose);
            return CodeCheckResult.TooManyAttempts;
        }

        var material = await FindKeyAsync(stored.KeyId, cancellationToken);
        var presented = (code ?? "").Trim();
        var matches = material is not null
                      && presented.Length <= MaxPresentedLength
                      && CryptographicOperations.FixedTimeEquals(Mac(material, userId, purpose, presented), stored.Mac);
        if (matches)
        {
            return await store.SpendAsync(storeKey, stored.Mac, cancellationToken) ? CodeCheckResult.Valid : CodeCheckResult.NotFound;
        }

        var used = stored.Attempts + 1;
        LogWrongCode(logger, userId, purpose, used, Settings.MaxAttempts);
        return used >= Settings.MaxAttempts ? CodeCheckResult.TooManyAttempts : CodeCheckResult.Invalid;
    }

    public Task VoidAsync(Guid userId, VerificationPurpose purpose, CancellationToken cancellationToken = default) =>
        store.RemoveAsync(StoreKey(userId, purpose), cancellationToken);

    internal static string NewCode(int digits)
    {
        Span<char> code = stackalloc char[digits];
        for (var i = 0; i < digits; i++)
        {
            code[i] = (char)('0' + RandomNumberGenerator.GetInt32(10));
        }

        return new string(code);
    }

    private static string StoreKey(Guid userId, VerificationPurpose purpose) =>
        string.Create(CultureInfo.InvariantCulture, $"{purpose}:{userId:N}");

    private static byte[] Mac(byte[] key, Guid userId, VerificationPurpose purpose, string code)
    {
        var input = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{userId:N}\n{purpose}\n{code}"));
        try
        {
            return HMACSHA256.HashData(key, input);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    private async Task<byte[]?> FindKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        foreach (var key in keyRing.CodeMacKeys)
        {
            if (key.Id == keyId)
            {
                return key.Material;
            }
        }

        if (_lateKeys.TryGetValue(keyId, out var late))
        {
            return late;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var found = await db.ServerKeys.AsNoTracking()
            .Where(key => key.Id == keyId && key.Use == ServerKeyUse.CodeMac)
            .Select(key => key.Material)
            .FirstOrDefaultAsync(cancellationToken);
        if (found is not null)
        {
            _lateKeys.TryAdd(keyId, found);
        }

        return found;
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "Issued a {Purpose} code for user {UserId}, valid until {ExpiresAt}")]
    private static partial void LogIssued(ILogger logger, Guid userId, VerificationPurpose purpose, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Wrong {Purpose} code for user {UserId}: attempt {Attempt} of {MaxAttempts}")]
    private static partial void LogWrongCode(ILogger logger, Guid userId, VerificationPurpose purpose, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "The {Purpose} code of user {UserId} is void after too many wrong attempts")]
    private static partial void LogExhausted(ILogger logger, Guid userId, VerificationPurpose purpose);
}
