using System.Security.Claims;
using System.Text.Encodings.Web;
using Gatehouse.ResourceServer.Revocation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.ResourceServer.Tokens;

/// <summary>
/// The bearer scheme: reads <c>Authorization: Bearer …</c>, validates the token with
/// <see cref="AccessTokenValidator"/> and checks it against <see cref="RevocationList"/>. A refusal
/// is answered with <c>WWW-Authenticate: Bearer error="invalid_token"</c> (RFC 6750) and a problem
/// details body whose <c>code</c> says why.
/// </summary>
public sealed partial class GatehouseAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    AccessTokenValidator validator,
    RevocationList revocations,
    IProblemDetailsService? problemDetails = null) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private AccessTokenError? _error;

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = header.AsSpan(7).Trim().ToString();
        var result = await validator.ValidateAsync(token, Context.RequestAborted);
        var error = result.Error ?? revocations.Check(result.Token!);
        if (error is not null)
        {
            _error = error;
            LogRefused(Logger, error.Code);
            return AuthenticateResult.Fail(error.Description);
        }

        // The validated principal is shared by every request carrying the same token: hand out a copy.
        var principal = result.Token!.Principal.Clone();
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var error = _error;
        Response.StatusCode = error?.Status ?? StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, error is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{error.Description}\"");
        await WriteProblemAsync(Response.StatusCode, error?.Code ?? "missing_token",
            error?.Description ?? "This endpoint needs a bearer access token.");
    }

    /// <inheritdoc />
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        Response.Headers.Append(HeaderNames.WWWAuthenticate,
            "Bearer error=\"insufficient_scope\", error_description=\"The access token lacks a scope or role this endpoint needs.\"");
        await WriteProblemAsync(StatusCodes.Status403Forbidden, "insufficient_scope", "The access token lacks a scope or role this endpoint needs.");
    }

    private async Task WriteProblemAsync(int status, string code, string detail)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = status switch
            {
                StatusCodes.Status403Forbidden => "Forbidden",
                StatusCodes.Status503ServiceUnavailable => "Service unavailable",
                _ => "Unauthorized",
            },
            Detail = detail,
            Type = GatehouseResourceServerDefaults.ProblemTypePrefix + code,
        };
        problem.Extensions["code"] = code;
        if (problemDetails is null || !await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem }))
        {
            await Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
        }
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Debug, Message = "Access token refused: {Code}")]
    private static partial void LogRefused(ILogger logger, string code);
}

/// <summary>Claims helpers for Gatehouse access tokens.</summary>
public static class GatehouseClaims
{
    /// <summary>Whether the token grants <paramref name="scope"/> (the <c>scope</c> claim, space-separated or repeated).</summary>
    public static bool HasScope(this ClaimsPrincipal principal, string scope)
    {
        foreach (var claim in principal.FindAll("scope"))
        {
            foreach (var range in claim.Value.AsSpan().Split(' '))
            {
                if (claim.Value.AsSpan()[range].SequenceEqual(scope))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The token's subject (<c>sub</c>): a user id, or a client id for service tokens.</summary>
    public static string? Subject(this ClaimsPrincipal principal) => principal.FindFirst("sub")?.Value;
}
