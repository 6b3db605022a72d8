using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Codes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Sends a new code for a flow that waits for one (sign-up, reset or email change) to the flow's address;
/// the previous code stops working.
/// Flows of unknown or taken addresses get a new code too, which is never sent, so the answer is the same.
/// </summary>
public sealed class SendCode(IVerificationCodes codes, AccountFlowStore flows, IAccountMailer mailer, AuditLog audit)
{
    public async Task<Results<Accepted<FlowStarted>, ProblemHttpResult>> HandleAsync(SendCodeRequest request, AccountCall call)
    {
        var flow = await flows.FindAsync(request.FlowId!, FlowState.AwaitingCode, call.CancellationToken);
        if (flow is null || flow.ClientId != call.ClientId)
        {
            return AccountErrors.InvalidFlow.Problem();
        }

        var code = await codes.IssueAsync(flow.SubjectId, flow.Purpose, call.CancellationToken);
        if (flow.Deliverable)
        {
            await mailer.SendCodeAsync(flow.Email, flow.Purpose, code);
            audit.Record(AuditEventTypes.CodeSent, flow.UserId, call.ClientId, call.IpAddress, flow.CodeReason);
        }

        return TypedResults.Accepted((string?)null, new FlowStarted(flow.Id.ToString(), flow.ExpiresAt));
    }
}
