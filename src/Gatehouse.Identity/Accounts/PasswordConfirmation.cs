using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// A signed-in user proving it again with the password before a grave step (a new password, deleting
/// the account): the lockout holds, a wrong password counts towards it, and each failure is audited.
/// </summary>
public sealed class PasswordConfirmation(PasswordVerifier passwords, AccountLockout lockout, AuditLog audit)
{
    /// <summary>Null when <paramref name="password"/> is right; otherwise the problem to answer.</summary>
    /// <param name="field">The request field that carried the password, named in the problem.</param>
    /// <param name="failedEvent">The audit event type written for a refusal.</param>
    public async Task<ProblemHttpResult?> CheckAsync(GatehouseUser user, string password, string field, string failedEvent, AccountCall call)
    {
        if (lockout.Remaining(user) is { } wait)
        {
            call.RetryAfter(wait);
            audit.Record(failedEvent, user.Id, call.ClientId, call.IpAddress, AccountErrors.AccountLocked.Code);
            return AccountErrors.AccountLocked.Problem();
        }

        if (await passwords.VerifyAsync(user, password, call.CancellationToken))
        {
            return null;
        }

        audit.Record(failedEvent, user.Id, call.ClientId, call.IpAddress, "wrong_password");
        if (await lockout.RecordFailureAsync(user, call.CancellationToken) is not null)
        {
            audit.Record(AuditEventTypes.Lockout, user.Id, call.ClientId, call.IpAddress);
        }

        return AccountErrors.Field(field, "is wrong.", AccountErrors.InvalidCredentials);
    }
}
