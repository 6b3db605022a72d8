using Gatehouse.Identity.Accounts;

namespace Gatehouse.Identity.Admin;

/// <summary>
/// Runs before every admin endpoint: answers are never cached, and a JSON body that failed to read or
/// check (<see cref="JsonBody{T}"/>: size, media type, unknown or mistyped members, bad fields) is
/// answered with its problem before the handler runs, so nothing is half written.
/// </summary>
public sealed class AdminBodyFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Response.Headers.CacheControl = "no-store";
        foreach (var argument in context.Arguments)
        {
            if (argument is IJsonBody { Problem: { } problem })
            {
                return problem;
            }
        }

        return await next(context);
    }
}
