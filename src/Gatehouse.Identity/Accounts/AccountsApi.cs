using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Security;
using Gatehouse.Identity.Sessions;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// The account flows as a JSON API for registered first-party clients, under <c>/auth</c>. Every call
/// names its client (<c>X-Client-Id</c>, plus <c>X-Client-Secret</c> for confidential clients); calls on
/// behalf of a signed-in user carry the user's access token as <c>Authorization: Bearer</c>.
/// </summary>
public static class AccountsApi
{
    public const string DocumentName = "accounts";

    /// <summary>Where the account API lives.</summary>
    public static readonly PathString Prefix = new("/auth");

    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix.Value!)
            .WithTags("Accounts")
            .WithGroupName(DocumentName)
            .AddEndpointFilter<AccountCallFilter>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapPost("/sign-up", SignUpAsync).Accepts<SignUpRequest>("application/json").CredentialGuessing()
            .WithSummary("Start a sign-up; a code is emailed to confirm the address.");
        group.MapPost("/send-code", SendCodeAsync).Accepts<SendCodeRequest>("application/json").CredentialGuessing()
            .WithSummary("Send a new code for a sign-up, reset or email-change flow; the previous code stops working.");
        group.MapPost("/confirm-email", ConfirmEmailAsync).Accepts<ConfirmEmailRequest>("application/json").CredentialGuessing()
            .WithSummary("Confirm the email address with the code; creates the account and returns a token pair.");
        group.MapPost("/sign-in", SignInAsync).Accepts<SignInRequest>("application/json").CredentialGuessing()
            .WithSummary("Sign in with email and password; returns a token pair.");
        group.MapPost("/logout", (Delegate)LogoutAsync)
            .WithSummary("End the session of the bearer access token: its refresh tokens and the access token itself.");
        group.MapPost("/reset-password", ResetPasswordAsync).Accepts<ResetPasswordRequest>("application/json").CredentialGuessing()
            .WithSummary("Start a password reset; a code is emailed if the address belongs to an account.");
        group.MapPost("/confirm-reset", ConfirmResetAsync).Accepts<ConfirmResetRequest>("application/json").CredentialGuessing()
            .WithSummary("Set a new password with the emailed code; ends every session and returns a fresh token pair.");
        group.MapPatch("/update-password", UpdatePasswordAsync).Accepts<UpdatePasswordRequest>("application/json")
            .WithSummary("Change the password of the signed-in user; ends every other session and returns a fresh token pair.");
        group.MapPost("/change-email", ChangeEmailAsync).Accepts<ChangeEmailRequest>("application/json").CredentialGuessing()
            .WithSummary("Start moving the signed-in user's account to a new email address after a password check; a code is emailed to the new address.");
        group.MapPost("/confirm-email-change", ConfirmEmailChangeAsync).Accepts<ConfirmEmailRequest>("application/json").CredentialGuessing()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Confirm the new email address with the code; ends every session and returns a fresh token pair.");
        group.MapPost("/refresh-tokens", RefreshTokensAsync).Accepts<RefreshTokensRequest>("application/json")
            .WithSummary("Exchange a refresh token for a new pair; a reused refresh token ends its session.");
        group.MapGet("/sessions", (Delegate)ListSessionsAsync)
            .WithSummary("The signed-in user's live sessions; the one of the bearer access token is marked current.");
        group.MapDelete("/sessions/{sessionId}", EndSessionAsync)
            .WithSummary("End one of the signed-in user's sessions (the current one too, which also ends its access token).");
        group.MapDelete("/sessions", (Delegate)EndAllSessionsAsync)
            .WithSummary("Sign out everywhere: end every session of the signed-in user and stop all their access tokens.");
        group.MapGet("/profile", (Delegate)GetProfileAsync)
            .WithSummary("The signed-in user's profile: id, email, whether it is verified, display name, when the account was made, roles.");
        group.MapPatch("/profile", UpdateProfileAsync).Accepts<UpdateProfileRequest>("application/merge-patch+json", "application/json")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Change the signed-in user's display name with a JSON merge patch (null clears it); returns the profile. Sessions and tokens stay.");
        group.MapPost("/delete-account", DeleteAccountAsync).Accepts<DeleteAccountRequest>("application/json")
            .WithSummary("Delete the signed-in user's account after a password check.");
        return app;
    }

    // Resolved after the filter has run, so a refused client or a bad body costs no flow construction.
    private static T Flow<T>(HttpContext http) where T : notnull => http.RequestServices.GetRequiredService<T>();

    private static RouteHandlerBuilder CredentialGuessing(this RouteHandlerBuilder endpoint) =>
        endpoint.RequireRateLimiting(AccountRateLimits.PerIpPolicy)
            .WithMetadata(new CountsPerAccount())
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    private static Task<Results<Accepted<FlowStarted>, ProblemHttpResult>> SignUpAsync(JsonBody<SignUpRequest> body, HttpContext http) =>
        Flow<SignUp>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Accepted<FlowStarted>, ProblemHttpResult>> SendCodeAsync(JsonBody<SendCodeRequest> body, HttpContext http) =>
        Flow<SendCode>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Ok<TokenPair>, ProblemHttpResult>> ConfirmEmailAsync(JsonBody<ConfirmEmailRequest> body, HttpContext http) =>
        Flow<ConfirmEmail>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Ok<TokenPair>, ProblemHttpResult>> SignInAsync(JsonBody<SignInRequest> body, HttpContext http) =>
        Flow<SignIn>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<NoContent, ProblemHttpResult>> LogoutAsync(HttpContext http) =>
        Flow<Logout>(http).HandleAsync(AccountCall.Of(http));

    private static Task<Results<Accepted<FlowStarted>, ProblemHttpResult>> ResetPasswordAsync(JsonBody<ResetPasswordRequest> body, HttpContext http) =>
        Flow<ResetPassword>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Ok<TokenPair>, ProblemHttpResult>> ConfirmResetAsync(JsonBody<ConfirmResetRequest> body, HttpContext http) =>
        Flow<ConfirmReset>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Ok<TokenPair>, ProblemHttpResult>> UpdatePasswordAsync(JsonBody<UpdatePasswordRequest> body, HttpContext http) =>
        Flow<UpdatePassword>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Accepted<FlowStarted>, ProblemHttpResult>> ChangeEmailAsync(JsonBody<ChangeEmailRequest> body, HttpContext http) =>
        Flow<ChangeEmail>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Ok<TokenPair>, ProblemHttpResult>> ConfirmEmailChangeAsync(JsonBody<ConfirmEmailRequest> body, HttpContext http) =>
        Flow<ConfirmEmailChange>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Ok<TokenPair>, ProblemHttpResult>> RefreshTokensAsync(JsonBody<RefreshTokensRequest> body, HttpContext http) =>
        Flow<RefreshTokens>(http).HandleAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<Ok<SessionList>, ProblemHttpResult>> ListSessionsAsync(HttpContext http) =>
        Flow<AccountSessions>(http).ListAsync(AccountCall.Of(http));

    private static Task<Results<NoContent, ProblemHttpResult>> EndSessionAsync(string sessionId, HttpContext http) =>
        Flow<AccountSessions>(http).EndAsync(sessionId, AccountCall.Of(http));

    private static Task<Results<NoContent, ProblemHttpResult>> EndAllSessionsAsync(HttpContext http) =>
        Flow<AccountSessions>(http).EndAllAsync(AccountCall.Of(http));

    private static Task<Results<Ok<UserProfileView>, ProblemHttpResult>> GetProfileAsync(HttpContext http) =>
        Flow<Profile>(http).GetAsync(AccountCall.Of(http));

    private static Task<Results<Ok<UserProfileView>, ProblemHttpResult>> UpdateProfileAsync(JsonBody<UpdateProfileRequest> body, HttpContext http) =>
        Flow<Profile>(http).UpdateAsync(body.Value!, AccountCall.Of(http));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteAccountAsync(JsonBody<DeleteAccountRequest> body, HttpContext http) =>
        Flow<DeleteAccount>(http).HandleAsync(body.Value!, AccountCall.Of(http));
}

/// <summary>Endpoint metadata: the request is also limited per account it names.</summary>
public sealed class CountsPerAccount;

/// <summary>
/// Runs before every account endpoint: authenticates the client, answers for a body that failed to
/// bind or check, applies the per-account limit, and hands the flows an <see cref="AccountCall"/>.
/// </summary>
public sealed class AccountCallFilter(
    AccountClients clients,
    AccountRateLimits limits,
    ClientAuthenticationThrottle throttle,
    AuditLog audit,
    CredentialUseCounter credentialUses) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.Response.Headers.CacheControl = "no-store";
        var ip = http.Connection.RemoteIpAddress;
        var named = http.Request.Headers[AccountClients.ClientIdHeader] is { Count: 1 } ids ? ids[0] : null;
        if (throttle.BlockedFor(named, ip) is { } blocked)
        {
            credentialUses.Count(AuditEventTypes.ClientAuthThrottled, named ?? "", ip, ClientAuthenticationAudit.AccountsEndpoint);
            http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(blocked.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return AccountErrors.TooManyRequests.Problem("Client authentication failed too often from this address; wait before trying again.");
        }

        var client = await clients.AuthenticateAsync(http.Request, http.RequestAborted);
        if (client is null)
        {
            audit.Record(AuditEventTypes.ClientAuthFailed, null, named, ip?.ToString(), ClientAuthenticationAudit.AccountsEndpoint + ":" + AccountErrors.InvalidClient.Code);
            await throttle.RecordFailureAsync(named, ip, http.RequestAborted);
            return AccountErrors.InvalidClient.Problem($"Send the {AccountClients.ClientIdHeader} header (and {AccountClients.ClientSecretHeader} for a confidential client) of a client allowed to use the account API.");
        }

        if (http.Request.Headers.ContainsKey(AccountClients.ClientSecretHeader))
        {
            credentialUses.Count(AuditEventTypes.ClientAuthSucceeded, client.ClientId, ip, ClientAuthenticationAudit.AccountsEndpoint);
        }

        var call = new AccountCall(client, http.Connection.RemoteIpAddress?.ToString(), UserAccessTokens.BaseUriOf(http.Request), http);
        call.AttachTo(http);

        foreach (var argument in context.Arguments)
        {
            if (argument is not IJsonBody body)
            {
                continue;
            }

            if (body.Problem is { } problem)
            {
                return problem;
            }

            if (body.AccountKey is { } key && http.GetEndpoint()?.Metadata.GetMetadata<CountsPerAccount>() is not null
                && await limits.AcquireForAccountAsync(key, http.RequestAborted) is { } wait)
            {
                call.RetryAfter(wait);
                return AccountErrors.TooManyRequests.Problem();
            }
        }

        return await next(context);
    }
}
