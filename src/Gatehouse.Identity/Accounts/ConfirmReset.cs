using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Completes a reset: the code proves the address, the new password replaces the old one, every session
/// ends (a new credential version), the caller gets a fresh pair and the owner an email.
/// </summary>
public sealed class ConfirmReset(
    UserManager<GatehouseUser> users,
    PasswordVerifier passwords,
    IVerificationCodes codes,
    AccountFlowStore flows,
    AccountLockout lockout,
    SessionRevocation revocation,
    TokenPairs tokens,
    IAccountMailer mailer,
    AuditLog audit)
{
    public async Task<Results<Ok<TokenPair>, ProblemHttpResult>> HandleAsync(ConfirmResetRequest request, AccountCall call)
    {
        var reset = await ResetAsync(request, call);
        return await tokens.FreshPairAsync(reset, call);
    }

    /// <summary>Checks the code, stores the new password and ends every session; the caller starts the fresh one.</summary>
    public async Task<FlowOutcome<CredentialsChanged>> ResetAsync(ConfirmResetRequest request, AccountCall call)
    {
        var flow = await flows.FindAsync(request.FlowId!, VerificationPurpose.ResetPassword, FlowState.AwaitingCode, call.CancellationToken);
        if (flow is null || flow.ClientId != call.ClientId)
        {
            return AccountErrors.InvalidFlow.Problem();
        }

        var user = flow.Deliverable ? await users.FindByIdAsync(flow.SubjectId.ToString()) : null;
        var problems = await passwords.ValidateNewAsync(user ?? new GatehouseUser { Id = flow.SubjectId, UserName = flow.Email, Email = flow.Email }, request.NewPassword!);
        if (problems.Count > 0)
        {
            return AccountErrors.Field("new_password", string.Join(" ", problems), AccountErrors.WeakPassword);
        }

        var result = await codes.VerifyAsync(flow.SubjectId, VerificationPurpose.ResetPassword, request.Code!, call.CancellationToken);
        if (result != CodeCheckResult.Valid || user is not { Status: UserStatus.Active })
        {
            return CodeOutcomes.Reject(result == CodeCheckResult.Valid ? CodeCheckResult.Invalid : result, flow, call, audit);
        }

        user.PasswordHash = users.PasswordHasher.HashPassword(user, request.NewPassword!);
        user.CredentialVersion++;
        var updated = await users.UpdateSecurityStampAsync(user);
        if (updated.StoredOrConflict("store the new password") is { } conflict)
        {
            return conflict;
        }

        await flows.SaveAsync(flow with { State = FlowState.Completed }, call.CancellationToken);
        await lockout.RecordSuccessAsync(user, call.CancellationToken);
        var cutoff = await revocation.RevokeEverythingAsync(user.Id, RefreshTokenFamilies.Reasons.CredentialsChanged, call.CancellationToken);

        var email = user.Email!;
        await mailer.SendPasswordChangedAsync(email);
        audit.Record(AuditEventTypes.CodeUsed, user.Id, call.ClientId, call.IpAddress, "reset_password");
        audit.Record(AuditEventTypes.PasswordReset, user.Id, call.ClientId, call.IpAddress);
        return new CredentialsChanged(user, cutoff);
    }
}
