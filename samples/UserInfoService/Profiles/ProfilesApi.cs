using Gatehouse.ResourceServer.Authorization;
using Gatehouse.ResourceServer.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Samples.UserInfo.Profiles;

/// <summary>
/// Public profiles by user id. Other services get user ids from their own APIs and ask here for
/// names and avatars. The email is included only for callers whose token grants <c>profiles.email</c>.
/// </summary>
public static class ProfilesApi
{
    public const string ReadScope = "profiles.read";
    public const string EmailScope = "profiles.email";
    public const int MaxIdsPerRequest = 100;

    public static IEndpointRouteBuilder MapProfilesApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/users").RequireScope(ReadScope);
        users.MapGet("/{id}", GetAsync);
        users.MapGet("/", GetManyAsync);
        return app;
    }

    public static async Task<Results<Ok<PublicProfile>, ProblemHttpResult>> GetAsync(string id, HttpContext context, ProfileStore db)
    {
        if (id.Length > 64)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_user_id", "A user id has at most 64 characters.");
        }

        var stored = await db.Profiles.AsNoTracking().FirstOrDefaultAsync(p => p.UserId == id, context.RequestAborted);
        return stored is null
            ? Problem(StatusCodes.Status404NotFound, "unknown_user", $"No user '{id}'.")
            : TypedResults.Ok(PublicProfile.From(stored, context.User.HasScope(EmailScope)));
    }

    /// <summary><c>GET /users?ids=a,b,c</c>: the profiles of up to 100 users; unknown ids are left out.</summary>
    public static async Task<Results<Ok<List<PublicProfile>>, ProblemHttpResult>> GetManyAsync(HttpContext context, ProfileStore db)
    {
        var query = context.Request.Query["ids"];
        if (query.Count != 1)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_ids", "Send 'ids' once: a comma-separated list of user ids.");
        }

        var ids = query[0]!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (ids.Count is 0 or > MaxIdsPerRequest || ids.Any(id => id.Length > 64))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_ids", $"Send between 1 and {MaxIdsPerRequest} user ids of at most 64 characters.");
        }

        var withEmail = context.User.HasScope(EmailScope);
        var stored = await db.Profiles.AsNoTracking().Where(p => ids.Contains(p.UserId)).OrderBy(p => p.UserId).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(stored.Select(p => PublicProfile.From(p, withEmail)).ToList());
    }

    private static ProblemHttpResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(statusCode: status, detail: detail, type: "https://gatehouse.dev/problems/" + code.Replace('_', '-'),
            extensions: new Dictionary<string, object?> { ["code"] = code });
}

/// <summary>What the service answers about a user.</summary>
public sealed record PublicProfile(string Id, string? DisplayName, string? AvatarUrl, string? Email)
{
    public static PublicProfile From(StoredProfile stored, bool withEmail) =>
        new(stored.UserId, stored.DisplayName, stored.Picture, withEmail ? stored.Email : null);
}
