using System.ComponentModel.DataAnnotations;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// The hosted sign-in page. Every failure (unknown email, wrong password, locked or unconfirmed
/// account) shows the same sentence, so the page tells nobody which accounts exist; failures count
/// towards Identity's lockout. It only ever sends the browser on to a local address.
/// </summary>
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class SignInModel(
    UserManager<GatehouseUser> users,
    SignInManager<GatehouseUser> signIn,
    TimeProvider clock) : PageModel
{
    public const string FailureMessage = "The email or password is not right, or the account cannot sign in right now.";

    [BindProperty]
    [Required(ErrorMessage = "Enter your email address.")]
    [StringLength(256, ErrorMessage = "The email address is too long.")]
    public string? Email { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Enter your password.")]
    [StringLength(1024, ErrorMessage = "The password is too long.")]
    [DataType(DataType.Password)]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool Failed { get; private set; }

    public void OnGet() => ReturnUrl = LocalOrHome(ReturnUrl);

    public async Task<IActionResult> OnPostAsync()
    {
        ReturnUrl = LocalOrHome(ReturnUrl);
        if (!ModelState.IsValid)
        {
            Failed = true;
            return Page();
        }

        // NUL never belongs in an email or password, and PostgreSQL cannot even look it up.
        var user = Email!.Contains('\0') ? null : await users.FindByEmailAsync(Email);
        var result = user is null ? Microsoft.AspNetCore.Identity.SignInResult.Failed : await signIn.CheckPasswordSignInAsync(user, Password!, lockoutOnFailure: true);
        if (!result.Succeeded)
        {
            Failed = true;
            ModelState.AddModelError(string.Empty, FailureMessage);
            return Page();
        }

        // A new session id on every sign-in: nothing from an earlier session carries over.
        await HttpContext.SignOutAsync(SessionCookie.Scheme);
        await signIn.SignInWithClaimsAsync(user!, new AuthenticationProperties { IsPersistent = false },
            SessionCookie.NewSessionClaims(clock.GetUtcNow(), SessionCookie.PasswordMethod));
        return LocalRedirect(ReturnUrl);
    }

    private string LocalOrHome(string? returnUrl) => Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
}
