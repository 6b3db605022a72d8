using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// Where the signed-in user is signed in: the apps holding a session (account-API sessions and
/// code-flow sign-ins), each of which can be ended here, and "sign out everywhere", which ends all
/// of them, every browser session (this one included) and every access token issued so far. The same
/// steps as the account API's <c>/auth/sessions</c>, audited with the user as the one who acted.
/// </summary>
[Authorize]
public sealed class SessionsModel(
    SignedInUsers signedIn, UserSessions sessions, ClientRegistrationCache clients, SessionTermination browser) : AccountPageModel
{
    public sealed record Row(string Id, string App, DateTimeOffset? Started, DateTimeOffset? LastUsed);

    public List<Row> Rows { get; } = [];

    /// <summary>The app whose session was just ended, for the confirmation.</summary>
    public string? Ended { get; private set; }

    protected override IReadOnlyDictionary<string, string> Fields { get; } = new Dictionary<string, string>();

    public async Task<IActionResult> OnGetAsync()
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        await LoadAsync(user.Id);
        return Page();
    }

    public async Task<IActionResult> OnPostEndAsync(string? sessionId)
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        await LoadAsync(user.Id);
        var row = Rows.Find(candidate => candidate.Id == sessionId);
        if (row is null || !await sessions.RevokeAsync(user.Id, row.Id, Actor(user.Id)))
        {
            ModelState.AddModelError(string.Empty, "That session has ended already.");
        }
        else
        {
            Ended = row.App;
            Rows.Remove(row);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostEndAllAsync()
    {
        if (await signedIn.FromSessionAsync(User) is not { } user)
        {
            return Challenge();
        }

        await sessions.RevokeAllAsync(user.Id, Actor(user.Id));
        await browser.EndAsync(HttpContext, HttpContext.RequestAborted);
        return RedirectToPage("SignedOutEverywhere");
    }

    private SessionActor Actor(Guid userId) => new(Call.ClientId, Call.IpAddress, userId, HttpContext.RequestAborted);

    private async Task LoadAsync(Guid userId)
    {
        foreach (var session in await sessions.ListAsync(userId, HttpContext.RequestAborted))
        {
            var app = session.ClientId is { } clientId
                ? (await clients.GetAsync(clientId, HttpContext.RequestAborted))?.DisplayName ?? clientId
                : "An application";
            Rows.Add(new Row(session.Id, app, session.CreatedAt, session.LastUsedAt ?? session.CreatedAt));
        }
    }
}
