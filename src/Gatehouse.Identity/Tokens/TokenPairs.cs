using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;

namespace Gatehouse.Identity.Tokens;

/// <summary>
/// Starts a session (refresh-token family) and issues its first access token. Access tokens carry the
/// user's roles as they are when the token is issued, like the tokens of the authorization code flow.
/// </summary>
public sealed class TokenPairs(RefreshTokenFamilies families, UserAccessTokens accessTokens, GatehouseUserManager users, TimeProvider time)
{
    /// <param name="notBefore">A subject cut-off the new access token must not fall behind.</param>
    /// <param name="roles">The user's roles when the caller has just read them; otherwise they are read here.</param>
    public async Task<TokenPair> StartSessionAsync(GatehouseUser user, AccountCall call, DateTimeOffset? notBefore = null, IReadOnlyCollection<string>? roles = null)
    {
        var refresh = await families.StartAsync(user, call.ClientId, call.CancellationToken);
        roles ??= [.. await users.GetRolesAsync(user)];
        return await PairAsync(user.Id, roles, refresh, call, notBefore);
    }

    public async Task<TokenPair> PairAsync(Guid userId, IReadOnlyCollection<string> roles, IssuedRefreshToken refresh, AccountCall call, DateTimeOffset? notBefore = null)
    {
        var access = await accessTokens.IssueAsync(call.BaseUri, userId, roles, call.Client, refresh.FamilyId, notBefore, call.CancellationToken);
        var now = time.GetUtcNow();
        return new TokenPair(
            access.Token,
            "Bearer",
            (long)(access.ExpiresAt - now).TotalSeconds,
            refresh.Token,
            (long)(refresh.ExpiresAt - now).TotalSeconds);
    }
}
