using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// The second step of sign-up: the emailed code proves the address, the account is created and the
/// browser signed in. The flow id travels in the form; the flow itself (its state, its address, its
/// password hash) stays on the server, so nothing the browser sends can change what it decides.
/// </summary>
public sealed class ConfirmEmailModel(ConfirmEmail confirmEmail, SendCode sendCode) : CodeStepPageModel(sendCode)
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["code"] = nameof(Code),
    };

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

    public async Task<IActionResult> OnPostAsync()
    {
        var request = new ConfirmEmailRequest(Flow, Code?.Trim());
        if (!Check(request) || !await WithinAccountLimitAsync(request))
        {
            return Page();
        }

        var confirmed = await confirmEmail.ConfirmAsync(request, Call);
        if (confirmed.Value is not { } user)
        {
            Show(confirmed.Problem!);
            return Page();
        }

        await StartBrowserSessionAsync(user);
        return LocalRedirect(LocalReturnUrl("/Account"));
    }
}
