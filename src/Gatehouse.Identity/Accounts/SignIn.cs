using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Passwords;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Email and password for a token pair. An unknown email, a wrong password and a banned account get the
/// same answer after the same work (a hash verification); repeated failures lock the account, and an
/// address without an account is locked the same way (<see cref="UnknownAddressLockout"/>), so the
/// lockout does not tell which addresses have accounts either.
/// </summary>
public sealed class SignIn(
    GatehouseUserManager users,
    GatehouseDbContext db,
    TimeProvider time,
    PasswordVerifier passwords,
    AccountLockout lockout,
    UnknownAddressLockout unknownAddresses,
    TokenPairs tokens,
    AuditLog audit)
{
    public async Task<Results<Ok<TokenPair>, ProblemHttpResult>> HandleAsync(SignInRequest request, AccountCall call)
    {
        var (verified, roles) = await CheckAsync(request, call);
        return verified.Value is { } user ? TypedResults.Ok(await tokens.StartSessionAsync(user, call, roles: roles)) : verified.Problem!;
    }

    /// <summary>Checks the credentials (lockout, audit, hash upgrade); the caller starts the session it issues.</summary>
    public async Task<FlowOutcome<GatehouseUser>> VerifyAsync(SignInRequest request, AccountCall call) =>
        (await CheckAsync(request, call)).Outcome;

    private async Task<(FlowOutcome<GatehouseUser> Outcome, IReadOnlyList<string> Roles)> CheckAsync(SignInRequest request, AccountCall call)
    {
        var email = users.NormalizeEmail(request.Email!);
        var found = await FindAsync(email, call.CancellationToken);
        var user = found?.User;
        var locked = user is not null ? lockout.Remaining(user) : await unknownAddresses.RemainingAsync(email);
        if (locked is { } wait)
        {
            audit.Record(AuditEventTypes.SignInFailed, user?.Id, call.ClientId, call.IpAddress, user is null ? "unknown_email_locked" : AccountErrors.AccountLocked.Code);
            call.RetryAfter(wait);
            return (AccountErrors.AccountLocked.Problem(), []);
        }

        var verified = await passwords.VerifyAsync(user, request.Password!, call.CancellationToken);
        if (user is null || !verified || user.Status != UserStatus.Active)
        {
            var reason = user is null ? "unknown_email" : !verified ? "wrong_password" : "account_" + user.Status.ToString().ToLowerInvariant();
            audit.Record(AuditEventTypes.SignInFailed, user?.Id, call.ClientId, call.IpAddress, reason);
            var lockedNow = user is null
                ? await unknownAddresses.RecordFailureAsync(email)
                : !verified ? await lockout.RecordFailureAsync(user, call.CancellationToken) : null;
            if (lockedNow is not null)
            {
                audit.Record(AuditEventTypes.Lockout, user?.Id, call.ClientId, call.IpAddress, user is null ? "unknown_email" : null);
            }

            return (AccountErrors.InvalidCredentials.Problem(), []);
        }

        await lockout.RecordSuccessAsync(user, call.CancellationToken);
        audit.Record(AuditEventTypes.SignInSucceeded, user.Id, call.ClientId, call.IpAddress);
        return (user, found!.Roles);
    }

    /// <summary>
    /// The user with this email and their roles, read in one round trip without change tracking by a
    /// precompiled query: sign-in only reads the user (lockout bookkeeping and hash upgrades write by
    /// their own statements), and this is the hot path of the flow. A timed ban that has run out is
    /// lifted through the user manager, as every other lookup does.
    /// </summary>
    private async Task<SignInCandidate?> FindAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var found = await UserQueries.ForSignIn(db, normalizedEmail, cancellationToken);
        if (found is not { User: { Status: UserStatus.Banned, BannedUntil: not null } banned } || banned.IsBannedAt(time.GetUtcNow()))
        {
            return found;
        }

        return await users.FindByIdAsync(banned.Id.ToString()) is { } lifted ? found with { User = lifted } : found;
    }
}
