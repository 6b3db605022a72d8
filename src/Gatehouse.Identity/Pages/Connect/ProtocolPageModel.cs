using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gatehouse.Identity.Pages.Connect;

/// <summary>
/// A page behind an OpenIddict endpoint (passthrough). A request OpenIddict refused without a redirect URI
/// it could trust is shown here, with status 400, and sends the browser nowhere.
/// </summary>
public abstract class ProtocolPageModel : PageModel
{
    /// <summary>The OAuth error code of a refused request, or null.</summary>
    public string? Error { get; private set; }

    public string? ErrorDescription { get; private set; }

    /// <summary>Whether OpenIddict refused the request; if so the page shows why, with status 400.</summary>
    protected bool ShowsRefusal()
    {
        if (HttpContext.GetOpenIddictServerResponse() is not { Error: { Length: > 0 } error } response)
        {
            return false;
        }

        Error = error;
        ErrorDescription = response.ErrorDescription;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return true;
    }
}
