namespace Gatehouse.Identity.Codes;

/// <summary>What a code may be used for; a code for one purpose never works for another.</summary>
public enum VerificationPurpose
{
    ConfirmEmail,
    ResetPassword,

    /// <summary>Proves that a signed-in user owns the address they are moving the account to.</summary>
    ChangeEmail,
}

/// <summary>A code as sent to the user. Only its hash is kept by the service.</summary>
public sealed record IssuedCode(string Code, DateTimeOffset ExpiresAt);

public enum CodeCheckResult
{
    /// <summary>The code matched and is now spent.</summary>
    Valid,

    /// <summary>The code did not match; an attempt was counted.</summary>
    Invalid,

    /// <summary>No live code: never sent, expired, already used or replaced by a newer one.</summary>
    NotFound,

    /// <summary>Too many wrong attempts; the code is void and a new one must be requested.</summary>
    TooManyAttempts,
}

/// <summary>
/// Single-use codes bound to one user and one purpose, short-lived, with a limited number of attempts.
/// Issuing a new code voids the previous one for the same user and purpose.
/// </summary>
public interface IVerificationCodes
{
    Task<IssuedCode> IssueAsync(Guid userId, VerificationPurpose purpose, CancellationToken cancellationToken = default);

    Task<CodeCheckResult> VerifyAsync(Guid userId, VerificationPurpose purpose, string code, CancellationToken cancellationToken = default);

    /// <summary>Voids any live code of this user and purpose.</summary>
    Task VoidAsync(Guid userId, VerificationPurpose purpose, CancellationToken cancellationToken = default);
}
