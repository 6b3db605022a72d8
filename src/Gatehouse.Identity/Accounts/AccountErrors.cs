using Gatehouse.Identity.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Accounts;

/// <summary>An error a caller of the account API can see: a stable code, its HTTP status and a title.</summary>
public sealed record AccountError(string Code, int Status, string Title);

/// <summary>
/// Every error of the account API, once. Answers are RFC 9457 problem details whose <c>code</c> member
/// (and the last segment of <c>type</c>) is one of these codes; clients branch on the code, never on text.
/// </summary>
public static class AccountErrors
{
    public const string TypePrefix = ProblemResponses.TypePrefix;

    public static readonly AccountError InvalidRequest = new("invalid_request", 400, "The request is not valid.");
    public static readonly AccountError PayloadTooLarge = new("payload_too_large", 413, "The request body is too large.");
    public static readonly AccountError UnsupportedMediaType = new("unsupported_media_type", 415, "The request body must be JSON (application/json).");
    public static readonly AccountError InvalidClient = new("invalid_client", 401, "The client is unknown, failed to authenticate or may not use the account API.");
    public static readonly AccountError InvalidToken = new("invalid_token", 401, "The access token is missing, invalid, expired or revoked.");
    public static readonly AccountError InvalidCredentials = new("invalid_credentials", 401, "The email or password is wrong.");
    public static readonly AccountError AccountLocked = new("account_locked", 403, "The account is locked after repeated failures; try again later.");
    public static readonly AccountError WeakPassword = new("weak_password", 400, "The password is not accepted.");
    public static readonly AccountError InvalidFlow = new("invalid_flow", 400, "The flow is unknown, expired, finished or not at this step.");
    public static readonly AccountError InvalidCode = new("invalid_code", 400, "The code is wrong.");
    public static readonly AccountError CodeExpired = new("code_expired", 400, "No live code: it expired, was used or was replaced; request a new one.");
    public static readonly AccountError CodeAttemptsExceeded = new("code_attempts_exceeded", 400, "Too many wrong codes; request a new one.");
    public static readonly AccountError EmailTaken = new("email_taken", 409, "An account with this email address exists already.");
    public static readonly AccountError InvalidRefreshToken = new("invalid_refresh_token", 400, "The refresh token is unknown, expired or revoked.");
    public static readonly AccountError RefreshTokenReused = new("refresh_token_reused", 400, "The refresh token was used before; the session is revoked.");
    public static readonly AccountError ConcurrentChange = new("concurrent_change", 409, "The account was changed by another request at the same moment; nothing was changed. Try again.");
    public static readonly AccountError SessionNotFound = new("session_not_found", 404, "The signed-in user has no live session with this id.");
    public static readonly AccountError TooManyRequests = new("too_many_requests", 429, "Too many requests; try again later.");
    public static readonly AccountError ServiceBusy = new("service_busy", 503, "The service is busy; try again in a moment.");

    public static ProblemHttpResult Problem(this AccountError error, string? detail = null, IDictionary<string, string[]>? fields = null) =>
        ProblemResponses.Problem(error.Status, error.Code, error.Title, detail, fields);

    /// <summary>Writes the error as a problem from an exception handler, which has no endpoint result to return.</summary>
    public static async Task WriteAsync(this AccountError error, IProblemDetailsService problems, HttpContext httpContext, Exception exception)
    {
        httpContext.Response.StatusCode = error.Status;
        var problem = new ProblemDetails
        {
            Status = error.Status,
            Title = error.Title,
            Type = TypePrefix + error.Code,
            Extensions = { ["code"] = error.Code },
        };
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception }))
        {
            await httpContext.Response.WriteAsync(error.Title, httpContext.RequestAborted);
        }
    }

    /// <summary>A 400 naming the field that is wrong.</summary>
    public static ProblemHttpResult Field(string field, string message, AccountError? error = null) =>
        (error ?? InvalidRequest).Problem($"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });
}
