using System.Globalization;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Revocation;
using Gatehouse.ResourceServer.Revocation;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace Gatehouse.Identity.Feeds;

/// <summary>
/// Feeds that services follow instead of calling the identity service per request. Callers
/// authenticate with an access token carrying the feed's scope.
/// </summary>
public static class FeedsApi
{
    /// <summary>Longest long poll a caller may ask for.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public static IEndpointRouteBuilder MapFeedsApi(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/feeds");
        feeds.MapGet("/revocations", ReadRevocationsAsync)
            .RequireAuthorization(policy => policy
                .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.HasScope(BuiltInScopes.Revocations)))
            .WithName("RevocationFeed");
        return app;
    }

    /// <summary>
    /// <c>GET /feeds/revocations?after=CURSOR&amp;wait=SECONDS</c>: events after the cursor (all retained
    /// ones without it), oldest first, and the cursor to send next. With <c>wait</c>, an empty answer
    /// is held until an event arrives or the time is up (at most 30 s).
    /// </summary>
    public static async Task<Results<Ok<RevocationFeedPage>, ProblemHttpResult>> ReadRevocationsAsync(
        HttpRequest request, IRevocationEventLog log, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        if (request.Query["after"] is { Count: > 1 } || request.Query["wait"] is { Count: > 1 })
        {
            return BadRequest("duplicate_parameter", "Send 'after' and 'wait' at most once each.");
        }

        var after = request.Query["after"].ToString() is { Length: > 0 } cursor ? cursor : null;
        if (after is not null && !log.IsValidCursor(after))
        {
            return BadRequest("invalid_cursor", "'after' is not a cursor this feed handed out.");
        }

        var wait = TimeSpan.Zero;
        if (request.Query["wait"].ToString() is { Length: > 0 } waitText)
        {
            if (!int.TryParse(waitText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxWait.TotalSeconds)
            {
                return BadRequest("invalid_wait", $"'wait' must be a whole number of seconds between 0 and {MaxWait.TotalSeconds:0}.");
            }

            wait = TimeSpan.FromSeconds(seconds);
        }

        // A node that is shutting down ends its long polls at once (an empty page): callers poll another
        // node instead of holding up the shutdown until their wait is over.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            return TypedResults.Ok(await log.ReadAsync(after, wait, ended.Token));
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            return TypedResults.Ok(new RevocationFeedPage([], after ?? ""));
        }
    }

    private static ProblemHttpResult BadRequest(string code, string detail) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Bad request",
            detail: detail,
            type: "https://gatehouse.dev/problems/" + code.Replace('_', '-'),
            extensions: new Dictionary<string, object?> { ["code"] = code });
}
