using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Diagnostics;

namespace Gatehouse.Identity.Passwords;

/// <summary>
/// Turns <see cref="PasswordHasherBusyException"/>, from whichever endpoint hashed a password, into a
/// 503 problem with <c>Retry-After</c>: the service is overloaded, the caller did nothing wrong.
/// </summary>
internal sealed partial class PasswordHasherBusyHandler(IProblemDetailsService problems, ILogger<PasswordHasherBusyHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not PasswordHasherBusyException)
        {
            return false;
        }

        LogBusy(logger, httpContext.Request.Path);
        httpContext.Response.Headers.RetryAfter = "1";
        await AccountErrors.ServiceBusy.WriteAsync(problems, httpContext, exception);
        return true;
    }

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning, Message = "Answered {Path} with 503: every password hashing slot is busy")]
    private static partial void LogBusy(ILogger logger, string path);
}
