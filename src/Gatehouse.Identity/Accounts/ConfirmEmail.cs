using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Accounts;

/// <summary>Completes a sign-up: the code proves the address, the user is created and signed in.</summary>
public sealed class ConfirmEmail(
    UserManager<GatehouseUser> users,
    IVerificationCodes codes,
    AccountFlowStore flows,
    TokenPairs tokens,
    AuditLog audit)
{
    public async Task<Results<Ok<TokenPair>, ProblemHttpResult>> HandleAsync(ConfirmEmailRequest request, AccountCall call)
    {
        var confirmed = await ConfirmAsync(request, call);
        return confirmed.Value is { } user ? TypedResults.Ok(await tokens.StartSessionAsync(user, call)) : confirmed.Problem!;
    }

    /// <summary>Checks the code and creates the user; the caller starts the session.</summary>
    public async Task<FlowOutcome<GatehouseUser>> ConfirmAsync(ConfirmEmailRequest request, AccountCall call)
    {
        var flow = await flows.FindAsync(request.FlowId!, VerificationPurpose.ConfirmEmail, FlowState.AwaitingCode, call.CancellationToken);
        if (flow is null || flow.ClientId != call.ClientId)
        {
            return AccountErrors.InvalidFlow.Problem();
        }

        var result = await codes.VerifyAsync(flow.SubjectId, VerificationPurpose.ConfirmEmail, request.Code!, call.CancellationToken);
        if (result != CodeCheckResult.Valid || !flow.Deliverable)
        {
            // A flow for a taken address has a code nobody was sent; it can only fail.
            return CodeOutcomes.Reject(result == CodeCheckResult.Valid ? CodeCheckResult.Invalid : result, flow, call, audit);
        }

        var user = new GatehouseUser
        {
            Id = flow.SubjectId,
            UserName = flow.Email,
            Email = flow.Email,
            EmailConfirmed = true,
            DisplayName = flow.DisplayName,
            PasswordHash = flow.PasswordHash,
            LockoutEnabled = true,
        };
        IdentityResult created;
        try
        {
            created = await users.CreateAsync(user);
        }
        catch (DbUpdateException)
        {
            // The unique user name index caught an account that took the address at the same moment
            // (after Identity's own duplicate check had passed).
            created = IdentityResult.Failed(users.ErrorDescriber.DuplicateEmail(flow.Email));
        }

        if (!created.Succeeded)
        {
            // Only someone holding the code sees this: the address was registered since the flow began.
            return AccountErrors.Field("email", string.Join(" ", created.Errors.Select(e => e.Description)), AccountErrors.EmailTaken);
        }

        await flows.SaveAsync(flow with { State = FlowState.Completed, PasswordHash = null }, call.CancellationToken);
        audit.Record(AuditEventTypes.CodeUsed, user.Id, call.ClientId, call.IpAddress, "confirm_email");
        audit.Record(AuditEventTypes.SignUpCompleted, user.Id, call.ClientId, call.IpAddress);
        return user;
    }
}
