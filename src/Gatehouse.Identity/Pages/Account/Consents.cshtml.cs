using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Pages.Account;

/// <summary>
/// The consents the user gave (permanent authorizations, one line per client). Withdrawing one
/// revokes it and every grant the client holds for the user, with their refresh and reference
/// tokens, so the client must ask again.
/// </summary>
[Authorize(AuthenticationSchemes = "Identity.Application")]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class ConsentsModel(
    UserManager<GatehouseUser> users,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictApplicationManager applications,
    SessionTermination sessions) : PageModel
{
    public sealed record Grant(string ClientId, string ClientName, IReadOnlyList<string> Scopes);

    public List<Grant> Grants { get; } = [];

    public string? Withdrawn { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostWithdrawAsync(string? clientId)
    {
        var subject = users.GetUserId(User);
        var application = string.IsNullOrEmpty(clientId) || clientId.Contains('\0')
            ? null
            : await applications.FindByClientIdAsync(clientId, HttpContext.RequestAborted);
        if (subject is null || application is null)
        {
            return BadRequest();
        }

        var applicationId = await applications.GetIdAsync(application, HttpContext.RequestAborted);
        await sessions.EndGrantsAsync(subject, async authorization =>
            await authorizations.GetApplicationIdAsync(authorization, HttpContext.RequestAborted) == applicationId,
            sessionId: null, HttpContext.RequestAborted);
        Withdrawn = await applications.GetLocalizedDisplayNameAsync(application, HttpContext.RequestAborted) ?? clientId;
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        var subject = users.GetUserId(User)!;
        var scopesByApplication = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        await foreach (var authorization in authorizations.FindBySubjectAsync(subject, HttpContext.RequestAborted))
        {
            if (!await authorizations.HasStatusAsync(authorization, Statuses.Valid, HttpContext.RequestAborted)
                || !await authorizations.HasTypeAsync(authorization, AuthorizationTypes.Permanent, HttpContext.RequestAborted)
                || await authorizations.GetApplicationIdAsync(authorization, HttpContext.RequestAborted) is not { } applicationId)
            {
                continue;
            }

            if (!scopesByApplication.TryGetValue(applicationId, out var scopes))
            {
                scopesByApplication[applicationId] = scopes = new SortedSet<string>(StringComparer.Ordinal);
            }

            scopes.UnionWith(await authorizations.GetScopesAsync(authorization, HttpContext.RequestAborted));
        }

        foreach (var (applicationId, scopes) in scopesByApplication)
        {
            if (await applications.FindByIdAsync(applicationId, HttpContext.RequestAborted) is { } application)
            {
                var clientId = (await applications.GetClientIdAsync(application, HttpContext.RequestAborted))!;
                var name = await applications.GetLocalizedDisplayNameAsync(application, HttpContext.RequestAborted) ?? clientId;
                Grants.Add(new Grant(clientId, name, [.. scopes]));
            }
        }

        Grants.Sort((left, right) => string.CompareOrdinal(left.ClientName, right.ClientName));
    }
}
