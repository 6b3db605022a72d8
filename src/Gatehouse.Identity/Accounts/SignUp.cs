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
/// Starts a sign-up: checks the password, hashes it into the flow and emails a code. No user row exists
/// until the email is confirmed, so an address cannot be claimed by someone who does not own it. A taken
/// email gets the same answer; its owner is told by email instead.
/// </summary>
public sealed class SignUp(
    UserManager<GatehouseUser> users,
    PasswordVerifier passwords,
    IVerificationCodes codes,
    AccountFlowStore flows,
    IAccountMailer mailer,
    AuditLog audit,
    IOptions<GatehouseOptions> options,
    TimeProvider time)
{
    public async Task<Results<Accepted<FlowStarted>, ProblemHttpResult>> HandleAsync(SignUpRequest request, AccountCall call)
    {
        var email = request.Email!;
        var subjectId = Guid.CreateVersion7();
        var candidate = new GatehouseUser { Id = subjectId, UserName = email, Email = email, DisplayName = FieldErrors.StoredDisplayName(request.DisplayName) };

        var problems = await passwords.ValidateNewAsync(candidate, request.Password!);
        if (problems.Count > 0)
        {
            return AccountErrors.Field("password", string.Join(" ", problems), AccountErrors.WeakPassword);
        }

        var existing = await users.FindByEmailAsync(email);
        var hash = users.PasswordHasher.HashPassword(candidate, request.Password!);
        var code = await codes.IssueAsync(subjectId, VerificationPurpose.ConfirmEmail, call.CancellationToken);
        var flow = new AccountFlow(
            Guid.NewGuid(), VerificationPurpose.ConfirmEmail, FlowState.AwaitingCode,
            time.GetUtcNow() + options.Value.Accounts.FlowLifetime, call.ClientId, subjectId,
            Deliverable: existing is null, email, candidate.DisplayName, hash);
        await flows.SaveAsync(flow, call.CancellationToken);

        if (existing is null)
        {
            await mailer.SendCodeAsync(email, VerificationPurpose.ConfirmEmail, code);
            audit.Record(AuditEventTypes.CodeSent, null, call.ClientId, call.IpAddress, "confirm_email");
        }
        else
        {
            await mailer.SendSignUpAttemptAsync(email);
        }

        audit.Record(AuditEventTypes.SignUpStarted, existing?.Id, call.ClientId, call.IpAddress, existing is null ? null : "email_taken");
        return TypedResults.Accepted((string?)null, new FlowStarted(flow.Id.ToString(), flow.ExpiresAt));
    }
}
