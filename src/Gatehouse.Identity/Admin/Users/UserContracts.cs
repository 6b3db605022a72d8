using System.Text.Json.Serialization;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Data.Users;

namespace Gatehouse.Identity.Admin.Users;

// The JSON of the admin users area. Field names are snake_case, as in the account API. Answers carry
// ids and profile fields only: never a hash, a stamp, a credential version or a code.

/// <summary>A user as administrators see it.</summary>
public sealed record AdminUser(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("email_confirmed")] bool EmailConfirmed,
    [property: JsonPropertyName("display_name")] string? DisplayName,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("roles")] IReadOnlyList<string> Roles,
    [property: JsonPropertyName("ban_reason")] string? BanReason,
    [property: JsonPropertyName("banned_until")] DateTimeOffset? BannedUntil,
    [property: JsonPropertyName("locked_until")] DateTimeOffset? LockedUntil,
    [property: JsonPropertyName("has_password")] bool HasPassword)
{
    public static AdminUser From(GatehouseUser user, IReadOnlyList<string> roles, DateTimeOffset now)
    {
        var banned = user.IsBannedAt(now);
        return new AdminUser(
            user.Id,
            user.Email,
            user.EmailConfirmed,
            user.DisplayName,
            UserStatuses.Name(banned ? UserStatus.Banned : user.Status == UserStatus.Banned ? UserStatus.Active : user.Status),
            new DateTimeOffset(DateTime.SpecifyKind(user.CreatedAt, DateTimeKind.Utc)),
            roles,
            banned ? user.BanReason : null,
            banned && user.BannedUntil is { } until ? new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)) : null,
            user.LockoutEnd > now ? user.LockoutEnd : null,
            !string.IsNullOrEmpty(user.PasswordHash));
    }
}

public sealed record UserPage(
    [property: JsonPropertyName("users")] IReadOnlyList<AdminUser> Users,
    [property: JsonPropertyName("next_page_token")] string? NextPageToken);

/// <summary>The status names the admin API speaks.</summary>
public static class UserStatuses
{
    public const string Active = "active";
    public const string Banned = "banned";
    public const string Deleted = "deleted";

    public static string Name(UserStatus status) => status switch
    {
        UserStatus.Active => Active,
        UserStatus.Banned => Banned,
        _ => Deleted,
    };

    public static UserStatus? Parse(string? name) => name switch
    {
        Active => UserStatus.Active,
        Banned => UserStatus.Banned,
        Deleted => UserStatus.Deleted,
        _ => null,
    };
}

public sealed record CreateUserRequest(
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("display_name")] string? DisplayName,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("email_confirmed")] bool? EmailConfirmed) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        errors.Email("email", Email);
        if (DisplayName is not null)
        {
            errors.DisplayName("display_name", DisplayName);
        }

        if (Password is not null)
        {
            errors.Password("password", Password);
        }
    }
}

/// <summary>
/// A partial update: members left out (or null) stay as they are; an empty <c>display_name</c> clears
/// it. <c>status</c> is <c>active</c> (lifts a ban) or <c>banned</c> (bans with no reason and no end).
/// </summary>
public sealed record UpdateUserRequest(
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("display_name")] string? DisplayName,
    [property: JsonPropertyName("email_confirmed")] bool? EmailConfirmed,
    [property: JsonPropertyName("status")] string? Status) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        if (Email is null && DisplayName is null && EmailConfirmed is null && Status is null)
        {
            errors.Add("body", "names nothing to change: send email, display_name, email_confirmed or status.");
            return;
        }

        if (Email is not null)
        {
            errors.Email("email", Email);
        }

        if (DisplayName is { Length: > 0 })
        {
            errors.DisplayName("display_name", DisplayName);
        }

        if (Status is not null && Status is not (UserStatuses.Active or UserStatuses.Banned))
        {
            errors.Add("status", Status == UserStatuses.Deleted
                ? "cannot be set to deleted; send DELETE /admin/users/{id}."
                : "must be \"active\" or \"banned\".");
        }
    }
}

public sealed record BanUserRequest(
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("until")] DateTimeOffset? Until) : IAccountRequest
{
    public const int MaxReasonLength = 200;

    public void Check(FieldErrors errors)
    {
        if (errors.Required("reason", Reason))
        {
            errors.Text("reason", Reason!, MaxReasonLength);
        }

        if (Until is { } until && until <= DateTimeOffset.UtcNow)
        {
            errors.Add("until", "must be in the future.");
        }
    }
}

public sealed record CheckPasswordRequest([property: JsonPropertyName("password")] string? Password) : IAccountRequest
{
    public void Check(FieldErrors errors) => errors.Password("password", Password);
}

public sealed record PasswordCheckResult([property: JsonPropertyName("valid")] bool Valid);
