using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Admin;

/// <summary>
/// The admin API's own errors, in the account API's style (<see cref="AccountErrors"/>): RFC 9457
/// problem details with a stable <c>code</c>. Errors both APIs share (invalid_request, email_taken,
/// weak_password, payload_too_large) come from <see cref="AccountErrors"/>.
/// </summary>
public static class AdminProblems
{
    public static readonly AccountError UserNotFound = new("user_not_found", 404, "No user has this id.");
    public static readonly AccountError RoleNotFound = new("role_not_found", 404, "No role has this name.");
    public static readonly AccountError SessionNotFound = new("session_not_found", 404, "The user has no session with this id.");
    public static readonly AccountError RoleExists = new("role_exists", 409, "A role with this name exists already.");
    public static readonly AccountError RoleProtected = new("role_protected", 409, "This role is built in and cannot be deleted.");
    public static readonly AccountError UserNotBanned = new("user_not_banned", 409, "The user is not banned.");

    /// <summary>A route or query value that is not of the expected form, as a 400 naming the parameter.</summary>
    public static ProblemHttpResult BadParameter(string name, string message) => AccountErrors.Field(name, message);

    /// <summary>Parses a user id from the route: null when it is not a GUID.</summary>
    public static Guid? ParseUserId(string? value) =>
        Guid.TryParseExact(value, "D", out var id) ? id : null;
}
