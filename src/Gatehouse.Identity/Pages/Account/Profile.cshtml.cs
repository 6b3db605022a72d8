using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// The signed-in user's profile: the address (changed on its own page, where a code proves the new one)
/// and the display name, changed through the same step as <c>PATCH /auth/profile</c>.
/// </summary>
[Authorize]
public sealed class ProfileModel(Profile profile, SignedInUsers signedIn) : AccountPageModel
{
    private static readonly Dictionary<string, string> FieldMap = new(StringComparer.Ordinal)
    {
        ["display_name"] = nameof(DisplayName),
    };

    public string? Email { get; private set; }

    [BindProperty]
    public string? DisplayName { get; set; }

    public bool Saved { get; private set; }

    protected override IReadOnlyDictionary<string, string> Fields => FieldMap;

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

    public async Task<IActionResult> OnPostAsync()
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        Email = user.Email;

        // An empty field clears the name, as null does in the API.
        var request = UpdateProfileRequest.WithDisplayName(string.IsNullOrWhiteSpace(DisplayName) ? null : DisplayName.Trim());
        if (!Check(request))
        {
            return Page();
        }

        if (await profile.ChangeAsync(user, request, Call) is { } problem)
        {
            Show(problem);
            return Page();
        }

        Saved = true;
        DisplayName = user.DisplayName;
        ModelState.Clear();
        return Page();
    }
}
