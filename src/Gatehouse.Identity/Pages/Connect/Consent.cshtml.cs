using System.Collections.Immutable;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Pages.Connect;

/// <summary>
/// Asks the signed-in user whether a third-party client may act for them. Allowing stores a
/// permanent authorization (user, client, scopes); either way the browser goes back to the
/// authorization endpoint, which alone may send it on to the client.
/// </summary>
[Authorize(AuthenticationSchemes = "Identity.Application")]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class ConsentModel(
    AuthorizationFlow flow,
    UserManager<GatehouseUser> users,
    IOpenIddictApplicationManager applications,
    IOpenIddictScopeManager scopeManager) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string ClientName { get; private set; } = "";

    public List<string> Scopes { get; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (await ReadRequestAsync() is not { } request)
        {
            return BadRequest();
        }

        ClientName = await applications.GetLocalizedDisplayNameAsync(request.Application, HttpContext.RequestAborted)
            ?? request.ClientId;
        foreach (var scope in request.Scopes)
        {
            Scopes.Add(await DescribeAsync(scope));
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? decision)
    {
        if (await ReadRequestAsync() is not { } request || await users.GetUserAsync(User) is not { } user)
        {
            return BadRequest();
        }

        if (decision != "allow")
        {
            return LocalRedirect(QueryHelpers.AddQueryString(ReturnUrl!, AuthorizationFlow.ConsentDeniedParameter, "denied"));
        }

        await flow.RememberConsentAsync(user, request.Application, request.Scopes, HttpContext.RequestAborted);
        return LocalRedirect(ReturnUrl!);
    }

    private sealed record PendingRequest(string ClientId, object Application, ImmutableArray<string> Scopes);

    /// <summary>The authorization request this consent is for; only a local authorization-endpoint URL is accepted.</summary>
    private async Task<PendingRequest?> ReadRequestAsync()
    {
        var prefix = Request.PathBase + "/connect/authorize?";
        if (ReturnUrl is null || !Url.IsLocalUrl(ReturnUrl) || !ReturnUrl.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var query = QueryHelpers.ParseQuery(ReturnUrl[(prefix.Length - 1)..]);
        if (!query.TryGetValue(Parameters.ClientId, out var clientIds) || clientIds.Count != 1 || string.IsNullOrEmpty(clientIds[0])
            || clientIds[0]!.Contains('\0'))
        {
            return null;
        }

        var application = await applications.FindByClientIdAsync(clientIds[0]!, HttpContext.RequestAborted);
        if (application is null)
        {
            return null;
        }

        var scopes = query.TryGetValue(Parameters.Scope, out var scope)
            ? scope.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToImmutableArray()
            : [];
        return new PendingRequest(clientIds[0]!, application, scopes);
    }

    private async Task<string> DescribeAsync(string scope) => scope switch
    {
        OpenIddictConstants.Scopes.OpenId => "Know who you are (your user id)",
        OpenIddictConstants.Scopes.Profile => "See your name",
        OpenIddictConstants.Scopes.Email => "See your email address",
        OpenIddictConstants.Scopes.OfflineAccess => "Stay signed in when you are not using it",
        _ => await scopeManager.FindByNameAsync(scope, HttpContext.RequestAborted) is { } entity
            ? await scopeManager.GetLocalizedDisplayNameAsync(entity, HttpContext.RequestAborted) ?? scope
            : scope,
    };
}
