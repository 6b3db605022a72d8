using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Admin.Roles;

public sealed record AdminRole(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("users")] int Users);

public sealed record RoleList([property: JsonPropertyName("roles")] IReadOnlyList<AdminRole> Roles);

public sealed record CreateRoleRequest([property: JsonPropertyName("name")] string? Name) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        if (errors.Required("name", Name) && !AdminRoles.IsValidName(Name!))
        {
            errors.Add("name", AdminRoles.NameRule);
        }
    }
}

/// <summary>
/// Roles and who holds them. A role goes into the access tokens a user gets from then on (the code
/// flow's next refresh, the next sign-in); giving or taking one revokes nothing, with one exception:
/// taking <see cref="Data.Users.Roles.Admin"/> from someone ends every session they hold at once,
/// since a token still carrying admin power must not outlive the decision to take it away. The built-in
/// admin role cannot be deleted.
/// </summary>
public sealed partial class AdminRoles(
    GatehouseDbContext db,
    RoleManager<GatehouseRole> roles,
    UserManager<GatehouseUser> users,
    SessionRevocation revocation,
    AuditLog audit)
{
    public const string NameRule = "must be 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.";

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public async Task<RoleList> ListAsync(CancellationToken cancellationToken)
    {
        var list = await db.Roles.AsNoTracking()
            .OrderBy(role => role.Name)
            .Select(role => new AdminRole(role.Name!, db.UserRoles.Count(link => link.RoleId == role.Id)))
            .ToListAsync(cancellationToken);
        return new RoleList(list);
    }

    public async Task<Results<Created<AdminRole>, ProblemHttpResult>> CreateAsync(string name, AdminCaller caller)
    {
        if (await roles.RoleExistsAsync(name))
        {
            return AccountErrors.Field("name", "is taken by another role.", AdminProblems.RoleExists);
        }

        IdentityResult created;
        try
        {
            created = await roles.CreateAsync(new GatehouseRole(name));
        }
        catch (DbUpdateException)
        {
            created = IdentityResult.Failed(new IdentityErrorDescriber().DuplicateRoleName(name));
        }

        if (!created.Succeeded)
        {
            // Another request created it in between: the unique index on the name refused this one.
            return AccountErrors.Field("name", string.Join(" ", created.Errors.Select(e => e.Description)), AdminProblems.RoleExists);
        }

        audit.Record(AuditEventTypes.RoleCreated, null, caller.ClientId, caller.IpAddress, name, caller.ActorUserId);
        return TypedResults.Created($"/admin/roles/{Uri.EscapeDataString(name)}", new AdminRole(name, 0));
    }

    public async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, AdminCaller caller)
    {
        if (!IsValidName(name) || await roles.FindByNameAsync(name) is not { } role)
        {
            return AdminProblems.RoleNotFound.Problem();
        }

        if (string.Equals(role.Name, Data.Users.Roles.Admin, StringComparison.OrdinalIgnoreCase))
        {
            return AdminProblems.RoleProtected.Problem();
        }

        var deleted = await roles.DeleteAsync(role);
        deleted.EnsureStored("delete the role");

        audit.Record(AuditEventTypes.RoleDeleted, null, caller.ClientId, caller.IpAddress, role.Name, caller.ActorUserId);
        return TypedResults.NoContent();
    }

    /// <summary>Gives <paramref name="user"/> the role; giving it again changes nothing.</summary>
    public async Task<Results<NoContent, ProblemHttpResult>> GrantAsync(GatehouseUser user, string name, AdminCaller caller)
    {
        if (!IsValidName(name) || await roles.FindByNameAsync(name) is not { } role)
        {
            return AdminProblems.RoleNotFound.Problem();
        }

        if (await users.IsInRoleAsync(user, role.Name!))
        {
            return TypedResults.NoContent();
        }

        IdentityResult added;
        try
        {
            added = await users.AddToRoleAsync(user, role.Name!);
        }
        catch (DbUpdateException)
        {
            // Another request gave the same role (the link's key refused the second row) or deleted it
            // at the same moment; nothing of this one was stored.
            return AccountErrors.ConcurrentChange.Problem();
        }

        added.EnsureStored("give the role");

        audit.Record(AuditEventTypes.RoleGranted, user.Id, caller.ClientId, caller.IpAddress, role.Name, caller.ActorUserId);
        return TypedResults.NoContent();
    }

    /// <summary>Takes the role from <paramref name="user"/>; taking one the user does not hold changes nothing.</summary>
    public async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(GatehouseUser user, string name, AdminCaller caller)
    {
        if (!IsValidName(name) || await roles.FindByNameAsync(name) is not { } role)
        {
            return AdminProblems.RoleNotFound.Problem();
        }

        if (!await users.IsInRoleAsync(user, role.Name!))
        {
            return TypedResults.NoContent();
        }

        var removed = await users.RemoveFromRoleAsync(user, role.Name!);
        removed.EnsureStored("take the role");

        audit.Record(AuditEventTypes.RoleRemoved, user.Id, caller.ClientId, caller.IpAddress, role.Name, caller.ActorUserId);
        if (string.Equals(role.Name, Data.Users.Roles.Admin, StringComparison.OrdinalIgnoreCase))
        {
            await revocation.RevokeEverythingAsync(user.Id, RefreshTokenFamilies.Reasons.CredentialsChanged, caller.CancellationToken);
            audit.Record(AuditEventTypes.SessionsRevoked, user.Id, caller.ClientId, caller.IpAddress, "admin_role_removed", caller.ActorUserId);
        }

        return TypedResults.NoContent();
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
    private static partial Regex NamePattern();
}
