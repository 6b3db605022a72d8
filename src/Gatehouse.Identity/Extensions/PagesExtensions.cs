using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Pages.Account;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Extensions;

public static class PagesExtensions
{
    /// <summary>
    /// Server-rendered hosted pages (sign-in, sign-up, reset, consent...). They work without
    /// JavaScript; every form posts with an antiforgery token.
    /// </summary>
    public static IServiceCollection AddGatehousePages(this IServiceCollection services, GatehouseOptions settings)
    {
        services.AddRazorPages(pages => pages.Conventions.ConfigureFilter(new AutoValidateAntiforgeryTokenAttribute()));
        services.Configure<RateLimiterOptions>(limiter =>
            limiter.AddPolicy(HostedPageRateLimit.PolicyName, new HostedPageRateLimit(settings.Accounts.RateLimits)));
        services.Configure<AntiforgeryOptions>(antiforgery =>
        {
            // The __Host- prefix needs a Secure cookie, which plain-HTTP development cannot set.
            antiforgery.Cookie.Name = settings.RequireHttps ? "__Host-gh-af" : "gh-af";
            antiforgery.Cookie.SecurePolicy = settings.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.FormFieldName = "__gh_af";
            antiforgery.HeaderName = null;
        });

        if (settings.RequireHttps)
        {
            services.AddHsts(hsts =>
            {
                hsts.MaxAge = TimeSpan.FromDays(365);
                hsts.IncludeSubDomains = true;
            });
        }

        return services;
    }

    /// <summary>Security headers on every response; HSTS when HTTPS is required.</summary>
    public static WebApplication UseGatehouseSecurityHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<GatehouseOptions>>().Value.RequireHttps)
        {
            app.UseHsts();
        }

        app.UseMiddleware<SecurityHeaders>();
        return app;
    }

    /// <summary>Static assets and the page routes.</summary>
    public static WebApplication UseGatehousePages(this WebApplication app)
    {
        app.UseStaticFiles();
        app.MapRazorPages();
        return app;
    }
}

/// <summary>
/// Headers every response carries: pages may not be framed (clickjacking), load only their own
/// assets, run no inline script, and leak no referrer to the sites they link to.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; " +
        "base-uri 'none'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
        return next(context);
    }
}
