using System.Text.Json;
using Microsoft.AspNetCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// RFC 9701: a client holding the JWT-introspection permission that sends
/// <c>Accept: application/token-introspection+jwt</c> gets the introspection answer as a JWT signed
/// by the server, so a gateway can forward it as a short-lived credential (phantom token). Such a
/// client may introspect any token, not only tokens meant for it; without the permission the
/// request is refused.
/// </summary>
public static class JwtIntrospection
{
    public const string MediaType = "application/token-introspection+jwt";
    public const string TokenType = "token-introspection+jwt";
    private const string RequestedProperty = "gatehouse:jwt-introspection";

    public static void Configure(OpenIddictServerBuilder server)
    {
        server.AddEventHandler(RequireJwtIntrospectionPermission.Descriptor);
        server.RemoveEventHandler(Introspection.ValidateAuthorizedParty.Descriptor);
        server.AddEventHandler(IntrospectionPartyCheck.Descriptor);
        server.AddEventHandler(SignIntrospectionResponse.Descriptor);
    }

    public static void AddServices(IServiceCollection services) => services.AddSingleton<Introspection.ValidateAuthorizedParty>();

    internal static bool IsRequested(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase));

    internal static bool WasGranted(OpenIddictServerTransaction transaction) =>
        transaction.Properties.TryGetValue(RequestedProperty, out var granted) && granted is true;

    /// <summary>Refuses a JWT introspection response to a client without the permission.</summary>
    public sealed class RequireJwtIntrospectionPermission(IOpenIddictApplicationManager applications)
        : IOpenIddictServerHandler<ValidateIntrospectionRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateIntrospectionRequestContext>()
                .UseScopedHandler<RequireJwtIntrospectionPermission>()
                .SetOrder(Introspection.ValidateEndpointPermissions.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateIntrospectionRequestContext context)
        {
            if (context.Transaction.GetHttpRequest() is not { } request || !IsRequested(request) || string.IsNullOrEmpty(context.ClientId))
            {
                return;
            }

            var application = await applications.FindByClientIdAsync(context.ClientId, context.CancellationToken);
            if (application is null || !await applications.HasPermissionAsync(application, ClientRegistration.JwtIntrospectionPermission, context.CancellationToken))
            {
                context.Reject(Errors.UnauthorizedClient, "This client may not receive JWT introspection responses.");
                return;
            }

            context.Transaction.Properties[RequestedProperty] = true;
        }
    }

    /// <summary>A client allowed JWT introspection may inspect any token; others only tokens meant for them.</summary>
    public sealed class IntrospectionPartyCheck(Introspection.ValidateAuthorizedParty builtIn)
        : IOpenIddictServerHandler<ValidateIntrospectionRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateIntrospectionRequestContext>()
                .AddFilter<OpenIddictServerHandlerFilters.RequireClientIdParameter>()
                .UseSingletonHandler<IntrospectionPartyCheck>()
                .SetOrder(Introspection.ValidateAuthorizedParty.Descriptor.Order)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ValidateIntrospectionRequestContext context) =>
            WasGranted(context.Transaction) ? ValueTask.CompletedTask : builtIn.HandleAsync(context);
    }

    /// <summary>Writes the introspection answer as a signed JWT instead of JSON.</summary>
    public sealed class SignIntrospectionResponse : IOpenIddictServerHandler<ApplyIntrospectionResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyIntrospectionResponseContext>()
                .UseSingletonHandler<SignIntrospectionResponse>()
                .SetOrder(OpenIddictServerAspNetCoreHandlers.ProcessJsonResponse<ApplyIntrospectionResponseContext>.Descriptor.Order - 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ApplyIntrospectionResponseContext context)
        {
            if (!WasGranted(context.Transaction) || !string.IsNullOrEmpty(context.Response.Error)
                || context.Transaction.GetHttpRequest()?.HttpContext.Response is not { } response)
            {
                return;
            }

            var introspection = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var (name, value) in context.Response.GetParameters())
            {
                introspection[name] = (JsonElement)value;
            }

            var issuer = (context.Options.Issuer ?? context.BaseUri)!.AbsoluteUri;
            var jwt = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = issuer,
                Audience = context.Request?.ClientId,
                IssuedAt = context.Options.TimeProvider.GetUtcNow().UtcDateTime,
                TokenType = TokenType,
                Claims = new Dictionary<string, object> { ["token_introspection"] = introspection },
                SigningCredentials = context.Options.SigningCredentials[0],
            });

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = MediaType;
            response.Headers.CacheControl = "no-store";
            await response.WriteAsync(jwt, context.CancellationToken);
            context.HandleRequest();
        }
    }
}
