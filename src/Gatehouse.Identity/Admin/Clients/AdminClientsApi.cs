using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Identity.Admin.Clients;

/// <summary>
/// <c>/admin/clients</c>: list, read, register, replace and delete clients, and rotate a client's
/// secret. Clients defined in configuration are listed with <c>source: configuration</c> and answer
/// every change with 409, because configuration would overwrite it at the next start.
/// </summary>
public static class AdminClientsApi
{
    public static RouteGroupBuilder MapAdminClients(this RouteGroupBuilder clients)
    {
        clients.WithTags("Clients")
            .AddEndpointFilter((context, next) =>
            {
                context.HttpContext.Response.Headers.CacheControl = "no-store";
                return next(context);
            });

        clients.MapGet("/", ListAsync)
            .WithSummary("List clients in client-id order, filtered by type (public, confidential) or kind (spa, native, web, service); paged with page_token.")
            .WithDescription("Query parameters, all optional: type (public or confidential), kind (spa, native, web or service), "
                + $"page_size (1 to {AdminQuery.MaxPageSize}, default {AdminQuery.DefaultPageSize}), page_token (the next_page_token of the previous page).");
        clients.MapGet("/{clientId}", GetAsync).WithMetadata(new EntityTagged(HonoursIfMatch: false))
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Read one client's registration (never its secret).")
            .WithDescription("The ETag response header names this version of the registration; send it as If-Match with PUT or PATCH to change only this version.");
        clients.MapPost("/", CreateAsync).Accepts<ClientRequest>("application/json")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Register a client. A confidential client's secret is generated and returned this once.");
        clients.MapPut("/{clientId}", ReplaceAsync).Accepts<ClientRequest>("application/json").WithMetadata(new EntityTagged(HonoursIfMatch: true))
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .WithSummary("Replace a client's registration (its id, type and secret stay).")
            .WithDescription("Optional If-Match: the ETag of GET; 412 when the client changed since. The answer carries the new ETag.");
        clients.MapPatch("/{clientId}", PatchAsync).Accepts<ClientRequest>(ClientPatch.MediaType, "application/json")
            .WithMetadata(new EntityTagged(HonoursIfMatch: true))
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Change some members of a client's registration (JSON merge patch, RFC 7396).")
            .WithDescription("Members present replace the stored value, absent members keep it, null resets a member to its default "
                + "(client_id and type cannot change or be reset; grant_types has no default unless allow_accounts_api). "
                + "The result is checked as a whole registration, as with PUT. Optional If-Match: the ETag of GET; 412 when the "
                + "client changed since. The answer carries the new ETag.");
        clients.MapDelete("/{clientId}", DeleteAsync)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Delete a client with its authorizations and tokens.");
        clients.MapPost("/{clientId}/secret", RotateSecretAsync)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Give a confidential client a new secret, returned this once; the old one stops working at once.");
        return clients;
    }

    private static async Task<Results<Ok<ClientPage>, ProblemHttpResult>> ListAsync(HttpContext http, ClientDirectory directory)
    {
        var query = new AdminQuery(http.Request.Query);
        var type = query.Text("type");
        if (type is not null && type is not (ClientKinds.Public or ClientKinds.Confidential))
        {
            query.Fail("type", $"is '{type}'; use '{ClientKinds.Public}' or '{ClientKinds.Confidential}'.");
        }

        var kind = query.Text("kind");
        if (kind is not null && !ClientListKinds.All.Contains(kind))
        {
            query.Fail("kind", $"is '{kind}'; use one of {string.Join(", ", ClientListKinds.All)}.");
        }

        var pageSize = query.PageSize();
        string? after = null;
        if (query.Text("page_token") is { } token && (after = ClientPageToken.Read(token)) is null)
        {
            query.Fail("page_token", "is not a page token from this list.");
        }

        return query.Problem is { } problem
            ? problem
            : TypedResults.Ok(await directory.ListAsync(type, kind, after, pageSize, http.RequestAborted));
    }

    private static async Task<Results<Ok<ClientView>, ProblemHttpResult>> GetAsync(
        string clientId, ClientDirectory directory, HttpContext http) =>
        await directory.FindAsync(clientId, http.RequestAborted) is { } client
            ? Tagged(http, client)
            : ClientErrors.NotFound.Problem($"No client '{clientId}'.");

    private static async Task<Results<Created<ClientCreated>, ProblemHttpResult>> CreateAsync(
        JsonBody<ClientRequest> body, ClientDirectory directory, HttpContext http)
    {
        if (body.Problem is { } bad)
        {
            return bad;
        }

        var outcome = await directory.CreateAsync(body.Value!, AdminCaller.Of(http), http.RequestAborted);
        return outcome.Problem is { } problem
            ? problem
            : TypedResults.Created($"/admin/clients/{Uri.EscapeDataString(outcome.Value!.Client.ClientId)}", outcome.Value);
    }

    private static async Task<Results<Ok<ClientView>, ProblemHttpResult>> ReplaceAsync(
        string clientId, JsonBody<ClientRequest> body, ClientDirectory directory, HttpContext http)
    {
        if (body.Problem is { } bad)
        {
            return bad;
        }

        if (!TryReadIfMatch(http, out var ifMatch, out var badTag))
        {
            return badTag!;
        }

        var outcome = await directory.ReplaceAsync(clientId, body.Value!, ifMatch, AdminCaller.Of(http), http.RequestAborted);
        return outcome.Problem is { } problem ? problem : Tagged(http, outcome.Value!);
    }

    private static async Task<Results<Ok<ClientView>, ProblemHttpResult>> PatchAsync(
        string clientId, ClientPatch patch, ClientDirectory directory, HttpContext http)
    {
        if (patch.Problem is { } bad)
        {
            return bad;
        }

        if (!TryReadIfMatch(http, out var ifMatch, out var badTag))
        {
            return badTag!;
        }

        var outcome = await directory.PatchAsync(clientId, patch, ifMatch, AdminCaller.Of(http), http.RequestAborted);
        return outcome.Problem is { } problem ? problem : Tagged(http, outcome.Value!);
    }

    private static Ok<ClientView> Tagged(HttpContext http, ClientRead read)
    {
        http.Response.Headers.ETag = read.ETag;
        return TypedResults.Ok(read.Client);
    }

    /// <summary>The entity tags of <c>If-Match</c> (null when there is none), or a 400 when it is not a list of them.</summary>
    private static bool TryReadIfMatch(HttpContext http, out IReadOnlyList<EntityTagHeaderValue>? ifMatch, out ProblemHttpResult? problem)
    {
        ifMatch = null;
        problem = null;
        var values = http.Request.Headers.IfMatch;
        if (values.Count == 0)
        {
            return true;
        }

        if (EntityTagHeaderValue.TryParseStrictList(values, out var tags) && tags.Count > 0)
        {
            ifMatch = [.. tags];
            return true;
        }

        problem = AdminProblems.BadParameter("If-Match", "is not a list of entity tags; send the ETag of GET as it came, quotes included.");
        return false;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string clientId, ClientDirectory directory, HttpContext http) =>
        await directory.DeleteAsync(clientId, AdminCaller.Of(http), http.RequestAborted) is { } problem ? problem : TypedResults.NoContent();

    private static async Task<Results<Ok<ClientSecretIssued>, ProblemHttpResult>> RotateSecretAsync(
        string clientId, ClientDirectory directory, HttpContext http)
    {
        var outcome = await directory.RotateSecretAsync(clientId, AdminCaller.Of(http), http.RequestAborted);
        return outcome.Problem is { } problem ? problem : TypedResults.Ok(outcome.Value);
    }
}
