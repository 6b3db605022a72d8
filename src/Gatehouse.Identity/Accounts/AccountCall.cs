using System.Globalization;

namespace Gatehouse.Identity.Accounts;

/// <summary>Who is asking, from where: the authenticated client, the client IP and the issuer base.</summary>
public sealed record AccountCall(AccountClient Client, string? IpAddress, Uri BaseUri, HttpContext Http)
{
    private const string ItemKey = "gatehouse:account-call";

    public string ClientId => Client.ClientId;

    public CancellationToken CancellationToken => Http.RequestAborted;

    /// <summary>The bearer token of the request, if it carries one.</summary>
    public string? BearerToken
    {
        get
        {
            var header = Http.Request.Headers.Authorization;
            return header.Count == 1 && header[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? value["Bearer ".Length..].Trim()
                : null;
        }
    }

    /// <summary>Tells the caller when to try again (429, and locked accounts).</summary>
    public void RetryAfter(TimeSpan wait) =>
        Http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public static AccountCall Of(HttpContext http) =>
        http.Items[ItemKey] as AccountCall
        ?? throw new InvalidOperationException("The account API's client filter did not run for this endpoint.");

    internal void AttachTo(HttpContext http) => http.Items[ItemKey] = this;
}
