using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Admin.Roles;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Admin.Users;

/// <summary>
/// <c>/admin/users</c>: users, their bans, password checks, roles and sessions. Ids in the route that
/// are not GUIDs are a 400 naming the parameter; unknown users are a 404.
/// </summary>
public static class AdminUsersApi
{
    public static RouteGroupBuilder MapAdminUsers(this RouteGroupBuilder users)
    {
        users.WithTags("Users").AddEndpointFilter<AdminBodyFilter>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        users.MapGet("/", ListAsync)
            .WithSummary("List users, oldest first, filtered by email prefix, display name, status or role; paged with page_token.")
            .WithDescription("Query parameters, all optional: email (prefix, any case), display_name (contained, any case), "
                + "status (active, banned or deleted), role (a role name), page_size (1 to 200, default 50), "
                + "page_token (the next_page_token of the previous page).");
        users.MapGet("/{id}", GetAsync).WithSummary("One user.");
        users.MapPost("/", CreateAsync).Accepts<CreateUserRequest>("application/json").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a user, with a password or with an emailed code to choose one.");
        users.MapPatch("/{id}", UpdateAsync).Accepts<UpdateUserRequest>("application/json").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Change a user's email, display name, email_confirmed or status.");
        users.MapDelete("/{id}", DeleteAsync)
            .WithSummary("Delete a user as the account flow does: sessions revoked, profile and credentials removed.");
        users.MapPost("/{id}/ban", BanAsync).Accepts<BanUserRequest>("application/json")
            .WithSummary("Ban a user: every session and token ends at once and sign-in is refused until the ban is lifted or runs out.");
        users.MapPost("/{id}/unban", UnbanAsync).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Lift a ban; the user signs in again.");
        users.MapPost("/{id}/check-password", CheckPasswordAsync).Accepts<CheckPasswordRequest>("application/json")
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Check a user's password (counts towards lockout, rate-limited per user, audited).");
        users.MapPut("/{id}/roles/{role}", AddRoleAsync).WithSummary("Give a user a role; it shows in the user's next tokens.");
        users.MapDelete("/{id}/roles/{role}", RemoveRoleAsync)
            .WithSummary("Take a role from a user; taking admin also ends every session of the user.");
        users.MapGet("/{id}/sessions", ListSessionsAsync).WithSummary("A user's live sessions: account-API refresh-token families and code-flow grants.");
        users.MapDelete("/{id}/sessions/{sessionId}", RevokeSessionAsync).WithSummary("End one session of a user.");
        users.MapDelete("/{id}/sessions", RevokeSessionsAsync)
            .WithSummary("End every session of a user and cut off the access tokens issued so far (announced on the revocation feed).");
        return users;
    }

    private static async Task<Results<Ok<UserPage>, ProblemHttpResult>> ListAsync(HttpContext http, AdminUsers admin)
    {
        var query = new AdminQuery(http.Request.Query);
        var email = query.Text("email");
        var name = query.Text("display_name");
        var statusName = query.Text("status");
        var status = UserStatuses.Parse(statusName);
        if (statusName is not null && status is null)
        {
            query.Fail("status", "must be \"active\", \"banned\" or \"deleted\".");
        }

        var role = query.Text("role");
        var after = query.Guid("page_token", "is not a page token from this list.");
        var size = query.PageSize();
        if (query.Problem is { } problem)
        {
            return problem;
        }

        return TypedResults.Ok(await admin.SearchAsync(new UserSearch(email, name, status, role, after, size), http.RequestAborted));
    }

    private static async Task<Results<Ok<AdminUser>, ProblemHttpResult>> GetAsync(string id, UserManager<GatehouseUser> users, AdminUsers admin)
    {
        var found = await FindAsync(id, users);
        return found.Value is { } user ? TypedResults.Ok(await admin.DescribeAsync(user)) : found.Problem!;
    }

    private static Task<Results<Created<AdminUser>, ProblemHttpResult>> CreateAsync(JsonBody<CreateUserRequest> body, HttpContext http, AdminUsers admin) =>
        admin.CreateAsync(body.Value!, AdminCaller.Of(http));

    private static async Task<Results<Ok<AdminUser>, ProblemHttpResult>> UpdateAsync(
        string id, JsonBody<UpdateUserRequest> body, HttpContext http, UserManager<GatehouseUser> users, AdminUsers admin)
    {
        var found = await FindAsync(id, users);
        return found.Value is { } user ? await admin.UpdateAsync(user, body.Value!, AdminCaller.Of(http)) : found.Problem!;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, HttpContext http, UserManager<GatehouseUser> users, AdminUsers admin)
    {
        var found = await FindAsync(id, users);
        if (found.Value is not { } user)
        {
            return found.Problem!;
        }

        await admin.DeleteAsync(user, AdminCaller.Of(http));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AdminUser>, ProblemHttpResult>> BanAsync(
        string id, JsonBody<BanUserRequest> body, HttpContext http, UserManager<GatehouseUser> users, SessionRevocation revocation, AdminUsers admin)
    {
        var found = await FindAsync(id, users);
        if (found.Value is not { } user)
        {
            return found.Problem!;
        }

        var caller = AdminCaller.Of(http);
        var request = body.Value!;
        await revocation.BanAsync(user.Id, new BanDetails(request.Reason, request.Until, caller.ClientId, caller.ActorUserId, caller.IpAddress), caller.CancellationToken);
        return TypedResults.Ok(await admin.DescribeAsync(user));
    }

    private static async Task<Results<Ok<AdminUser>, ProblemHttpResult>> UnbanAsync(
        string id, HttpContext http, UserManager<GatehouseUser> users, SessionRevocation revocation, AdminUsers admin)
    {
        var found = await FindAsync(id, users);
        if (found.Value is not { } user)
        {
            return found.Problem!;
        }

        var caller = AdminCaller.Of(http);
        return await revocation.UnbanAsync(user, caller.ClientId, caller.IpAddress, caller.ActorUserId)
            ? TypedResults.Ok(await admin.DescribeAsync(user))
            : AdminProblems.UserNotBanned.Problem();
    }

    private static async Task<Results<Ok<PasswordCheckResult>, ProblemHttpResult>> CheckPasswordAsync(
        string id, JsonBody<CheckPasswordRequest> body, HttpContext http, UserManager<GatehouseUser> users,
        PasswordVerifier passwords, PasswordConfirmation confirmation, AccountRateLimits limits, AuditLog audit, TimeProvider time)
    {
        if (AdminProblems.ParseUserId(id) is not { } userId)
        {
            return AdminProblems.BadParameter("id", "is not a user id.");
        }

        var caller = AdminCaller.Of(http);
        var call = caller.AsAccountCall();
        if (await limits.AcquireForAccountAsync("admin-check-password:" + userId, http.RequestAborted) is { } wait)
        {
            call.RetryAfter(wait);
            return AccountErrors.TooManyRequests.Problem();
        }

        var user = await users.FindByIdAsync(userId.ToString());
        if (user is null || user.Status == UserStatus.Deleted)
        {
            // The same work as for a real user (a dummy hash), and the same answer as a wrong password.
            await passwords.VerifyAsync(null, body.Value!.Password!);
            audit.Record(AuditEventTypes.PasswordCheckFailed, null, caller.ClientId, caller.IpAddress, "unknown_user", caller.ActorUserId);
            return TypedResults.Ok(new PasswordCheckResult(false));
        }

        var refused = await confirmation.CheckAsync(user, body.Value!.Password!, "password", AuditEventTypes.PasswordCheckFailed, call);
        if (refused is not null)
        {
            return refused.ProblemDetails.Extensions["code"] as string == AccountErrors.InvalidCredentials.Code
                ? TypedResults.Ok(new PasswordCheckResult(false))
                : refused;
        }

        if (user.IsBannedAt(time.GetUtcNow()))
        {
            audit.Record(AuditEventTypes.PasswordCheckFailed, user.Id, caller.ClientId, caller.IpAddress, "account_banned", caller.ActorUserId);
            return TypedResults.Ok(new PasswordCheckResult(false));
        }

        audit.Record(AuditEventTypes.PasswordChecked, user.Id, caller.ClientId, caller.IpAddress, null, caller.ActorUserId);
        return TypedResults.Ok(new PasswordCheckResult(true));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> AddRoleAsync(
        string id, string role, HttpContext http, UserManager<GatehouseUser> users, AdminRoles roles)
    {
        var found = await FindAsync(id, users);
        return found.Value is { } user ? await roles.GrantAsync(user, role, AdminCaller.Of(http)) : found.Problem!;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveRoleAsync(
        string id, string role, HttpContext http, UserManager<GatehouseUser> users, AdminRoles roles)
    {
        var found = await FindAsync(id, users);
        return found.Value is { } user ? await roles.RemoveAsync(user, role, AdminCaller.Of(http)) : found.Problem!;
    }

    private static async Task<Results<Ok<SessionList>, ProblemHttpResult>> ListSessionsAsync(
        string id, HttpContext http, UserManager<GatehouseUser> users, UserSessions sessions)
    {
        var found = await FindAsync(id, users);
        return found.Value is { } user ? TypedResults.Ok(new SessionList(await sessions.ListAsync(user.Id, http.RequestAborted))) : found.Problem!;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeSessionAsync(
        string id, string sessionId, HttpContext http, UserManager<GatehouseUser> users, UserSessions sessions)
    {
        var found = await FindAsync(id, users);
        if (found.Value is not { } user)
        {
            return found.Problem!;
        }

        if (sessionId.Length > 100)
        {
            return AdminProblems.SessionNotFound.Problem();
        }

        return await sessions.RevokeAsync(user.Id, sessionId, AdminCaller.Of(http).AsSessionActor())
            ? TypedResults.NoContent()
            : AdminProblems.SessionNotFound.Problem();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeSessionsAsync(
        string id, HttpContext http, UserManager<GatehouseUser> users, UserSessions sessions)
    {
        var found = await FindAsync(id, users);
        if (found.Value is not { } user)
        {
            return found.Problem!;
        }

        await sessions.RevokeAllAsync(user.Id, AdminCaller.Of(http).AsSessionActor());
        return TypedResults.NoContent();
    }

    /// <summary>The user a route names: a 400 for an id that is not a GUID, a 404 for no such user.</summary>
    private static async Task<FlowOutcome<GatehouseUser>> FindAsync(string id, UserManager<GatehouseUser> users)
    {
        if (AdminProblems.ParseUserId(id) is not { } userId)
        {
            return AdminProblems.BadParameter("id", "is not a user id.");
        }

        var user = await users.FindByIdAsync(userId.ToString());
        return user is null || user.Status == UserStatus.Deleted ? AdminProblems.UserNotFound.Problem() : user;
    }
}
