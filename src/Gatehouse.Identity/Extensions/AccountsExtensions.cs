using System.Net;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.HttpOverrides;
using Scalar.AspNetCore;

namespace Gatehouse.Identity.Extensions;

public static class AccountsExtensions
{
    private const string ApiReferencePolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>The account flows, their tokens, lockout, rate limits, audit log and API description.</summary>
    public static IServiceCollection AddGatehouseAccounts(this IServiceCollection services, GatehouseOptions settings)
    {
        services.AddScoped<AccountClients>();
        services.AddScoped<UserAccessTokens>();
        services.AddSingleton<AccountTokensFastPathState>();
        services.AddHostedService<DecideAtStartup<AccountTokensFastPathSettings>>(provider =>
            new(provider.GetRequiredService<AccountTokensFastPathState>()));
        services.AddScoped<RefreshTokenFamilies>();
        services.AddScoped<TokenPairs>();
        services.AddScoped<SignedInUsers>();
        services.AddScoped<PasswordVerifier>();
        services.AddScoped<PasswordConfirmation>();
        services.AddSingleton<DummyPasswordHash>();
        services.AddScoped<AccountLockout>();
        services.AddSingleton<UnknownAddressLockout>();
        services.AddScoped<SessionRevocation>();
        services.AddScoped<Sessions.UserSessions>();
        services.AddScoped<AccountSessions>();
        services.AddScoped<Profile>();
        services.AddSingleton<AccountFlowStore>();

        services.AddScoped<SignUp>();
        services.AddScoped<SendCode>();
        services.AddScoped<ConfirmEmail>();
        services.AddScoped<SignIn>();
        services.AddScoped<Logout>();
        services.AddScoped<ResetPassword>();
        services.AddScoped<ConfirmReset>();
        services.AddScoped<UpdatePassword>();
        services.AddExceptionHandler<ConcurrentUserChangeHandler>();
        services.AddScoped<ChangeEmail>();
        services.AddScoped<ConfirmEmailChange>();
        services.AddScoped<RefreshTokens>();
        services.AddScoped<DeleteAccount>();

        services.AddSingleton<AuditLog>();
        services.AddHostedService(provider => provider.GetRequiredService<AuditLog>());

        var limits = settings.Accounts.RateLimits;
        services.AddSingleton(provider => new AccountRateLimits(limits, provider));
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(AccountRateLimits.RetryAfter(context.Lease).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await AccountErrors.TooManyRequests.Problem().ExecuteAsync(http);
            };
            if (limits.Enabled)
            {
                AccountRateLimits.AddPerIpPolicy(limiter, limits);
            }
            else
            {
                limiter.AddPolicy(AccountRateLimits.PerIpPolicy, _ => System.Threading.RateLimiting.RateLimitPartition.GetNoLimiter("none"));
            }
        });

        services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (var proxy in settings.Accounts.TrustedProxies)
            {
                if (IPAddress.TryParse(proxy, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
                }
            }
        });

        services.AddOpenApi(AccountsApi.DocumentName, openApi =>
        {
            openApi.ShouldInclude = description => description.GroupName == AccountsApi.DocumentName;
            openApi.AddOperationTransformer<AccountsApiDocument>();
        });
        return services;
    }

    /// <summary>Client IPs from trusted proxies, then the rate limiter.</summary>
    public static WebApplication UseGatehouseAccounts(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatehouseOptions>>().Value;
        if (settings.Accounts.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseRateLimiter();
        return app;
    }

    /// <summary>The OpenAPI documents at <c>/openapi/accounts.json</c> and <c>/openapi/admin.json</c>, browsable with Scalar at <c>/scalar</c>.</summary>
    public static WebApplication MapAccountsApiReference(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/scalar", scalar => scalar
                .WithTitle("Gatehouse APIs")
                .DisableDefaultFonts()
                .AddDocument(AccountsApi.DocumentName, routePattern: "/openapi/{documentName}.json")
                .AddDocument(Admin.AdminApi.DocumentName, routePattern: "/openapi/{documentName}.json"))
            .Add(endpoint =>
            {
                // Scalar starts from an inline module script; only its pages get a policy that allows one.
                var inner = endpoint.RequestDelegate!;
                endpoint.RequestDelegate = context =>
                {
                    context.Response.Headers.ContentSecurityPolicy = ApiReferencePolicy;
                    return inner(context);
                };
            });
        return app;
    }
}
