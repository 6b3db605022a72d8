using Gatehouse.Identity.Tests.Accounts;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// A node whose user writes can be raced (see <see cref="WhileUserIsWritten"/>), its users-admin API and
/// account API, and a new user created on it, for the admin API's racing-write tests.
/// </summary>
internal sealed record RacingAdminNode(
    WebApplicationFactory<Program> Node, WhileUserIsWritten Race, AdminApi Admin, AccountApi Accounts, string Email, Guid UserId) : IAsyncDisposable
{
    public static async Task<RacingAdminNode> StartAsync(WebApplicationFactory<Program> app, string password)
    {
        var race = new WhileUserIsWritten();
        var node = WhileUserIsWritten.Node(app, race);
        var admin = new AdminApi(node.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);
        var email = AccountApi.NewEmail();
        return new RacingAdminNode(node, race, admin, new AccountApi(node.CreateClient()), email, await admin.CreateUserAsync(email, password));
    }

    public ValueTask DisposeAsync() => Node.DisposeAsync();
}
