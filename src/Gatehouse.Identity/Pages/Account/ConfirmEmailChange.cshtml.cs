using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// The second step of an email change: the code sent to the new address moves the account there, every
/// session and token of the user ends, and this browser gets a fresh session.
/// </summary>
[Authorize]
public sealed class ConfirmEmailChangeModel(ConfirmEmailChange confirmEmailChange, SignedInUsers signedIn, SendCode sendCode)
    : CodeStepPageModel(sendCode)
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["code"] = nameof(Code),
    };

    /// <summary>The address the account now uses, once the change is done.</summary>
    public string? NewEmail { get; private set; }

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

    public async Task<IActionResult> OnPostAsync()
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        var request = new ConfirmEmailRequest(Flow, Code?.Trim());
        if (!Check(request) || !await WithinAccountLimitAsync(request))
        {
            return Page();
        }

        var confirmed = await confirmEmailChange.ConfirmAsync(user, request, Call);
        if (confirmed.Value is not { } done)
        {
            Show(confirmed.Problem!);
            return Page();
        }

        await StartBrowserSessionAsync(done.User);
        NewEmail = done.User.Email;
        ModelState.Clear();
        return Page();
    }
}
