using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// OpenID Connect UserInfo (GET and POST). OpenIddict has validated the access token (signature,
/// expiry, denylist, revocation) before this runs; the claims are read from the user record now, so
/// a changed name or email shows at once and a deleted user gets nothing.
/// </summary>
public static class UserInfoEndpoint
{
    public static IEndpointRouteBuilder MapUserInfo(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/connect/userinfo", [HttpMethods.Get, HttpMethods.Post], GetUserInfoAsync)
            .ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<Results<Ok<Dictionary<string, object>>, ChallengeHttpResult>> GetUserInfoAsync(
        HttpContext http, UserManager<GatehouseUser> users)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var user = result.Principal?.GetClaim(Claims.Subject) is { } subject ? await users.FindByIdAsync(subject) : null;
        if (user is null)
        {
            return TypedResults.Challenge(
                new AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The access token's user no longer exists.",
                }),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var principal = result.Principal!;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal) { [Claims.Subject] = user.Id.ToString() };
        if (principal.HasScope(Scopes.Profile))
        {
            claims[Claims.Name] = user.DisplayName ?? user.UserName ?? "";
            claims[Claims.PreferredUsername] = user.UserName ?? "";
        }

        if (principal.HasScope(Scopes.Email) && user.Email is { } email)
        {
            claims[Claims.Email] = email;
            claims[Claims.EmailVerified] = user.EmailConfirmed;
        }

        return TypedResults.Ok(claims);
    }
}
