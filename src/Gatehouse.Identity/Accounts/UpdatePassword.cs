using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Changes the password of the signed-in user, who proves it with the current one. Every session of the
/// user ends (a new credential version), the caller gets a fresh pair and the owner an email.
/// </summary>
public sealed class UpdatePassword(
    SignedInUsers signedIn,
    UserManager<GatehouseUser> users,
    PasswordVerifier passwords,
    PasswordConfirmation confirmation,
    AccountLockout lockout,
    SessionRevocation revocation,
    TokenPairs tokens,
    IAccountMailer mailer,
    AuditLog audit)
{
    public async Task<Results<Ok<TokenPair>, ProblemHttpResult>> HandleAsync(UpdatePasswordRequest request, AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        var changed = await ChangeAsync(current.User, request, call);
        return await tokens.FreshPairAsync(changed, call);
    }

    /// <summary>
    /// Checks the current password (lockout, audit), stores the new one and ends every session of
    /// <paramref name="user"/>, who the caller has already found signed in; the caller starts the fresh session.
    /// </summary>
    public async Task<FlowOutcome<CredentialsChanged>> ChangeAsync(GatehouseUser user, UpdatePasswordRequest request, AccountCall call)
    {
        if (await confirmation.CheckAsync(user, request.CurrentPassword!, "current_password", AuditEventTypes.PasswordChangeFailed, call) is { } refused)
        {
            return refused;
        }

        var problems = await passwords.ValidateNewAsync(user, request.NewPassword!);
        if (problems.Count > 0)
        {
            return AccountErrors.Field("new_password", string.Join(" ", problems), AccountErrors.WeakPassword);
        }

        user.CredentialVersion++;
        var changed = await users.ChangePasswordAsync(user, request.CurrentPassword!, request.NewPassword!);
        if (changed.IsConcurrencyFailure())
        {
            return AccountErrors.ConcurrentChange.Problem();
        }

        if (!changed.Succeeded)
        {
            return AccountErrors.Field("new_password", string.Join(" ", changed.Errors.Select(e => e.Description)), AccountErrors.WeakPassword);
        }

        await lockout.RecordSuccessAsync(user, call.CancellationToken);
        var cutoff = await revocation.RevokeEverythingAsync(user.Id, RefreshTokenFamilies.Reasons.CredentialsChanged, call.CancellationToken);

        var email = user.Email!;
        await mailer.SendPasswordChangedAsync(email);
        audit.Record(AuditEventTypes.PasswordChanged, user.Id, call.ClientId, call.IpAddress);
        return new CredentialsChanged(user, cutoff);
    }
}
