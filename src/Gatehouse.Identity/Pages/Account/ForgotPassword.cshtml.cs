using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>Starts a password reset. Every address gets the same next page; only an account's owner gets a code.</summary>
public sealed class ForgotPasswordModel(ResetPassword resetPassword) : AccountPageModel
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["email"] = nameof(Email),
    };

    [BindProperty]
    public string? Email { get; set; }

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var request = new ResetPasswordRequest(Email?.Trim());
        if (!Check(request) || !await WithinAccountLimitAsync(request))
        {
            return Page();
        }

        var result = (await resetPassword.HandleAsync(request, Call)).Result;
        if (result is Accepted<FlowStarted> { Value: { } started })
        {
            return RedirectToPage("ResetPassword", new { flow = started.FlowId });
        }

        Show((ProblemHttpResult)result);
        return Page();
    }
}
