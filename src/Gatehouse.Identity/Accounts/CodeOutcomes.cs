using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Codes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>How a failed code check is answered and audited, the same way by every flow.</summary>
public static class CodeOutcomes
{
    public static ProblemHttpResult Reject(CodeCheckResult result, AccountFlow flow, AccountCall call, AuditLog audit)
    {
        var error = result switch
        {
            CodeCheckResult.Invalid => AccountErrors.InvalidCode,
            CodeCheckResult.TooManyAttempts => AccountErrors.CodeAttemptsExceeded,
            _ => AccountErrors.CodeExpired,
        };
        audit.Record(AuditEventTypes.CodeFailed, flow.UserId, call.ClientId, call.IpAddress, error.Code);
        return AccountErrors.Field("code", error.Title, error);
    }
}
