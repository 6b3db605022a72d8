using System.Text.Json;
using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Stands in front of the OAuth endpoints and turns hostile input into OAuth error responses before
/// OpenIddict sees it: bodies over the size limit (413), bodies that cannot be parsed as a form,
/// parameters sent more than once (RFC 6749 §3.1: "MUST NOT be included more than once") and
/// values carrying NUL characters.
/// </summary>
public sealed class ProtocolRequestGuard(RequestDelegate next, IOptions<GatehouseOptions> options)
{
    public static readonly PathString ProtocolPrefix = "/connect";

    // RFC 8707 and RFC 8693 define these as repeatable.
    private static readonly HashSet<string> RepeatableParameters = new(StringComparer.Ordinal)
    {
        Parameters.Resource,
        Parameters.Audience,
    };

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(ProtocolPrefix))
        {
            await next(context);
            return;
        }

        var limit = options.Value.Requests.MaxProtocolBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {limit} bytes.");
            return;
        }

        if (Duplicate(context.Request.Query) is { } repeatedInQuery)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"The '{repeatedInQuery}' parameter was sent more than once.");
            return;
        }

        if (WithNul(context.Request.Query) is { } nulInQuery)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"The '{nulInQuery}' parameter contains a NUL character.");
            return;
        }

        if (HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType)
        {
            // Chunked bodies carry no length: buffer with a hard limit instead.
            context.Request.EnableBuffering(bufferThreshold: (int)Math.Min(limit, 64 * 1024), bufferLimit: limit);
            IFormCollection form;
            try
            {
                form = await context.Request.ReadFormAsync(context.RequestAborted);
            }
            catch (IOException) when (!context.RequestAborted.IsCancellationRequested)
            {
                await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {limit} bytes.");
                return;
            }
            catch (Exception exception) when (exception is InvalidDataException or BadHttpRequestException or FormatException)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "The request body is not a valid form: " + exception.Message);
                return;
            }

            if (Duplicate(form) is { } repeatedInForm)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"The '{repeatedInForm}' parameter was sent more than once.");
                return;
            }

            if (WithNul(form) is { } nulInForm)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"The '{nulInForm}' parameter contains a NUL character.");
                return;
            }

            context.Request.Body.Position = 0;
        }

        await next(context);
    }

    private static string? Duplicate(IEnumerable<KeyValuePair<string, StringValues>> parameters) =>
        parameters.FirstOrDefault(parameter => parameter.Value.Count > 1 && !RepeatableParameters.Contains(parameter.Key)).Key;

    // No protocol value may hold NUL: PostgreSQL text cannot store it, and no legitimate client sends it.
    private static string? WithNul(IEnumerable<KeyValuePair<string, StringValues>> parameters) =>
        parameters.FirstOrDefault(parameter => parameter.Key.Contains('\0')
            || parameter.Value.Any(value => value?.Contains('\0') == true)).Key is { } name
            ? name.Replace("\0", "\\0", StringComparison.Ordinal)
            : null;

    private static async Task WriteErrorAsync(HttpContext context, int status, string description)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;charset=UTF-8";
        context.Response.Headers.CacheControl = "no-store";
        await JsonSerializer.SerializeAsync(context.Response.Body, new Dictionary<string, string>
        {
            [Parameters.Error] = Errors.InvalidRequest,
            [Parameters.ErrorDescription] = description,
        }, cancellationToken: context.RequestAborted);
    }
}
