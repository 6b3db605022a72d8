using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Accounts;

public sealed record SignedInUser(VerifiedAccessToken Token, GatehouseUser User);

/// <summary>
/// The user behind the bearer token of an account-API call: a valid, unrevoked access token issued to
/// the calling client, in a session that is still live, of an active user.
/// </summary>
public sealed class SignedInUsers(UserAccessTokens accessTokens, RefreshTokenFamilies families, UserManager<GatehouseUser> users)
{
    private const int MaxTokenLength = 8192;

    public async Task<SignedInUser?> ResolveAsync(AccountCall call)
    {
        if (call.BearerToken is not { Length: > 0 and <= MaxTokenLength } raw)
        {
            return null;
        }

        var token = await accessTokens.VerifyAsync(call.BaseUri, raw, call.CancellationToken);
        if (token is null || token.ClientId != call.ClientId
            || token.SessionId is not { } session || !await families.IsLiveAsync(session, call.CancellationToken))
        {
            return null;
        }

        var user = await users.FindByIdAsync(token.UserId.ToString());
        return user is { Status: UserStatus.Active } ? new SignedInUser(token, user) : null;
    }

    /// <summary>
    /// The active user behind a hosted page's browser session (whose cookie handler has already checked
    /// the security stamp and the session's lifetime), or null.
    /// </summary>
    public async Task<GatehouseUser?> FromSessionAsync(System.Security.Claims.ClaimsPrincipal session)
    {
        var user = session.Identity?.IsAuthenticated == true ? await users.GetUserAsync(session) : null;
        return user is { Status: UserStatus.Active } ? user : null;
    }
}
