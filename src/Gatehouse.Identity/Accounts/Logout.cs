using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Revocation;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>Ends the session of the presented access token: its refresh-token family and the token itself.</summary>
public sealed class Logout(SignedInUsers signedIn, RefreshTokenFamilies families, IAccessTokenDenylist denylist, AuditLog audit)
{
    public async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        await families.RevokeFamilyAsync(current.Token.SessionId!.Value, RefreshTokenFamilies.Reasons.Logout, call.CancellationToken);
        await denylist.DenyAsync(current.Token.TokenId, current.Token.ExpiresAt, call.CancellationToken);
        audit.Record(AuditEventTypes.Logout, current.User.Id, call.ClientId, call.IpAddress);
        return TypedResults.NoContent();
    }
}
