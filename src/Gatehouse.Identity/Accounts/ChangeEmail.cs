using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Email;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Starts moving the signed-in user's account to a new email address: the current password is checked
/// (lockout, audit) and a code goes to the new address, whose owner must prove it before anything
/// changes. An address that belongs to another account gets the same answer; no code is sent, and its
/// owner is told by email instead.
/// </summary>
public sealed class ChangeEmail(
    SignedInUsers signedIn,
    UserManager<GatehouseUser> users,
    PasswordConfirmation confirmation,
    AccountLockout lockout,
    IVerificationCodes codes,
    AccountFlowStore flows,
    IAccountMailer mailer,
    AuditLog audit,
    IOptions<GatehouseOptions> options,
    TimeProvider time)
{
    private static readonly HashSet<string> TakenErrors = new(StringComparer.Ordinal)
    {
        nameof(IdentityErrorDescriber.DuplicateEmail),
        nameof(IdentityErrorDescriber.DuplicateUserName),
    };

    public async Task<Results<Accepted<FlowStarted>, ProblemHttpResult>> HandleAsync(ChangeEmailRequest request, AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        var started = await StartAsync(current.User, request, call);
        return started.Value is { } flow
            ? TypedResults.Accepted((string?)null, new FlowStarted(flow.Id.ToString(), flow.ExpiresAt))
            : started.Problem!;
    }

    /// <summary>
    /// Checks the password of <paramref name="user"/>, who the caller has found signed in, and the new
    /// address, then opens the flow and sends its code (or, for a taken address, the owner's notice).
    /// </summary>
    public async Task<FlowOutcome<AccountFlow>> StartAsync(GatehouseUser user, ChangeEmailRequest request, AccountCall call)
    {
        if (await confirmation.CheckAsync(user, request.Password!, "password", AuditEventTypes.EmailChangeFailed, call) is { } refused)
        {
            return refused;
        }

        await lockout.RecordSuccessAsync(user, call.CancellationToken);
        var email = request.NewEmail!;
        if (string.Equals(users.NormalizeEmail(email), user.NormalizedEmail, StringComparison.Ordinal))
        {
            return AccountErrors.Field("new_email", "is the address of this account already.");
        }

        var (problems, taken) = await CheckAddressAsync(user, email);
        if (problems.Count > 0)
        {
            return AccountErrors.Field("new_email", string.Join(" ", problems));
        }

        var code = await codes.IssueAsync(user.Id, VerificationPurpose.ChangeEmail, call.CancellationToken);
        var flow = new AccountFlow(
            Guid.NewGuid(), VerificationPurpose.ChangeEmail, FlowState.AwaitingCode,
            time.GetUtcNow() + options.Value.Accounts.FlowLifetime, call.ClientId, user.Id, Deliverable: !taken, email);
        await flows.SaveAsync(flow, call.CancellationToken);

        if (taken)
        {
            await mailer.SendEmailChangeAttemptAsync(email, call.CancellationToken);
        }
        else
        {
            await mailer.SendCodeAsync(email, VerificationPurpose.ChangeEmail, code, call.CancellationToken);
            audit.Record(AuditEventTypes.CodeSent, user.Id, call.ClientId, call.IpAddress, flow.CodeReason);
        }

        audit.Record(AuditEventTypes.EmailChangeRequested, user.Id, call.ClientId, call.IpAddress, taken ? "email_taken" : null);
        return flow;
    }

    /// <summary>
    /// Moves <paramref name="user"/> to <paramref name="email"/> in memory: the address, and the user name
    /// too while it is the address (as sign-up sets it). The caller stores the user.
    /// </summary>
    public void Apply(GatehouseUser user, string email)
    {
        if (string.Equals(user.UserName, user.Email, StringComparison.OrdinalIgnoreCase))
        {
            user.UserName = email;
            user.NormalizedUserName = users.NormalizeName(email);
        }

        user.Email = email;
        user.NormalizedEmail = users.NormalizeEmail(email);
        user.EmailConfirmed = true;
    }

    /// <summary>
    /// Runs Identity's user rules on the user as it would be after the change: what is wrong with the
    /// address (a user name it may not be, for instance), and whether another account holds it.
    /// </summary>
    private async Task<(List<string> Problems, bool Taken)> CheckAddressAsync(GatehouseUser user, string email)
    {
        var moved = new GatehouseUser { Id = user.Id, UserName = user.UserName, Email = user.Email };
        Apply(moved, email);
        var problems = new List<string>();
        var taken = false;
        foreach (var validator in users.UserValidators)
        {
            foreach (var error in (await validator.ValidateAsync(users, moved)).Errors)
            {
                if (TakenErrors.Contains(error.Code))
                {
                    taken = true;
                }
                else
                {
                    problems.Add(error.Description);
                }
            }
        }

        return (problems, taken);
    }
}
