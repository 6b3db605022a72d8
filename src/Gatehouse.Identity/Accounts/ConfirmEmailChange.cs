using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Completes an email change: the code proves the new address, the account moves to it, every session
/// ends (a new credential version: the address is a recovery channel, so whoever held a session under
/// the old one must prove themselves again), the caller gets a fresh pair and the old address a notice.
/// </summary>
public sealed class ConfirmEmailChange(
    SignedInUsers signedIn,
    UserManager<GatehouseUser> users,
    ChangeEmail changeEmail,
    IVerificationCodes codes,
    AccountFlowStore flows,
    SessionRevocation revocation,
    TokenPairs tokens,
    IAccountMailer mailer,
    AuditLog audit)
{
    public async Task<Results<Ok<TokenPair>, ProblemHttpResult>> HandleAsync(ConfirmEmailRequest request, AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        var changed = await ConfirmAsync(current.User, request, call);
        return await tokens.FreshPairAsync(changed, call);
    }

    /// <summary>
    /// Checks the code of <paramref name="user"/>'s flow, moves the account to the new address and ends
    /// every session; the caller starts the fresh one.
    /// </summary>
    public async Task<FlowOutcome<CredentialsChanged>> ConfirmAsync(GatehouseUser user, ConfirmEmailRequest request, AccountCall call)
    {
        var flow = await flows.FindAsync(request.FlowId!, VerificationPurpose.ChangeEmail, FlowState.AwaitingCode, call.CancellationToken);
        if (flow is null || flow.ClientId != call.ClientId || flow.SubjectId != user.Id)
        {
            return AccountErrors.InvalidFlow.Problem();
        }

        var result = await codes.VerifyAsync(user.Id, VerificationPurpose.ChangeEmail, request.Code!, call.CancellationToken);
        if (result != CodeCheckResult.Valid || !flow.Deliverable)
        {
            // A flow for a taken address has a code nobody was sent; it can only fail.
            return CodeOutcomes.Reject(result == CodeCheckResult.Valid ? CodeCheckResult.Invalid : result, flow, call, audit);
        }

        var oldEmail = user.Email!;
        changeEmail.Apply(user, flow.Email);
        user.CredentialVersion++;
        IdentityResult updated;
        try
        {
            updated = await users.UpdateSecurityStampAsync(user);
        }
        catch (DbUpdateException)
        {
            // The unique user name index caught an account that took the address at the same moment.
            updated = IdentityResult.Failed(users.ErrorDescriber.DuplicateEmail(flow.Email));
        }

        if (updated.IsConcurrencyFailure())
        {
            return AccountErrors.ConcurrentChange.Problem();
        }

        if (!updated.Succeeded)
        {
            // Only someone holding the code sees this: the address was registered since the change began.
            audit.Record(AuditEventTypes.EmailChangeFailed, user.Id, call.ClientId, call.IpAddress, AccountErrors.EmailTaken.Code);
            return AccountErrors.EmailTaken.Problem("The new address was taken by another account since the change began; nothing changed.");
        }

        await flows.SaveAsync(flow with { State = FlowState.Completed }, call.CancellationToken);
        var cutoff = await revocation.RevokeEverythingAsync(user.Id, RefreshTokenFamilies.Reasons.CredentialsChanged, call.CancellationToken);

        await mailer.SendEmailChangedAsync(oldEmail, flow.Email, call.CancellationToken);
        audit.Record(AuditEventTypes.CodeUsed, user.Id, call.ClientId, call.IpAddress, flow.CodeReason);
        audit.Record(AuditEventTypes.EmailChanged, user.Id, call.ClientId, call.IpAddress);
        return new CredentialsChanged(user, cutoff);
    }
}
