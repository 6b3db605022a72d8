using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// A page that completes a flow with an emailed code (confirm email, reset password). The flow id
/// travels in the form; the flow itself (state, address, purpose) stays on the server.
/// </summary>
public abstract class CodeStepPageModel(SendCode sendCode) : AccountPageModel
{
    [BindProperty(SupportsGet = true, Name = "flow")]
    public string? Flow { get; set; }

    [BindProperty]
    public string? Code { get; set; }

    /// <summary>Set on the page a resend redirects to.</summary>
    [BindProperty(SupportsGet = true, Name = "resent")]
    public bool CodeResent { get; set; }

    public void OnGet()
    {
    }

    /// <summary>A new code; the one sent before stops working.</summary>
    public async Task<IActionResult> OnPostResendAsync()
    {
        ModelState.Clear();
        var request = new SendCodeRequest(Flow);
        if (!Check(request) || !await WithinAccountLimitAsync(request))
        {
            return Page();
        }

        if ((await sendCode.HandleAsync(request, Call)).Result is ProblemHttpResult problem)
        {
            Show(problem);
            return Page();
        }

        // Back to a plain GET of this step, so a reload sends nothing again.
        return RedirectToPage(new { flow = Flow, returnUrl = ReturnUrl, resent = true });
    }
}
