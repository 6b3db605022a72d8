using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Connect;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// The second step of a reset: the emailed code and a new password. Every session of the account ends
/// (this browser's too) and the person signs in again with the new password.
/// </summary>
public sealed class ResetPasswordModel(ConfirmReset confirmReset, SendCode sendCode, SessionTermination sessions) : CodeStepPageModel(sendCode)
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["code"] = nameof(Code),
        ["new_password"] = nameof(NewPassword),
    };

    [BindProperty]
    public string? NewPassword { get; set; }

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

    public async Task<IActionResult> OnPostAsync()
    {
        var request = new ConfirmResetRequest(Flow, Code?.Trim(), NewPassword);
        if (!Check(request) || !await WithinAccountLimitAsync(request))
        {
            return Page();
        }

        var reset = await confirmReset.ResetAsync(request, Call);
        if (reset.Value is null)
        {
            Show(reset.Problem!);
            return Page();
        }

        // The flow has revoked every session; this browser's cookie goes as well.
        await sessions.EndAsync(HttpContext, HttpContext.RequestAborted);
        return RedirectToPage("SignIn", new { reset = true });
    }
}
