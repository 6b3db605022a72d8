using System.Globalization;
using System.Text.Json.Serialization;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Admin.Audit;

public sealed record AdminAuditEvent(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("occurred_at")] DateTimeOffset OccurredAt,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("user_id")] Guid? UserId,
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("actor_user_id")] Guid? ActorUserId,
    [property: JsonPropertyName("ip_address")] string? IpAddress,
    [property: JsonPropertyName("reason")] string? Reason)
{
    public static AdminAuditEvent From(AuditEvent e) => new(
        e.Id, new DateTimeOffset(DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc)), e.Type, e.UserId, e.ClientId, e.ActorUserId, e.IpAddress, e.Reason);
}

public sealed record AuditPage(
    [property: JsonPropertyName("events")] IReadOnlyList<AdminAuditEvent> Events,
    [property: JsonPropertyName("next_page_token")] string? NextPageToken);

/// <summary>
/// <c>GET /admin/audit</c>: the audit log, newest first, filtered by <c>user_id</c>, <c>client_id</c>,
/// <c>type</c> and the time range <c>since</c> (inclusive) to <c>until</c> (exclusive); paged with
/// <c>page_size</c> and <c>page_token</c>.
/// </summary>
public static class AdminAuditApi
{
    public static RouteGroupBuilder MapAdminAudit(this RouteGroupBuilder audit)
    {
        audit.WithTags("Audit").AddEndpointFilter<AdminBodyFilter>();
        audit.MapGet("/", QueryAsync).WithSummary("Audit events, newest first, filtered by user, client, type and time range.")
            .WithDescription("Query parameters, all optional: user_id, client_id, type (for example account.banned), "
                + "since (inclusive) and until (exclusive) as ISO 8601 times, page_size (1 to 200, default 50), "
                + "page_token (the next_page_token of the previous page).");
        return audit;
    }

    private static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> QueryAsync(HttpContext http, AuditLog log)
    {
        var query = new AdminQuery(http.Request.Query);
        var userId = query.Guid("user_id", "is not a user id.");
        var clientId = query.Text("client_id");
        var type = query.Text("type");
        var since = query.Time("since");
        var until = query.Time("until");
        var before = query.PositiveLong("page_token", "is not a page token from this list.");
        var size = query.PageSize();
        if (since is { } from && until is { } to && from >= to)
        {
            query.Fail("until", "must be later than since.");
        }

        if (query.Problem is { } problem)
        {
            return problem;
        }

        var events = await log.QueryAsync(new AuditQuery(userId, type, since, size + 1, clientId, until, before), http.RequestAborted);
        var more = events.Count > size;
        var page = events.Take(size).Select(AdminAuditEvent.From).ToList();
        return TypedResults.Ok(new AuditPage(page, more ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null));
    }
}
