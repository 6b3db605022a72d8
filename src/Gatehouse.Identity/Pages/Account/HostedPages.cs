using System.Threading.RateLimiting;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Configuration;
using Microsoft.AspNetCore.RateLimiting;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>The hosted account pages as a caller of the account flows.</summary>
public static class HostedPages
{
    /// <summary>
    /// The client id the pages' flows and audit records carry. It holds a '/', which no registered client
    /// id may, so no client of the JSON API can continue a flow a page started, or the other way round.
    /// </summary>
    public const string ClientId = "gatehouse/pages";

    /// <summary>The pages never issue token pairs, so this client has no scopes, audiences or token lifetime.</summary>
    public static readonly AccountClient Client = new(ClientId, [], [], TimeSpan.Zero);

    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        ["Email"] = "Email address",
        ["Password"] = "Password",
        ["DisplayName"] = "Name",
        ["Code"] = "Code",
        ["NewPassword"] = "New password",
        ["CurrentPassword"] = "Current password",
        ["NewEmail"] = "New email address",
    };

    /// <summary>The words a page's label uses for one of its fields.</summary>
    public static string Label(string property) => Labels.GetValueOrDefault(property, property);
}

/// <summary>The plain-language sentence a person sees for each error of the account flows' catalog.</summary>
public static class AccountErrorMessages
{
    /// <summary>Sign-in says the same about an unknown email, a wrong password and a locked or closed account.</summary>
    public const string SignInFailed = "The email or password is not right, or the account cannot sign in right now.";

    private static readonly Dictionary<string, AccountError> ByCode = new[]
    {
        AccountErrors.InvalidRequest, AccountErrors.InvalidCredentials, AccountErrors.AccountLocked, AccountErrors.WeakPassword,
        AccountErrors.InvalidFlow, AccountErrors.InvalidCode, AccountErrors.CodeExpired, AccountErrors.CodeAttemptsExceeded,
        AccountErrors.EmailTaken, AccountErrors.TooManyRequests, AccountErrors.ConcurrentChange,
    }.ToDictionary(error => error.Code, StringComparer.Ordinal);

    public static AccountError Find(string? code) =>
        code is not null && ByCode.TryGetValue(code, out var error) ? error : AccountErrors.InvalidRequest;

    public static string For(AccountError error) => error.Code switch
    {
        "invalid_credentials" => "The password is not right.",
        "account_locked" => "There were too many wrong passwords. Wait a few minutes, then try again.",
        "weak_password" => "Choose a longer or less common password.",
        "invalid_flow" => "This step has expired or is already finished. Please start again.",
        "invalid_code" => "That code is not right. Check the latest email we sent and try again.",
        "code_expired" => "That code no longer works: it expired, was used, or a newer one was sent. Ask for a new code.",
        "code_attempts_exceeded" => "There were too many wrong codes. Ask for a new code.",
        "email_taken" => "An account with this email address exists already. Sign in, or reset its password.",
        "concurrent_change" => "Your account was changed elsewhere at the same moment, so nothing was saved. Please try again.",
        "too_many_requests" => "There were too many attempts. Wait a minute, then try again.",
        _ => "Something in the form is not right. Check it and try again.",
    };
}

/// <summary>
/// The per-IP limit of the account API, applied to the pages' form posts (showing a form is free).
/// With Redis the pages and the API spend one budget per address.
/// </summary>
public sealed class HostedPageRateLimit(RateLimitSettings settings) : IRateLimiterPolicy<string>
{
    public const string PolicyName = "gatehouse-pages-per-ip";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = async (context, cancellationToken) =>
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(AccountRateLimits.RetryAfter(context.Lease).TotalSeconds))
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.ContentType = "text/html; charset=utf-8";
        await response.WriteAsync(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many attempts · Gatehouse</title>" +
            "<link rel=\"stylesheet\" href=\"/css/gatehouse.css\"></head><body><main id=\"main\" class=\"card\" role=\"alert\">" +
            "<h1>Too many attempts</h1><p>" + AccountErrorMessages.For(AccountErrors.TooManyRequests) + "</p></main></body></html>",
            cancellationToken);
    };

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        settings.Enabled && HttpMethods.IsPost(httpContext.Request.Method)
            ? AccountRateLimits.PerIpPartition(httpContext, settings)
            : RateLimitPartition.GetNoLimiter("");
}
