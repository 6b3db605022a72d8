using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.ResourceServer.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.ResourceServer.Permissions;

/// <summary>
/// A ready-made management API for the service's permissions, usable only with the
/// <c>permissions:admin</c> scope. Tuples travel in their canonical form (<c>image:42#write@user:7</c>).
/// </summary>
public static class PermissionsApi
{
    /// <summary>Largest request body accepted.</summary>
    public const int MaxBodyBytes = 4 * 1024;

    /// <summary>
    /// Maps, under <paramref name="prefix"/>: <c>GET check</c>, <c>GET objects</c>, <c>GET tuples</c>,
    /// <c>POST tuples</c> (grant) and <c>DELETE tuples</c> (revoke).
    /// </summary>
    public static RouteGroupBuilder MapPermissionsApi(this IEndpointRouteBuilder app, string prefix = "/permissions")
    {
        var group = app.MapGroup(prefix).RequireScope(GatehouseResourceServerDefaults.PermissionsAdminScope);
        group.MapGet("/check", CheckAsync);
        group.MapGet("/objects", ListObjectsAsync);
        group.MapGet("/tuples", ListTuplesAsync);
        group.MapPost("/tuples", GrantAsync);
        group.MapDelete("/tuples", RevokeAsync);
        return group;
    }

    /// <summary><c>GET check?user=7&amp;relation=write&amp;object=image:42</c>: whether the user has the relation.</summary>
    public static async Task<Results<Ok<CheckResponse>, ProblemHttpResult>> CheckAsync(HttpRequest request, IObjectPermissions permissions)
    {
        if (Single(request, "user", out var user) is { } p1) return p1;
        if (Single(request, "relation", out var relation) is { } p2) return p2;
        if (Single(request, "object", out var target) is { } p3) return p3;
        if (!RelationTuple.IsId(user) || !RelationTuple.IsName(relation) || !TrySplitObject(target, out var type, out var id))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_parameter", "Send user (an id), relation (a name) and object ('type:id').");
        }

        return TypedResults.Ok(new CheckResponse(await permissions.CheckAsync(user!, relation!, type, id, request.HttpContext.RequestAborted)));
    }

    /// <summary><c>GET objects?user=7&amp;relation=read&amp;type=image</c>: the objects the user may reach.</summary>
    public static async Task<Results<Ok<ObjectsResponse>, ProblemHttpResult>> ListObjectsAsync(HttpRequest request, IObjectPermissions permissions)
    {
        if (Single(request, "user", out var user) is { } p1) return p1;
        if (Single(request, "relation", out var relation) is { } p2) return p2;
        if (Single(request, "type", out var type) is { } p3) return p3;
        if (!RelationTuple.IsId(user) || !RelationTuple.IsName(relation) || !RelationTuple.IsName(type))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_parameter", "Send user (an id), relation and type (names).");
        }

        return TypedResults.Ok(new ObjectsResponse(await permissions.ListObjectsAsync(user!, relation!, type!, 1000, request.HttpContext.RequestAborted)));
    }

    /// <summary><c>GET tuples?object=image:42&amp;subject=user:7&amp;after=ID&amp;limit=100</c>: stored tuples, a page at a time.</summary>
    public static async Task<Results<Ok<TuplesResponse>, ProblemHttpResult>> ListTuplesAsync(HttpRequest request, IObjectPermissions permissions)
    {
        if (Single(request, "object", out var target) is { } p1) return p1;
        if (Single(request, "subject", out var subjectText) is { } p2) return p2;
        if (Single(request, "after", out var afterText) is { } p3) return p3;
        if (Single(request, "limit", out var limitText) is { } p4) return p4;

        string? type = null, id = null;
        if (target is not null && !TrySplitObject(target, out type, out id) && !RelationTuple.IsName(type = target))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_parameter", "'object' is 'type' or 'type:id'.");
        }

        PermissionSubject? subject = null;
        if (subjectText is not null)
        {
            if (!RelationTuple.TryParse("x:x#x@" + subjectText, out var probe, out _))
            {
                return Problem(StatusCodes.Status400BadRequest, "invalid_parameter", "'subject' is 'user:id' or 'group:id#member'.");
            }

            subject = probe.Subject;
        }

        long after = 0;
        var limit = 100;
        if ((afterText is not null && !long.TryParse(afterText, out after)) || (limitText is not null && (!int.TryParse(limitText, out limit) || limit is < 1 or > 1000)))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_parameter", "'after' is a row id from a previous page; 'limit' is between 1 and 1000.");
        }

        var rows = await permissions.ListTuplesAsync(type, id, subject, after, limit, request.HttpContext.RequestAborted);
        return TypedResults.Ok(new TuplesResponse([.. rows.Select(row => row.Tuple.ToString())], rows.Count == limit ? rows[^1].Id : null));
    }

    /// <summary><c>POST tuples</c> with <c>{"tuple":"image:42#write@user:7"}</c>: grants it (201, or 200 when it existed).</summary>
    public static async Task<Results<Created<TupleResponse>, Ok<TupleResponse>, ProblemHttpResult>> GrantAsync(HttpRequest request, IObjectPermissions permissions)
    {
        var (tuple, problem) = await ReadTupleAsync(request);
        if (problem is not null)
        {
            return problem;
        }

        var created = await permissions.GrantAsync(tuple, request.HttpContext.RequestAborted);
        var body = new TupleResponse(tuple.ToString());
        return created ? TypedResults.Created((string?)null, body) : TypedResults.Ok(body);
    }

    /// <summary><c>DELETE tuples?tuple=image:42%23write%40user:7</c>: revokes it (204, or 404 when it was not granted).</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(HttpRequest request, IObjectPermissions permissions)
    {
        if (Single(request, "tuple", out var text) is { } duplicate)
        {
            return duplicate;
        }

        if (!RelationTuple.TryParse(text, out var tuple, out var reason))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_tuple", reason);
        }

        return await permissions.RevokeAsync(tuple, request.HttpContext.RequestAborted)
            ? TypedResults.NoContent()
            : Problem(StatusCodes.Status404NotFound, "not_found", $"'{tuple}' is not granted.");
    }

    private static async Task<(RelationTuple Tuple, ProblemHttpResult? Problem)> ReadTupleAsync(HttpRequest request)
    {
        if (!request.HasJsonContentType())
        {
            return (default, Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Send the tuple as application/json: {\"tuple\":\"image:42#write@user:7\"}."));
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (default, Problem(StatusCodes.Status413PayloadTooLarge, "body_too_large", $"The body may be at most {MaxBodyBytes} bytes."));
        }

        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
        {
            length += read;
        }

        if (length > MaxBodyBytes)
        {
            return (default, Problem(StatusCodes.Status413PayloadTooLarge, "body_too_large", $"The body may be at most {MaxBodyBytes} bytes."));
        }

        TupleRequest? body;
        try
        {
            body = JsonSerializer.Deserialize(buffer.AsSpan(0, length), PermissionsJson.Default.TupleRequest);
        }
        catch (JsonException)
        {
            return (default, Problem(StatusCodes.Status400BadRequest, "invalid_json", "The body is not a JSON object {\"tuple\":\"…\"}."));
        }

        if (!RelationTuple.TryParse(body?.Tuple, out var tuple, out var reason))
        {
            return (default, Problem(StatusCodes.Status400BadRequest, "invalid_tuple", reason));
        }

        return (tuple, null);
    }

    private static ProblemHttpResult? Single(HttpRequest request, string name, out string? value)
    {
        var values = request.Query[name];
        value = values.Count == 1 && values[0] is { Length: > 0 } single ? single : null;
        return values.Count > 1
            ? Problem(StatusCodes.Status400BadRequest, "duplicate_parameter", $"'{name}' was sent more than once.")
            : null;
    }

    private static bool TrySplitObject(string? target, out string type, out string id)
    {
        var colon = target?.IndexOf(':') ?? -1;
        type = colon > 0 ? target![..colon] : "";
        id = colon > 0 ? target![(colon + 1)..] : "";
        return RelationTuple.IsName(type) && RelationTuple.IsId(id);
    }

    private static ProblemHttpResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(
            statusCode: status,
            detail: detail,
            type: GatehouseResourceServerDefaults.ProblemTypePrefix + code,
            extensions: new Dictionary<string, object?> { ["code"] = code });

    /// <summary>Answer of <c>GET check</c>.</summary>
    /// <param name="Allowed">Whether the user has the relation.</param>
    public sealed record CheckResponse(bool Allowed);

    /// <summary>Answer of <c>GET objects</c>.</summary>
    /// <param name="Objects">Object ids, in order.</param>
    public sealed record ObjectsResponse(IReadOnlyList<string> Objects);

    /// <summary>Answer of <c>GET tuples</c>.</summary>
    /// <param name="Tuples">Tuples in canonical form.</param>
    /// <param name="Next">Send as <c>after</c> for the next page; null on the last page.</param>
    public sealed record TuplesResponse(IReadOnlyList<string> Tuples, long? Next);

    /// <summary>Body of <c>POST tuples</c>.</summary>
    /// <param name="Tuple">The tuple in canonical form.</param>
    public sealed record TupleRequest(string? Tuple);

    /// <summary>Answer of <c>POST tuples</c>.</summary>
    /// <param name="Tuple">The tuple in canonical form.</param>
    public sealed record TupleResponse(string Tuple);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PermissionsApi.TupleRequest))]
internal sealed partial class PermissionsJson : JsonSerializerContext;
