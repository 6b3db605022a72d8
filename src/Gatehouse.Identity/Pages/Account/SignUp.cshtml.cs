using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// Starts a sign-up through the account flow: the answer (and the next page) is the same whether or not
/// the address has an account; the owner of a taken address is told by email.
/// </summary>
public sealed class SignUpModel(SignUp signUp) : AccountPageModel
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["email"] = nameof(Email),
        ["password"] = nameof(Password),
        ["display_name"] = nameof(DisplayName),
    };

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? DisplayName { get; set; }

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var request = new SignUpRequest(Email, Password, string.IsNullOrWhiteSpace(DisplayName) ? null : DisplayName.Trim());
        if (!Check(request) || !await WithinAccountLimitAsync(request))
        {
            return Page();
        }

        var result = (await signUp.HandleAsync(request, Call)).Result;
        if (result is Accepted<FlowStarted> { Value: { } started })
        {
            return RedirectToPage("ConfirmEmail", new { flow = started.FlowId, returnUrl = LocalReturnUrl("/Account") });
        }

        Show((ProblemHttpResult)result);
        return Page();
    }
}
