using System.Globalization;
using System.Security.Claims;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Sessions;

/// <summary>
/// The identity service's own browser session: an ASP.NET Core Identity cookie that holds who signed
/// in, when, how, and under which security stamp. A password change (new stamp) ends it at the next
/// request; so does its absolute lifetime, however active the user is.
/// </summary>
public static class SessionCookie
{
    public static readonly string Scheme = IdentityConstants.ApplicationScheme;

    /// <summary>Unix seconds of the sign-in that started the session (OpenID Connect <c>auth_time</c>).</summary>
    public const string AuthTimeClaim = "auth_time";

    /// <summary>How the user proved who they are (OpenID Connect <c>amr</c>, RFC 8176 values).</summary>
    public const string MethodClaim = "amr";

    /// <summary>A random id per session, the OpenID Connect <c>sid</c>.</summary>
    public const string SessionIdClaim = "sid";

    public const string PasswordMethod = "pwd";

    public static string CookieName(bool requireHttps) => requireHttps ? "__Host-gh-session" : "gh-session";

    /// <summary>The claims a fresh sign-in adds to the Identity principal.</summary>
    public static Claim[] NewSessionClaims(DateTimeOffset now, string method) =>
    [
        new(AuthTimeClaim, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
        new(MethodClaim, method),
        new(SessionIdClaim, Guid.NewGuid().ToString("N")),
    ];

    public static DateTimeOffset? AuthTime(this ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirstValue(AuthTimeClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    public static IServiceCollection AddGatehouseSession(this IServiceCollection services, GatehouseOptions settings)
    {
        // All of Identity's cookies: signing out (which the stamp validator does) clears the external
        // and two-factor ones too, so their schemes must exist.
        services.AddAuthentication(Scheme).AddIdentityCookies();
        services.ConfigureApplicationCookie(cookie =>
            {
                cookie.Cookie.Name = CookieName(settings.RequireHttps);
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.Path = "/";
                // Lax, not Strict: the browser must send it on the top-level GET that comes back from a
                // client to /connect/authorize, or every OAuth round trip would ask for the password again.
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = settings.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = settings.Session.IdleTimeout;
                cookie.SlidingExpiration = true;
                cookie.LoginPath = "/Account/SignIn";
                cookie.LogoutPath = "/Account/SignOut";
                cookie.AccessDeniedPath = "/Account/SignIn";
                cookie.ReturnUrlParameter = "returnUrl";
                cookie.Events.OnValidatePrincipal = ValidateAsync;
            });

        services.AddScoped<ISecurityStampValidator, SecurityStampValidator<GatehouseUser>>();
        services.Configure<SecurityStampValidatorOptions>(stamp =>
        {
            // Every request re-checks the stamp, so a password change or a ban ends the session at once.
            stamp.ValidationInterval = TimeSpan.Zero;
            stamp.OnRefreshingPrincipal = context =>
            {
                // The refreshed principal is rebuilt from the user: carry over what the sign-in proved.
                if (context.CurrentPrincipal?.Identity is ClaimsIdentity current && context.NewPrincipal?.Identity is ClaimsIdentity fresh)
                {
                    foreach (var claim in current.Claims.Where(claim => claim.Type is AuthTimeClaim or MethodClaim or SessionIdClaim))
                    {
                        fresh.AddClaim(new Claim(claim.Type, claim.Value, claim.ValueType));
                    }
                }

                return Task.CompletedTask;
            };
        });
        return services;
    }

    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var settings = context.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatehouseOptions>>().Value;
        var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        if (context.Principal?.AuthTime() is not { } authTime || authTime + settings.Session.AbsoluteLifetime <= now)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
            return;
        }

        await SecurityStampValidator.ValidatePrincipalAsync(context);
    }
}
