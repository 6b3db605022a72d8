using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Pages.Connect;

/// <summary>
/// The authorization endpoint, after OpenIddict validated the request (client, exact redirect URI,
/// response type code, PKCE S256, scopes). Sends the user to sign in or consent when needed, then
/// issues the code. A request OpenIddict refused with no trustworthy redirect URI lands on this
/// page's error view and goes nowhere else.
/// </summary>
[IgnoreAntiforgeryToken] // a protocol endpoint: clients may POST authorization requests (form_post of the request itself)
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class AuthorizeModel(
    AuthorizationFlow flow,
    UserManager<GatehouseUser> users,
    IOpenIddictApplicationManager applications) : ProtocolPageModel
{
    public Task<IActionResult> OnGetAsync() => HandleAsync();

    public Task<IActionResult> OnPostAsync() => HandleAsync();

    private async Task<IActionResult> HandleAsync()
    {
        if (ShowsRefusal())
        {
            return Page();
        }

        var request = HttpContext.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The authorization endpoint ran without an OpenID Connect request.");
        var cancellationToken = HttpContext.RequestAborted;

        var session = await HttpContext.AuthenticateAsync(SessionCookie.Scheme);
        var user = session.Succeeded ? await users.GetUserAsync(session.Principal!) : null;
        if (user is null || flow.NeedsSignIn(request, session.Principal))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Refuse(Errors.LoginRequired, "The user is not signed in (or not recently enough) and prompt=none forbids asking.");
            }

            // Once signed in, come back without prompt=login / max_age, which the fresh sign-in satisfies.
            return Redirect(QueryHelpers.AddQueryString("/Account/SignIn", "returnUrl", ReturnUrl(request, dropLogin: true)));
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!, cancellationToken)
            ?? throw new InvalidOperationException($"Client '{request.ClientId}' vanished after the request was validated.");
        var subject = user.Id.ToString();

        if (request.GetParameter(AuthorizationFlow.ConsentDeniedParameter)?.ToString() == "denied")
        {
            return Refuse(Errors.AccessDenied, "The user declined to grant the application access.");
        }

        var explicitConsent = await applications.HasConsentTypeAsync(application, ConsentTypes.Explicit, cancellationToken);
        if ((explicitConsent && request.HasPromptValue(PromptValues.Consent))
            || !await flow.HasConsentAsync(application, subject, request.GetScopes(), cancellationToken))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Refuse(Errors.ConsentRequired, "The user has not consented to this application and prompt=none forbids asking.");
            }

            return Redirect(QueryHelpers.AddQueryString("/Connect/Consent", "returnUrl", ReturnUrl(request, dropLogin: true, dropConsent: true)));
        }

        var principal = await flow.CreatePrincipalAsync(user, session.Principal!, application, request, cancellationToken);
        return SignIn(principal, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private ForbidResult Refuse(string error, string description) =>
        Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);

    /// <summary>This same request as a local URL, without the prompt values that were just satisfied.</summary>
    private string ReturnUrl(OpenIddictRequest request, bool dropLogin, bool dropConsent = false)
    {
        var parameters = new List<KeyValuePair<string, string?>>();
        foreach (var (name, value) in request.GetParameters())
        {
            if (name == Parameters.Prompt)
            {
                var kept = request.GetPromptValues()
                    .Where(prompt => !(dropLogin && prompt == PromptValues.Login) && !(dropConsent && prompt == PromptValues.Consent))
                    .ToArray();
                if (kept.Length > 0)
                {
                    parameters.Add(new(name, string.Join(' ', kept)));
                }

                continue;
            }

            if ((dropLogin && name == Parameters.MaxAge) || name == AuthorizationFlow.ConsentDeniedParameter)
            {
                continue;
            }

            foreach (var item in (Microsoft.Extensions.Primitives.StringValues)value)
            {
                parameters.Add(new(name, item));
            }
        }

        return Request.PathBase + "/connect/authorize" + QueryString.Create(parameters).ToUriComponent();
    }
}
