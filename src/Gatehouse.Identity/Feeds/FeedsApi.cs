using Gatehouse.Identity.Problems;
using System.Globalization;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.ResourceServer.Revocation;
using Gatehouse.ResourceServer.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace Gatehouse.Identity.Feeds;

/// <summary>
/// Feeds that services follow instead of calling the identity service per request: revocations
/// (scope <c>gatehouse:revocations</c>) and user changes (scope <c>gatehouse:events</c>). Both are
/// long polls with a cursor.
/// </summary>
public static class FeedsApi
{
    /// <summary>Longest long poll a caller may ask for.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    /// <summary>Profiles per snapshot page.</summary>
    public const int SnapshotPageSize = 500;

    public static IEndpointRouteBuilder MapFeedsApi(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/feeds");
        feeds.MapGet("/revocations", ReadRevocationsAsync).RequireAuthorization(policy => RequireScope(policy, BuiltInScopes.Revocations));
        feeds.MapGet("/users", ReadUserChangesAsync).RequireAuthorization(policy => RequireScope(policy, BuiltInScopes.Events));
        feeds.MapGet("/users/snapshot", ReadUserSnapshotAsync).RequireAuthorization(policy => RequireScope(policy, BuiltInScopes.Events));
        return app;
    }

    /// <summary>
    /// <c>GET /feeds/revocations?after=CURSOR&amp;wait=SECONDS</c>: events after the cursor (all retained
    /// ones without it), oldest first, and the cursor to send next. With <c>wait</c>, an empty answer
    /// is held until an event arrives or the time is up (at most 30 s).
    /// </summary>
    public static async Task<Results<Ok<RevocationFeedPage>, ProblemHttpResult>> ReadRevocationsAsync(
        HttpRequest request, IEventLog<RevocationEvent> log, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        var (after, wait, problem) = ReadPollParameters(request, log.IsValidCursor);
        if (problem is not null)
        {
            return problem;
        }

        // Missed revocations concern tokens that have expired by now, so an old cursor simply reads on.
        var read = await ReadUntilStoppingAsync(log, after, wait, lifetime, cancellationToken);
        return TypedResults.Ok(new RevocationFeedPage(read.Events, read.Cursor));
    }

    /// <summary>
    /// <c>GET /feeds/users?after=CURSOR&amp;wait=SECONDS</c>: user changes after the cursor. A cursor
    /// older than the feed's retention answers 410 Gone: read the snapshot again.
    /// </summary>
    public static async Task<Results<Ok<UserEventPage>, ProblemHttpResult>> ReadUserChangesAsync(
        HttpRequest request, IEventLog<UserEvent> log, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        var (after, wait, problem) = ReadPollParameters(request, log.IsValidCursor);
        if (problem is not null)
        {
            return problem;
        }

        if (after is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "missing_cursor", "Send 'after': the cursor of /feeds/users/snapshot or of the previous answer.");
        }

        var read = await ReadUntilStoppingAsync(log, after, wait, lifetime, cancellationToken);
        return read.CursorExpired
            ? Problem(StatusCodes.Status410Gone, "cursor_expired", "Changes after this cursor are no longer kept; read /feeds/users/snapshot again.")
            : TypedResults.Ok(new UserEventPage(read.Events, read.Cursor));
    }

    /// <summary>
    /// <c>GET /feeds/users/snapshot?after_user=ID</c>: every user's public profile, a page at a time,
    /// with the change-feed cursor to follow afterwards.
    /// </summary>
    public static async Task<Results<Ok<UserSnapshotPage>, ProblemHttpResult>> ReadUserSnapshotAsync(
        HttpRequest request, IEventLog<UserEvent> log, GatehouseDbContext db, CancellationToken cancellationToken)
    {
        var values = request.Query["after_user"];
        if (values.Count > 1)
        {
            return Problem(StatusCodes.Status400BadRequest, "duplicate_parameter", "Send 'after_user' at most once.");
        }

        Guid? afterUser = null;
        if (values.ToString() is { Length: > 0 } text)
        {
            if (!Guid.TryParse(text, out var parsed))
            {
                return Problem(StatusCodes.Status400BadRequest, "invalid_parameter", "'after_user' is the 'next_user' of a previous page.");
            }

            afterUser = parsed;
        }

        // The cursor is taken before the users are read: a change made meanwhile is read again from the feed.
        var cursor = await log.CurrentCursorAsync(cancellationToken);
        var users = await UserDirectory.ReadPageAsync(db, afterUser, SnapshotPageSize, cancellationToken);
        return TypedResults.Ok(new UserSnapshotPage(users, cursor, users.Count == SnapshotPageSize ? users[^1].Id : null));
    }

    private static void RequireScope(Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder policy, string scope) =>
        policy.AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.HasScope(scope));

    private static (string? After, TimeSpan Wait, ProblemHttpResult? Problem) ReadPollParameters(HttpRequest request, Func<string, bool> isValidCursor)
    {
        if (request.Query["after"] is { Count: > 1 } || request.Query["wait"] is { Count: > 1 })
        {
            return (null, default, Problem(StatusCodes.Status400BadRequest, "duplicate_parameter", "Send 'after' and 'wait' at most once each."));
        }

        var after = request.Query["after"].ToString() is { Length: > 0 } cursor ? cursor : null;
        if (after is not null && !isValidCursor(after))
        {
            return (null, default, Problem(StatusCodes.Status400BadRequest, "invalid_cursor", "'after' is not a cursor this feed handed out."));
        }

        var wait = TimeSpan.Zero;
        if (request.Query["wait"].ToString() is { Length: > 0 } waitText)
        {
            if (!int.TryParse(waitText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxWait.TotalSeconds)
            {
                return (null, default, Problem(StatusCodes.Status400BadRequest, "invalid_wait", $"'wait' must be a whole number of seconds between 0 and {MaxWait.TotalSeconds:0}."));
            }

            wait = TimeSpan.FromSeconds(seconds);
        }

        return (after, wait, null);
    }

    /// <summary>
    /// A node that is shutting down ends its long polls at once (an empty page): callers poll another
    /// node instead of holding up the shutdown until their wait is over.
    /// </summary>
    private static async Task<FeedRead<TEvent>> ReadUntilStoppingAsync<TEvent>(
        IEventLog<TEvent> log, string? after, TimeSpan wait, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
        where TEvent : class
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            return await log.ReadAsync(after, wait, ended.Token);
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            return new FeedRead<TEvent>([], after ?? "", false);
        }
    }

    private static ProblemHttpResult Problem(int status, string code, string detail) =>
        ProblemResponses.Problem(status, code, title: null, detail);
}
