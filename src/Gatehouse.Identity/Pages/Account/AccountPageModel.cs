using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Sessions;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// What every hosted account page shares: it calls the account flows as the hosted-pages caller, checks
/// its form with the same rules as the JSON API, counts against the same rate limits, and shows the
/// flows' problems in plain words beside the fields they concern.
/// </summary>
[EnableRateLimiting(HostedPageRateLimit.PolicyName)]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public abstract class AccountPageModel : PageModel
{
    private AccountCall? _call;

    /// <summary>Where the browser goes when the flow is done; only ever a local address.</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>JSON field names of the flow requests, mapped to this page's form fields.</summary>
    protected abstract IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary>The flows' view of this request: the hosted pages as the client, the browser's IP.</summary>
    protected AccountCall Call => _call ??= new AccountCall(
        HostedPages.Client, HttpContext.Connection.RemoteIpAddress?.ToString(), UserAccessTokens.BaseUriOf(Request), HttpContext);

    /// <summary>
    /// Starts a fresh browser session for a user a flow has just proved: a new session id, nothing of an
    /// earlier session carried over, and the security stamp the user has now.
    /// </summary>
    protected async Task StartBrowserSessionAsync(GatehouseUser user)
    {
        var services = HttpContext.RequestServices;
        await HttpContext.SignOutAsync(SessionCookie.Scheme);
        await services.GetRequiredService<SignInManager<GatehouseUser>>().SignInWithClaimsAsync(
            user, new AuthenticationProperties { IsPersistent = false },
            SessionCookie.NewSessionClaims(services.GetRequiredService<TimeProvider>().GetUtcNow(), SessionCookie.PasswordMethod));
    }

    protected string LocalReturnUrl(string fallback) => Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : fallback;

    /// <summary>Checks the form as the JSON API checks its body; false (with the errors shown) when it is wrong.</summary>
    protected bool Check(IAccountRequest request)
    {
        var errors = new FieldErrors();
        request.Check(errors);
        if (errors.Any)
        {
            Show(errors.ToProblem());
        }

        return !errors.Any;
    }

    /// <summary>The per-account limit of the credential-guessing steps, keyed as the JSON API keys it.</summary>
    protected async Task<bool> WithinAccountLimitAsync(IAccountRequest request)
    {
        if (request.AccountKey is not { } key
            || await HttpContext.RequestServices.GetRequiredService<AccountRateLimits>().AcquireForAccountAsync(key, HttpContext.RequestAborted) is not { } wait)
        {
            return true;
        }

        Call.RetryAfter(wait);
        Response.StatusCode = StatusCodes.Status429TooManyRequests;
        ModelState.AddModelError(string.Empty, AccountErrorMessages.For(AccountErrors.TooManyRequests));
        return false;
    }

    /// <summary>Puts a flow's problem on the page: beside its field when it names one, else at the top.</summary>
    protected void Show(ProblemHttpResult problem)
    {
        var details = problem.ProblemDetails;
        var error = AccountErrorMessages.Find(details.Extensions.TryGetValue("code", out var code) ? code as string : null);
        var fields = details.Extensions.TryGetValue("errors", out var named) ? named as IDictionary<string, string[]> : null;
        if (fields is null || fields.Count == 0)
        {
            ModelState.AddModelError(string.Empty, AccountErrorMessages.For(error));
            return;
        }

        foreach (var (field, messages) in fields)
        {
            var key = Fields.TryGetValue(field, out var property) ? property : string.Empty;
            var message = key.Length == 0
                ? AccountErrorMessages.For(field == "flow_id" ? AccountErrors.InvalidFlow : error)
                : error == AccountErrors.InvalidRequest || error == AccountErrors.WeakPassword
                    ? Sentence(key, string.Join(" ", messages))
                    : AccountErrorMessages.For(error);
            ModelState.AddModelError(key, message);
        }
    }

    /// <summary>"true" when the field has an error, for <c>aria-invalid</c>.</summary>
    public string Invalid(string field) => ErrorFor(field) is null ? "false" : "true";

    public string? ErrorFor(string field) =>
        ModelState.TryGetValue(field, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;

    /// <summary>The ids that describe a field: its hint, if any, and its error while it has one.</summary>
    public string? DescribedBy(string field, string? hint = null)
    {
        var ids = string.Join(' ', new[] { hint, ErrorFor(field) is null ? null : ErrorId(field) }.Where(id => id is not null));
        return ids.Length == 0 ? null : ids;
    }

    public static string ErrorId(string field) => field + "-error";

    /// <summary>The first field with an error gets the focus when the page comes back.</summary>
    public bool FocusFirst(string field) =>
        ModelState.FirstOrDefault(entry => entry.Key.Length > 0 && entry.Value?.Errors.Count > 0).Key == field;

    private static string Sentence(string property, string message)
    {
        // The JSON checks say "is required." about a named field; the page names it the way its label does.
        if (!message.StartsWith("is ", StringComparison.Ordinal) && !message.StartsWith("must ", StringComparison.Ordinal)
            && !message.StartsWith("contains ", StringComparison.Ordinal))
        {
            return message;
        }

        return HostedPages.Label(property) + " " + message;
    }
}

/// <summary>One field's error for the <c>_FieldError</c> partial; the paragraph's id is what <c>aria-describedby</c> names.</summary>
public sealed record FieldError(string Field, string? Message);
