using Gatehouse.Identity.Codes;

namespace Gatehouse.Identity.Email;

/// <summary>The messages the account flows send, written once in plain text and HTML.</summary>
public interface IAccountMailer
{
    /// <summary>A one-time code to confirm an email address (new or changed) or to reset a password.</summary>
    Task SendCodeAsync(string to, VerificationPurpose purpose, IssuedCode code, CancellationToken cancellationToken = default);

    /// <summary>Tells the owner of an address that someone tried to sign up with it again.</summary>
    Task SendSignUpAttemptAsync(string to, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells the owner of an address that a signed-in user of another account tried to move it to this
    /// address; nothing changed and no code was sent.
    /// </summary>
    Task SendEmailChangeAttemptAsync(string to, CancellationToken cancellationToken = default);

    /// <summary>Tells the old address of an account that the account now uses <paramref name="newAddress"/> (shown masked).</summary>
    Task SendEmailChangedAsync(string to, string newAddress, CancellationToken cancellationToken = default);

    /// <summary>Tells the owner that the password was changed or reset.</summary>
    Task SendPasswordChangedAsync(string to, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells someone an administrator opened an account for them, with a code and the page where they
    /// choose their password with it.
    /// </summary>
    Task SendAccountCreatedAsync(string to, IssuedCode code, Uri setPasswordPage, CancellationToken cancellationToken = default);

    /// <summary>Confirms that the account and its data were deleted.</summary>
    Task SendAccountDeletedAsync(string to, CancellationToken cancellationToken = default);
}
