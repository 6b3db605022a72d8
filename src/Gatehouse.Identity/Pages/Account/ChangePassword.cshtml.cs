using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// Changes the signed-in user's password through the account flow: the current password is checked
/// (with lockout), every session and token of the user ends, and this browser gets a fresh session.
/// </summary>
[Authorize]
public sealed class ChangePasswordModel(UpdatePassword updatePassword, SignedInUsers signedIn) : AccountPageModel
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["current_password"] = nameof(CurrentPassword),
        ["new_password"] = nameof(NewPassword),
    };

    [BindProperty]
    public string? CurrentPassword { get; set; }

    [BindProperty]
    public string? NewPassword { get; set; }

    public bool Changed { get; private set; }

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

        var request = new UpdatePasswordRequest(CurrentPassword, NewPassword);
        if (!Check(request))
        {
            return Page();
        }

        var changed = await updatePassword.ChangeAsync(user, request, Call);
        if (changed.Value is not { } done)
        {
            Show(changed.Problem!);
            return Page();
        }

        await StartBrowserSessionAsync(done.User);
        Changed = true;
        CurrentPassword = NewPassword = null;
        ModelState.Clear();
        return Page();
    }
}
