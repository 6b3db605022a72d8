namespace Gatehouse.Identity.Codes;

/// <summary>
/// What is kept of a live code: an HMAC of it (never the code), the id of the server key that made the
/// HMAC, when it expires and how many attempts were made on it.
/// </summary>
public sealed record StoredCode(byte[] Mac, string KeyId, DateTimeOffset ExpiresAt, int Attempts = 0);

public enum AttemptStatus
{
    /// <summary>No live code (never issued, expired, used or voided).</summary>
    None,

    /// <summary>The code has used up its attempts; it stays void until it would have expired.</summary>
    Exhausted,

    /// <summary>An attempt was counted; the caller compares the presented code with <see cref="CodeAttempt.Code"/>.</summary>
    Counted,
}

public readonly record struct CodeAttempt(AttemptStatus Status, StoredCode? Code = null);

/// <summary>
/// Keeps one code per user and purpose. Every operation is atomic, so concurrent guesses on several
/// nodes cannot exceed the attempt limit, and a code is spent at most once.
/// </summary>
public interface IVerificationCodeStore
{
    /// <summary>Stores <paramref name="code"/> under <paramref name="key"/>, replacing any earlier one.</summary>
    Task PutAsync(string key, StoredCode code, CancellationToken cancellationToken);

    /// <summary>
    /// Counts one attempt on the live code under <paramref name="key"/>, as long as fewer than
    /// <paramref name="maxAttempts"/> were made, and returns the code as it was stored.
    /// </summary>
    Task<CodeAttempt> CountAttemptAsync(string key, int maxAttempts, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Removes the code under <paramref name="key"/> if it is still the one with <paramref name="mac"/>; true if it was.</summary>
    Task<bool> SpendAsync(string key, byte[] mac, CancellationToken cancellationToken);

    Task RemoveAsync(string key, CancellationToken cancellationToken);
}
