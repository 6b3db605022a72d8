using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

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
        var error = AccountErrors.ServiceBusy;
        httpContext.Response.StatusCode = error.Status;
        httpContext.Response.Headers.RetryAfter = "1";
        var problem = new ProblemDetails
        {
            Status = error.Status,
            Title = error.Title,
            Type = AccountErrors.TypePrefix + error.Code,
            Extensions = { ["code"] = error.Code },
        };
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception }))
        {
            await httpContext.Response.WriteAsync(error.Title, cancellationToken);
        }

        return true;
    }

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning, Message = "Answered {Path} with 503: every password hashing slot is busy")]
    private static partial void LogBusy(ILogger logger, string path);
}
