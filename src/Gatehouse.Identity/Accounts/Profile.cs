using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Accounts;

/// <summary>The signed-in user's own profile: who they are to this service, and nothing secret.</summary>
public sealed record UserProfileView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("email_verified")] bool EmailVerified,
    [property: JsonPropertyName("display_name")] string? DisplayName,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("roles")] IReadOnlyList<string> Roles);

/// <summary>
/// A JSON merge patch (RFC 7396) of the profile: a member left out stays as it is, <c>null</c> clears it.
/// Only <c>display_name</c> can be changed here; the address moves through <c>/auth/change-email</c>,
/// where a code proves the new one.
/// </summary>
public sealed class UpdateProfileRequest : IAccountRequest
{
    private readonly string? _displayName;

    [JsonPropertyName("display_name")]
    public string? DisplayName
    {
        get => _displayName;
        init
        {
            _displayName = value;
            SetsDisplayName = true;
        }
    }

    /// <summary>Read only so that it can be refused by name with a pointer to where an address is changed.</summary>
    [JsonPropertyName("email")]
    [System.ComponentModel.Description("Not accepted: an address is changed through POST /auth/change-email, which confirms it with a code.")]
    public JsonElement? Email
    {
        get => null;
        init => NamesEmail = true;
    }

    /// <summary>Whether the patch names <c>display_name</c> at all (as a name, or as null to clear it).</summary>
    [JsonIgnore]
    public bool SetsDisplayName { get; private init; }

    [JsonIgnore]
    public bool NamesEmail { get; private init; }

    public void Check(FieldErrors errors)
    {
        if (NamesEmail)
        {
            errors.Add("email", "cannot be changed in the profile; send POST /auth/change-email, which confirms the new address with a code.");
        }

        if (DisplayName is not null)
        {
            errors.DisplayName("display_name", DisplayName);
        }
    }

    public static UpdateProfileRequest WithDisplayName(string? displayName) => new() { DisplayName = displayName };
}

/// <summary>
/// Reads and changes the signed-in user's profile. A change keeps the credential version, so every
/// session and token stays; it is audited with the user as the one who acted. A patch that changes
/// nothing stores and records nothing.
/// </summary>
public sealed class Profile(SignedInUsers signedIn, UserManager<GatehouseUser> users, AuditLog audit)
{
    public async Task<Results<Ok<UserProfileView>, ProblemHttpResult>> GetAsync(AccountCall call) =>
        await signedIn.ResolveAsync(call) is { } current
            ? TypedResults.Ok(await ViewOfAsync(current.User))
            : AccountErrors.InvalidToken.Problem();

    public async Task<Results<Ok<UserProfileView>, ProblemHttpResult>> UpdateAsync(UpdateProfileRequest request, AccountCall call)
    {
        if (await signedIn.ResolveAsync(call) is not { } current)
        {
            return AccountErrors.InvalidToken.Problem();
        }

        return await ChangeAsync(current.User, request, call) is { } problem
            ? problem
            : TypedResults.Ok(await ViewOfAsync(current.User));
    }

    /// <summary>Applies a checked patch to <paramref name="user"/> and stores it if anything changed; null when done.</summary>
    public async Task<ProblemHttpResult?> ChangeAsync(GatehouseUser user, UpdateProfileRequest request, AccountCall call)
    {
        var displayName = FieldErrors.StoredDisplayName(request.DisplayName);
        if (!request.SetsDisplayName || displayName == user.DisplayName)
        {
            return null;
        }

        user.DisplayName = displayName;
        var saved = await users.UpdateAsync(user);
        if (saved.StoredOrConflict("update the profile") is { } conflict)
        {
            return conflict;
        }
        audit.Record(AuditEventTypes.ProfileUpdated, user.Id, call.ClientId, call.IpAddress, "display_name", actorUserId: user.Id);
        return null;
    }

    private async Task<UserProfileView> ViewOfAsync(GatehouseUser user)
    {
        var roles = (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal).ToArray();
        return new UserProfileView(
            user.Id.ToString(), user.Email, user.EmailConfirmed, user.DisplayName,
            new DateTimeOffset(DateTime.SpecifyKind(user.CreatedAt, DateTimeKind.Utc)), roles);
    }
}
