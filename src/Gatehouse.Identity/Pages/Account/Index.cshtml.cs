using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>The signed-in user's account: who they are signed in as, and what they can do.</summary>
[Authorize]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class IndexModel(SignedInUsers signedIn) : PageModel
{
    public string? Email { get; private set; }

    public string? DisplayName { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        Email = user.Email;
        DisplayName = user.DisplayName;
        return Page();
    }
}
