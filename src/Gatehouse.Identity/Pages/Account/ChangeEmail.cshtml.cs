using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// The first step of an email change: the new address and the current password (checked with lockout).
/// The code goes to the new address; the next page takes it.
/// </summary>
[Authorize]
public sealed class ChangeEmailModel(ChangeEmail changeEmail, SignedInUsers signedIn) : AccountPageModel
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["new_email"] = nameof(NewEmail),
        ["password"] = nameof(CurrentPassword),
    };

    [BindProperty]
    public string? NewEmail { get; set; }

    [BindProperty]
    public string? CurrentPassword { get; set; }

    public string? CurrentEmail { get; private set; }

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

    public async Task<IActionResult> OnGetAsync()
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        CurrentEmail = user.Email;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        CurrentEmail = user.Email;
        var request = new ChangeEmailRequest(NewEmail?.Trim(), CurrentPassword);
        if (!Check(request) || !await WithinAccountLimitAsync(request))
        {
            return Page();
        }

        var started = await changeEmail.StartAsync(user, request, Call);
        if (started.Value is not { } flow)
        {
            Show(started.Problem!);
            return Page();
        }

        return RedirectToPage("ConfirmEmailChange", new { flow = flow.Id });
    }
}
