using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Deletes the signed-in user's account after a password check: profile, credentials and sessions go,
/// every token is revoked, and the audit trail keeps only the user id.
/// </summary>
public sealed class DeleteAccount(
    SignedInUsers signedIn,
    UserManager<GatehouseUser> users,
    PasswordConfirmation confirmation,
    SessionRevocation revocation,
    IAccountMailer mailer,
    AuditLog audit)
{
    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(DeleteAccountRequest request, AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        var deleted = await DeleteAsync(current.User, request, call);
        return deleted.Value is not null ? TypedResults.NoContent() : deleted.Problem!;
    }

    /// <summary>Checks the password (lockout, audit) of <paramref name="user"/>, who the caller has found signed in, then deletes the account.</summary>
    public async Task<FlowOutcome<GatehouseUser>> DeleteAsync(GatehouseUser user, DeleteAccountRequest request, AccountCall call)
    {
        if (await confirmation.CheckAsync(user, request.Password!, "password", AuditEventTypes.AccountDeleteFailed, call) is { } refused)
        {
            return refused;
        }

        await RemoveAsync(user, call.ClientId, call.IpAddress, actorUserId: null, call.CancellationToken);
        return user;
    }

    /// <summary>
    /// Deletes <paramref name="user"/> without asking for the password (the caller has decided, as the
    /// admin API does): every session and token revoked, profile and credentials removed, the owner told,
    /// and the audit trail keeps only the id.
    /// </summary>
    public async Task RemoveAsync(GatehouseUser user, string? clientId, string? ipAddress, Guid? actorUserId, CancellationToken cancellationToken)
    {
        await revocation.RevokeEverythingAsync(user.Id, RefreshTokenFamilies.Reasons.AccountClosed, cancellationToken);
        var removed = await users.DeleteAsync(user);
        removed.EnsureStored("delete the user");

        if (user.Email is { } email)
        {
            await mailer.SendAccountDeletedAsync(email, cancellationToken);
        }

        audit.Record(AuditEventTypes.AccountDeleted, user.Id, clientId, ipAddress, actorUserId: actorUserId);
    }
}
