using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Pages.Account;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Admin.Users;

/// <summary>A user list filter; unset members do not filter.</summary>
public sealed record UserSearch(string? EmailPrefix, string? DisplayName, UserStatus? Status, string? Role, Guid? After, int PageSize);

/// <summary>
/// What administrators do to users: find, create, change, delete, ban and lift bans. Deletion and bans
/// go through the same steps as the account flows (<see cref="DeleteAccount"/>, <see cref="SessionRevocation"/>),
/// and every change is audited under the calling client and administrator.
/// </summary>
public sealed class AdminUsers(
    GatehouseDbContext db,
    UserManager<GatehouseUser> users,
    PasswordVerifier passwords,
    ResetPassword resetPassword,
    IAccountMailer mailer,
    SessionRevocation revocation,
    DeleteAccount deleteAccount,
    AuditLog audit,
    TimeProvider time)
{
    public async Task<UserPage> SearchAsync(UserSearch search, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var query = db.Users.AsNoTracking();
        if (search.EmailPrefix is { } prefix)
        {
            var normalized = users.NormalizeEmail(prefix);
            query = query.Where(u => u.NormalizedEmail!.StartsWith(normalized));
        }

        if (search.DisplayName is { } name)
        {
            var lower = name.ToLowerInvariant();
            query = query.Where(u => u.DisplayName != null && u.DisplayName.ToLower().Contains(lower));
        }

        query = search.Status switch
        {
            UserStatus.Active => query.Where(u => u.Status == UserStatus.Active || (u.Status == UserStatus.Banned && u.BannedUntil != null && u.BannedUntil <= now)),
            UserStatus.Banned => query.Where(u => u.Status == UserStatus.Banned && (u.BannedUntil == null || u.BannedUntil > now)),
            UserStatus.Deleted => query.Where(u => u.Status == UserStatus.Deleted),
            _ => query,
        };

        if (search.Role is { } role)
        {
            var normalized = users.NormalizeName(role);
            query = query.Where(u => db.UserRoles.Any(link => link.UserId == u.Id
                && db.Roles.Any(r => r.Id == link.RoleId && r.NormalizedName == normalized)));
        }

        if (search.After is { } after)
        {
            query = query.Where(u => u.Id.CompareTo(after) > 0);
        }

        var page = await query.OrderBy(u => u.Id).Take(search.PageSize + 1).ToListAsync(cancellationToken);
        var more = page.Count > search.PageSize;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        var roles = await RolesOfAsync([.. page.Select(u => u.Id)], cancellationToken);
        var nowOffset = time.GetUtcNow();
        return new UserPage(
            [.. page.Select(u => AdminUser.From(u, roles.GetValueOrDefault(u.Id, []), nowOffset))],
            more ? page[^1].Id.ToString() : null);
    }

    public async Task<AdminUser> DescribeAsync(GatehouseUser user) =>
        AdminUser.From(user, [.. (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal)], time.GetUtcNow());

    public async Task<Results<Created<AdminUser>, ProblemHttpResult>> CreateAsync(CreateUserRequest request, AdminCaller caller)
    {
        var email = request.Email!;
        if (await users.FindByEmailAsync(email) is not null)
        {
            return EmailTaken();
        }

        var user = new GatehouseUser
        {
            Id = Guid.CreateVersion7(),
            UserName = email,
            Email = email,
            EmailConfirmed = request.EmailConfirmed ?? false,
            DisplayName = FieldErrors.StoredDisplayName(request.DisplayName),
            LockoutEnabled = true,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };

        if (request.Password is { } password)
        {
            var problems = await passwords.ValidateNewAsync(user, password);
            if (problems.Count > 0)
            {
                return AccountErrors.Field("password", string.Join(" ", problems), AccountErrors.WeakPassword);
            }

            user.PasswordHash = users.PasswordHasher.HashPassword(user, password);
        }

        IdentityResult created;
        try
        {
            created = await users.CreateAsync(user);
        }
        catch (DbUpdateException)
        {
            // Another request took the address between the uniqueness check and the insert: the unique index refused this one.
            return EmailTaken();
        }

        if (!created.Succeeded)
        {
            return SaveProblem(created);
        }

        if (request.Password is null)
        {
            // No password: the person chooses one on the hosted reset page with an emailed code.
            var (flow, code) = await resetPassword.StartForAsync(user, HostedPages.ClientId, caller.CancellationToken);
            var page = new Uri(Tokens.UserAccessTokens.BaseUriOf(caller.Http.Request), $"Account/ResetPassword?flow={flow.Id}");
            await mailer.SendAccountCreatedAsync(email, code, page, caller.CancellationToken);
            audit.Record(AuditEventTypes.CodeSent, user.Id, caller.ClientId, caller.IpAddress, "set_password", caller.ActorUserId);
        }

        audit.Record(AuditEventTypes.UserCreated, user.Id, caller.ClientId, caller.IpAddress, null, caller.ActorUserId);
        return TypedResults.Created($"/admin/users/{user.Id}", await DescribeAsync(user));
    }

    public async Task<Results<Ok<AdminUser>, ProblemHttpResult>> UpdateAsync(GatehouseUser user, UpdateUserRequest request, AdminCaller caller)
    {
        var changed = new List<string>();
        if (request.Email is { } email && !string.Equals(users.NormalizeEmail(email), user.NormalizedEmail, StringComparison.Ordinal))
        {
            if (await users.FindByEmailAsync(email) is { } other && other.Id != user.Id)
            {
                return EmailTaken();
            }

            user.Email = email;
            user.UserName = email;
            user.EmailConfirmed = request.EmailConfirmed ?? false;
            changed.Add("email");
        }
        else if (request.Email is { } sameAddress && sameAddress != user.Email)
        {
            // Only the letter case differs: the same address, written as asked.
            user.Email = sameAddress;
            user.UserName = sameAddress;
            changed.Add("email");
        }

        if (request.DisplayName is { } name)
        {
            user.DisplayName = FieldErrors.StoredDisplayName(name);
            changed.Add("display_name");
        }

        if (request.EmailConfirmed is { } confirmed && confirmed != user.EmailConfirmed)
        {
            user.EmailConfirmed = confirmed;
            changed.Add("email_confirmed");
        }

        if (changed.Count > 0)
        {
            IdentityResult saved;
            try
            {
                saved = await users.UpdateAsync(user);
            }
            catch (DbUpdateException)
            {
                return EmailTaken();
            }

            if (!saved.Succeeded)
            {
                return SaveProblem(saved);
            }
        }

        var banned = user.IsBannedAt(time.GetUtcNow());
        if (request.Status == UserStatuses.Banned && !banned)
        {
            await revocation.BanAsync(user.Id, new BanDetails(null, null, caller.ClientId, caller.ActorUserId, caller.IpAddress), caller.CancellationToken);
            changed.Add("status");
        }
        else if (request.Status == UserStatuses.Active && user.Status == UserStatus.Banned)
        {
            await revocation.UnbanAsync(user, caller.ClientId, caller.IpAddress, caller.ActorUserId);
            changed.Add("status");
        }

        if (changed.Count > 0)
        {
            audit.Record(AuditEventTypes.UserUpdated, user.Id, caller.ClientId, caller.IpAddress, string.Join(',', changed), caller.ActorUserId);
        }

        return TypedResults.Ok(await DescribeAsync(await users.FindByIdAsync(user.Id.ToString()) ?? user));
    }

    public Task DeleteAsync(GatehouseUser user, AdminCaller caller) =>
        deleteAccount.RemoveAsync(user, caller.ClientId, caller.IpAddress, caller.ActorUserId, caller.CancellationToken);

    private async Task<Dictionary<Guid, List<string>>> RolesOfAsync(IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken)
    {
        if (userIds.Count == 0)
        {
            return [];
        }

        var links = await db.UserRoles.AsNoTracking()
            .Where(link => userIds.Contains(link.UserId))
            .Join(db.Roles, link => link.RoleId, role => role.Id, (link, role) => new { link.UserId, role.Name })
            .ToListAsync(cancellationToken);
        return links.GroupBy(link => link.UserId)
            .ToDictionary(group => group.Key, group => group.Select(link => link.Name!).Order(StringComparer.Ordinal).ToList());
    }

    private static ProblemHttpResult EmailTaken() => AccountErrors.Field("email", "belongs to another user.", AccountErrors.EmailTaken);

    /// <summary>A refused save: a duplicate address (a race with another request) is a 409, anything else names the email field.</summary>
    private static ProblemHttpResult SaveProblem(IdentityResult result)
    {
        if (result.IsConcurrencyFailure())
        {
            return AccountErrors.ConcurrentChange.Problem();
        }

        var describer = new IdentityErrorDescriber();
        var duplicate = result.Errors.Any(e => e.Code is nameof(describer.DuplicateEmail) or nameof(describer.DuplicateUserName));
        var message = string.Join(" ", result.Errors.Select(e => e.Description));
        return duplicate
            ? EmailTaken()
            : AccountErrors.Field("email", message);
    }
}
