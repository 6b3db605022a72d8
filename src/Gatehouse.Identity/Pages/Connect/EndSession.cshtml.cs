using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Pages.Connect;

/// <summary>
/// RP-initiated logout. OpenIddict has checked the <c>id_token_hint</c> and that
/// <c>post_logout_redirect_uri</c> is registered for the client, exactly; a request it refused shows
/// the error here and redirects nowhere. With a valid hint for the signed-in user (or no session at
/// all) the session ends at once; otherwise, and whenever the hint is not valid, the user confirms
/// first, so no third party can sign them out (or bounce them to a client) with a link.
/// </summary>
[IgnoreAntiforgeryToken] // clients may POST end-session requests; the confirmation form is checked by hand below
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class EndSessionModel(SessionTermination sessions, IAntiforgery antiforgery) : ProtocolPageModel
{
    public bool SignedOut { get; private set; }

    public List<KeyValuePair<string, string?>> Parameters { get; } = [];

    public Task<IActionResult> OnGetAsync() => HandleAsync(confirmed: false);

    public async Task<IActionResult> OnPostAsync(string? confirm)
    {
        var confirmed = confirm == "yes";
        if (confirmed && !await antiforgery.IsRequestValidAsync(HttpContext))
        {
            return BadRequest();
        }

        return await HandleAsync(confirmed);
    }

    private async Task<IActionResult> HandleAsync(bool confirmed)
    {
        if (ShowsRefusal())
        {
            return Page();
        }

        var request = HttpContext.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The end-session endpoint ran without an OpenID Connect request.");
        var hint = (await HttpContext.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)).Principal;
        var hintSubject = hint?.GetClaim(Claims.Subject);
        var session = await HttpContext.AuthenticateAsync(SessionCookie.Scheme);
        var sessionSubject = session.Principal?.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;

        // A hint OpenIddict could not validate (forged, foreign, or from a revoked grant) proves nothing:
        // the user confirms, as when a hint names someone else than the signed-in user.
        var badHint = hintSubject is null && !string.IsNullOrEmpty(request.IdTokenHint);
        var hintMatches = hintSubject is not null && (sessionSubject is null || sessionSubject == hintSubject);
        if (!confirmed && (badHint || (!hintMatches && session.Succeeded)))
        {
            foreach (var (name, value) in request.GetParameters())
            {
                Parameters.Add(new(name, value.ToString()));
            }

            return Page();
        }

        await sessions.EndAsync(HttpContext, HttpContext.RequestAborted);
        if (!string.IsNullOrEmpty(request.PostLogoutRedirectUri))
        {
            return SignOut(new AuthenticationProperties(), OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        SignedOut = true;
        return Page();
    }
}
