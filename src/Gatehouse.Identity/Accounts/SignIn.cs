using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Email and password for a token pair. An unknown email, a wrong password and a banned account get the
/// same answer after the same work (a hash verification); repeated failures lock the account.
/// </summary>
public sealed class SignIn(
    UserManager<GatehouseUser> users,
    PasswordVerifier passwords,
    AccountLockout lockout,
    TokenPairs tokens,
    AuditLog audit)
{
    public async Task<Results<Ok<TokenPair>, ProblemHttpResult>> HandleAsync(SignInRequest request, AccountCall call)
    {
        var verified = await VerifyAsync(request, call);
        return verified.Value is { } user ? TypedResults.Ok(await tokens.StartSessionAsync(user, call)) : verified.Problem!;
    }

    /// <summary>Checks the credentials (lockout, audit, hash upgrade); the caller starts the session it issues.</summary>
    public async Task<FlowOutcome<GatehouseUser>> VerifyAsync(SignInRequest request, AccountCall call)
    {
        var user = await users.FindByEmailAsync(request.Email!);
        if (user is not null && lockout.Remaining(user) is { } wait)
        {
            audit.Record(AuditEventTypes.SignInFailed, user.Id, call.ClientId, call.IpAddress, AccountErrors.AccountLocked.Code);
            call.RetryAfter(wait);
            return AccountErrors.AccountLocked.Problem();
        }

        var verified = await passwords.VerifyAsync(user, request.Password!);
        if (user is null || !verified || user.Status != UserStatus.Active)
        {
            var reason = user is null ? "unknown_email" : !verified ? "wrong_password" : "account_" + user.Status.ToString().ToLowerInvariant();
            audit.Record(AuditEventTypes.SignInFailed, user?.Id, call.ClientId, call.IpAddress, reason);
            if (user is not null && !verified && await lockout.RecordFailureAsync(user, call.CancellationToken) is not null)
            {
                audit.Record(AuditEventTypes.Lockout, user.Id, call.ClientId, call.IpAddress);
            }

            return AccountErrors.InvalidCredentials.Problem();
        }

        await lockout.RecordSuccessAsync(user, call.CancellationToken);
        audit.Record(AuditEventTypes.SignInSucceeded, user.Id, call.ClientId, call.IpAddress);
        return user;
    }
}
