using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// A user's row changed between being read and being written: Identity's concurrency stamp refused the
/// write because another request (a second password change, an admin's ban, a sign-in that upgraded the
/// hash) stored the same user first. Nothing of this request's change was stored; it is answered 409
/// <c>concurrent_change</c>, and the caller may simply try again.
/// </summary>
public sealed class ConcurrentUserChangeException(string action)
    : Exception($"The user was changed by another request while trying to {action}.");

public static class IdentityResultChecks
{
    /// <summary>Whether the write failed on the concurrency stamp.</summary>
    public static bool IsConcurrencyFailure(this IdentityResult result) =>
        result.Errors.Any(error => error.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure));

    /// <summary>
    /// Throws unless the change was stored: <see cref="ConcurrentUserChangeException"/> when another request
    /// changed the user first, <see cref="InvalidOperationException"/> for any other failure.
    /// </summary>
    public static void EnsureStored(this IdentityResult result, string action)
    {
        if (result.Succeeded)
        {
            return;
        }

        if (result.IsConcurrencyFailure())
        {
            throw new ConcurrentUserChangeException(action);
        }

        throw new InvalidOperationException($"Could not {action}: " + string.Join("; ", result.Errors.Select(error => error.Description)));
    }

    /// <summary>
    /// For flows that answer with a problem rather than throw: null when the change was stored, the 409
    /// <c>concurrent_change</c> problem when another request changed the user first; any other failure throws.
    /// </summary>
    public static ProblemHttpResult? StoredOrConflict(this IdentityResult result, string action)
    {
        if (result.IsConcurrencyFailure())
        {
            return AccountErrors.ConcurrentChange.Problem();
        }

        result.EnsureStored(action);
        return null;
    }
}

/// <summary>Answers <see cref="ConcurrentUserChangeException"/>, from whichever endpoint, with a 409 problem.</summary>
internal sealed class ConcurrentUserChangeHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ConcurrentUserChangeException)
        {
            return false;
        }

        await AccountErrors.ConcurrentChange.WriteAsync(problems, httpContext, exception);
        return true;
    }
}
