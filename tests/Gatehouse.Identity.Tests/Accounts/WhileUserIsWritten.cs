using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>
/// A user validator that, once armed, does something else to the database while a chosen user is being
/// validated: after Identity's own checks passed, before the user's row is written. It makes the races of
/// two requests writing at the same instant happen every time (another account taking the same address,
/// another request changing the same user), so what the database refuses is what the test sees.
/// </summary>
internal sealed class WhileUserIsWritten : IUserValidator<GatehouseUser>
{
    private Func<GatehouseUser, bool>? _when;
    private Func<Task>? _action;

    /// <summary>Whether the armed action has run.</summary>
    public bool Ran { get; private set; }

    /// <summary>Runs <paramref name="action"/> once, while the first user matching <paramref name="when"/> is validated.</summary>
    public void Arm(Func<GatehouseUser, bool> when, Func<Task> action)
    {
        _action = action;
        _when = when;
    }

    public async Task<IdentityResult> ValidateAsync(UserManager<GatehouseUser> manager, GatehouseUser user)
    {
        if (_when is { } when && when(user))
        {
            _when = null;
            await _action!();
            Ran = true;
        }

        return IdentityResult.Success;
    }

    /// <summary>A node of <paramref name="app"/> whose user writes go through <paramref name="race"/>.</summary>
    public static WebApplicationFactory<Program> Node(WebApplicationFactory<Program> app, WhileUserIsWritten race) =>
        app.WithWebHostBuilder(host => host.ConfigureTestServices(services => services.AddSingleton<IUserValidator<GatehouseUser>>(race)));

    /// <summary>Arms the race with <see cref="ChangeElsewhereAsync"/>: another request renames the user while it is written.</summary>
    public void ArmChangeElsewhere(WebApplicationFactory<Program> node, Guid userId) =>
        Arm(user => user.Id == userId, () => ChangeElsewhereAsync(node, userId));

    /// <summary>A new user signed in through the account API of <paramref name="node"/>, with that API.</summary>
    public static async Task<(AccountApi Api, GatehouseUser User, Pair Pair)> SignedInUserAsync(WebApplicationFactory<Program> node, string password)
    {
        var api = new AccountApi(node.CreateClient());
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(node, email, password);
        return (api, user, await api.SignInAsync(email, password));
    }

    /// <summary>
    /// Another request's change to the same user that ends no session: a new display name, which moves the
    /// row's concurrency stamp all the same.
    /// </summary>
    public static async Task ChangeElsewhereAsync(WebApplicationFactory<Program> app, Guid userId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = (await users.FindByIdAsync(userId.ToString()))!;
        user.DisplayName = "Renamed meanwhile";
        var result = await users.UpdateAsync(user);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(error => error.Description)));
        }
    }
}
