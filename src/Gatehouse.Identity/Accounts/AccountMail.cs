using Gatehouse.Identity.Email;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Sends account email off the request path: the answer to sign-up or reset must not take longer when
/// a message is sent than when none is (which would tell who has an account), and a slow SMTP server
/// must not hold requests. Failures are logged.
/// </summary>
public sealed partial class AccountMail(IServiceScopeFactory scopes, ILogger<AccountMail> logger)
{
    public void Send(string what, Func<IAccountMailer, Task> send)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await send(scope.ServiceProvider.GetRequiredService<IAccountMailer>());
            }
            catch (Exception exception)
            {
                LogSendFailed(logger, what, exception);
            }
        });
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Error, Message = "Could not send the {What} email")]
    private static partial void LogSendFailed(ILogger logger, string what, Exception exception);
}
