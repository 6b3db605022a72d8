using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Identity.Problems;

/// <summary>
/// RFC 9457 problem details as every API of the identity service writes them: <c>type</c> is
/// <see cref="TypePrefix"/> followed by a stable code, which is repeated in a <c>code</c> member for
/// clients that branch on it. The account and admin APIs name their codes in catalogs
/// (<c>AccountErrors</c>, <c>AdminProblems</c>); the feeds and routing use this directly.
/// </summary>
public static class ProblemResponses
{
    /// <summary>The one prefix of problem types, shared with the resource-server kit.</summary>
    public const string TypePrefix = "urn:gatehouse:problem:";

    public static ProblemHttpResult Problem(int status, string code, string? title, string? detail, IDictionary<string, string[]>? fields = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (fields is { Count: > 0 })
        {
            extensions["errors"] = fields;
        }

        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + code, extensions: extensions);
    }

    /// <summary>
    /// Gives answers the framework writes itself (routing's 404, 405 and 415, a 400 from binding, an
    /// unhandled exception's 500) the same <c>type</c> and a <c>code</c>, unless they carry one.
    /// </summary>
    public static void AddCode(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var code = (problem.Status ?? context.HttpContext.Response.StatusCode) switch
        {
            StatusCodes.Status400BadRequest => "invalid_request",
            StatusCodes.Status401Unauthorized => "unauthorized",
            StatusCodes.Status403Forbidden => "forbidden",
            StatusCodes.Status404NotFound => "not_found",
            StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
            StatusCodes.Status406NotAcceptable => "not_acceptable",
            StatusCodes.Status413PayloadTooLarge => "payload_too_large",
            StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
            StatusCodes.Status429TooManyRequests => "too_many_requests",
            >= 500 => "server_error",
            _ => "http_" + (problem.Status ?? context.HttpContext.Response.StatusCode),
        };
        problem.Extensions["code"] = code;
        problem.Type = TypePrefix + code;
    }
}
