using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// The hosted sign-in page, over the account sign-in flow (lockout with growing waits, audit, hash
/// upgrade, the same work for unknown emails). Every failure shows the same sentence, so the page tells
/// nobody which accounts exist. It only ever sends the browser on to a local address.
/// </summary>
public sealed class SignInModel(Accounts.SignIn signIn) : AccountPageModel
{
    public const string FailureMessage = AccountErrorMessages.SignInFailed;

    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["email"] = nameof(Email),
        ["password"] = nameof(Password),
    };

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    /// <summary>Set by the reset page: the password was just changed.</summary>
    [BindProperty(SupportsGet = true, Name = "reset")]
    public bool PasswordWasReset { get; set; }

    public bool Failed { get; private set; }

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

    public void OnGet() => ReturnUrl = LocalReturnUrl("/");

    public async Task<IActionResult> OnPostAsync()
    {
        ReturnUrl = LocalReturnUrl("/");
        PasswordWasReset = false;
        var request = new SignInRequest(Email?.Trim(), Password);
        if (!Check(request) || !await WithinAccountLimitAsync(request))
        {
            Failed = true;
            return Page();
        }

        var verified = await signIn.VerifyAsync(request, Call);
        if (verified.Value is not { } user)
        {
            Failed = true;
            var code = verified.Problem!.ProblemDetails.Extensions["code"] as string;
            ModelState.AddModelError(string.Empty, code == AccountErrors.TooManyRequests.Code
                ? AccountErrorMessages.For(AccountErrors.TooManyRequests)
                : FailureMessage);
            return Page();
        }

        await StartBrowserSessionAsync(user);
        return LocalRedirect(ReturnUrl);
    }
}
