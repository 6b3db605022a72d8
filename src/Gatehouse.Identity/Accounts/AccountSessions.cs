using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// The signed-in user's own sessions: listed (the one of the presented access token marked current),
/// ended one at a time, or all at once ("sign out everywhere"), through the same steps as the admin
/// API's user sessions, audited with the user as the one who acted. An ended session's access tokens,
/// the presented one included, are refused at once (the denylist holds its <c>sid</c>).
/// </summary>
public sealed class AccountSessions(SignedInUsers signedIn, UserSessions sessions)
{
    /// <summary>Longer than any session id (a GUID, or an OpenIddict authorization id).</summary>
    private const int MaxSessionIdLength = 100;

    public async Task<Results<Ok<SessionList>, ProblemHttpResult>> ListAsync(AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        var currentId = current.Token.SessionId!.Value.ToString();
        var live = await sessions.ListAsync(current.User.Id, call.CancellationToken);
        return TypedResults.Ok(new SessionList([.. live.Select(session => session with { Current = session.Id == currentId })]));
    }

    public async Task<Results<NoContent, ProblemHttpResult>> EndAsync(string sessionId, AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        // Ending the current session ends the presented access token with it: the denylist refuses its sid.
        return sessionId.Length <= MaxSessionIdLength && await sessions.RevokeAsync(current.User.Id, sessionId, ActorOf(current, call))
            ? TypedResults.NoContent()
            : AccountErrors.SessionNotFound.Problem();
    }

    /// <summary>Every session of the user ends, and every access token issued to them so far stops working.</summary>
    public async Task<Results<NoContent, ProblemHttpResult>> EndAllAsync(AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        await sessions.RevokeAllAsync(current.User.Id, ActorOf(current, call));
        return TypedResults.NoContent();
    }

    private static SessionActor ActorOf(SignedInUser current, AccountCall call) =>
        new(call.ClientId, call.IpAddress, current.User.Id, call.CancellationToken);
}
