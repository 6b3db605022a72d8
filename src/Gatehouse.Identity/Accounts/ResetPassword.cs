using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Starts a password reset: a code goes to the address if it belongs to an active account. Unknown
/// addresses get the same answer and a flow whose code is never sent.
/// </summary>
public sealed class ResetPassword(
    UserManager<GatehouseUser> users,
    IVerificationCodes codes,
    AccountFlowStore flows,
    IAccountMailer mailer,
    AuditLog audit,
    IOptions<GatehouseOptions> options,
    TimeProvider time)
{
    public async Task<Results<Accepted<FlowStarted>, ProblemHttpResult>> HandleAsync(ResetPasswordRequest request, AccountCall call)
    {
        var email = request.Email!;
        var user = await users.FindByEmailAsync(email);
        var known = user is { Status: UserStatus.Active };
        var subjectId = known ? user!.Id : Guid.CreateVersion7();

        var (flow, code) = await OpenAsync(subjectId, known, email, call.ClientId, call.CancellationToken);

        if (known)
        {
            await mailer.SendCodeAsync(email, VerificationPurpose.ResetPassword, code);
            audit.Record(AuditEventTypes.CodeSent, subjectId, call.ClientId, call.IpAddress, "reset_password");
        }

        audit.Record(AuditEventTypes.PasswordResetRequested, known ? subjectId : null, call.ClientId, call.IpAddress, known ? null : "unknown_email");
        return TypedResults.Accepted((string?)null, new FlowStarted(flow.Id.ToString(), flow.ExpiresAt));
    }

    /// <summary>
    /// A reset flow for a known user, continued by <paramref name="clientId"/>; the caller delivers the
    /// code (the admin API does so for a user it created without a password).
    /// </summary>
    public Task<(AccountFlow Flow, IssuedCode Code)> StartForAsync(GatehouseUser user, string clientId, CancellationToken cancellationToken) =>
        OpenAsync(user.Id, true, user.Email!, clientId, cancellationToken);

    private async Task<(AccountFlow Flow, IssuedCode Code)> OpenAsync(Guid subjectId, bool deliverable, string email, string clientId, CancellationToken cancellationToken)
    {
        var code = await codes.IssueAsync(subjectId, VerificationPurpose.ResetPassword, cancellationToken);
        var flow = new AccountFlow(
            Guid.NewGuid(), VerificationPurpose.ResetPassword, FlowState.AwaitingCode,
            time.GetUtcNow() + options.Value.Accounts.FlowLifetime, clientId, subjectId, deliverable, email);
        await flows.SaveAsync(flow, cancellationToken);
        return (flow, code);
    }
}
