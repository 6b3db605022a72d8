using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Connect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// Deletes the signed-in user's account through the account flow after a password check (with
/// lockout); every token and session ends, this browser's included.
/// </summary>
[Authorize]
public sealed class DeleteAccountModel(DeleteAccount deleteAccount, SignedInUsers signedIn, SessionTermination sessions) : AccountPageModel
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["password"] = nameof(Password),
    };

    [BindProperty]
    public string? Password { get; set; }

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        var request = new DeleteAccountRequest(Password);
        if (!Check(request))
        {
            return Page();
        }

        var deleted = await deleteAccount.DeleteAsync(user, request, Call);
        if (deleted.Value is null)
        {
            Show(deleted.Problem!);
            return Page();
        }

        await sessions.EndAsync(HttpContext, HttpContext.RequestAborted);
        return RedirectToPage("AccountDeleted");
    }
}
