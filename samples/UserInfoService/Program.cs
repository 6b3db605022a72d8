using Gatehouse.ServiceDefaults;

namespace Gatehouse.Samples.UserInfo;

/// <summary>
/// The user-info service: public profiles (display name, avatar) by user id, kept in its own
/// database from the identity service's user feed. Tokens are checked by the resource-server kit.
/// </summary>
public static class UserInfoProgram
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddUserInfoService();

        var app = builder.Build();
        await app.UseUserInfoServiceAsync();
        await app.RunAsync();
    }
}
