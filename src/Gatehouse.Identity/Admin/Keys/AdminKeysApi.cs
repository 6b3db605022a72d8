using System.Text.Json.Serialization;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Admin.Keys;

/// <summary>A signing key as the admin API shows it: never its private material.</summary>
public sealed record SigningKeyView(
    [property: JsonPropertyName("kid")] string KeyId,
    [property: JsonPropertyName("algorithm")] string Algorithm,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("retired_at")] DateTimeOffset? RetiredAt,
    [property: JsonPropertyName("published_until")] DateTimeOffset? PublishedUntil,
    [property: JsonPropertyName("state")] string State);

public sealed record SigningKeyList([property: JsonPropertyName("keys")] IReadOnlyList<SigningKeyView> Keys);

/// <summary>
/// <c>active</c> signs new tokens; <c>published-only</c> was replaced but stays in the JWKS until the
/// tokens it signed have expired; <c>retired</c> is no longer published.
/// </summary>
public static class SigningKeyStates
{
    public const string Active = "active";
    public const string PublishedOnly = "published-only";
    public const string Retired = "retired";
}

/// <summary><c>/admin/keys</c>: the signing keys and their rotation.</summary>
public static class AdminKeysApi
{
    public static RouteGroupBuilder MapAdminKeys(this RouteGroupBuilder keys)
    {
        keys.WithTags("Signing keys");
        keys.MapGet("/", ListAsync).WithSummary("List the signing keys, newest first: kid, algorithm, dates and state.");
        keys.MapPost("/rotate", RotateAsync)
            .WithSummary("Make a new signing key the active one on every node; the old one stays published until its tokens have expired.");
        return keys;
    }

    private static async Task<Ok<SigningKeyList>> ListAsync(GatehouseDbContext db, ServerKeyRing ring, TimeProvider time, CancellationToken cancellationToken) =>
        TypedResults.Ok(new SigningKeyList(await ViewsAsync(db, ring, time, cancellationToken)));

    private static async Task<Created<SigningKeyView>> RotateAsync(
        GatehouseDbContext db, ServerKeyRing ring, ISigningKeyChanges changes, AuditLog audit, TimeProvider time, HttpContext http)
    {
        var cancellationToken = http.RequestAborted;
        var created = await ring.RotateSigningKeyAsync(db, cancellationToken);
        await changes.PublishAsync(cancellationToken);
        var caller = AdminCaller.Of(http);
        audit.Record(AuditEventTypes.SigningKeyRotated, null, caller.ClientId, caller.IpAddress, "signing_key:" + created.Id, caller.ActorUserId);
        var view = (await ViewsAsync(db, ring, time, cancellationToken)).First(key => key.KeyId == created.Id);
        return TypedResults.Created($"/admin/keys#{created.Id}", view);
    }

    private static async Task<List<SigningKeyView>> ViewsAsync(GatehouseDbContext db, ServerKeyRing ring, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var keys = await db.ServerKeys.AsNoTracking()
            .Where(key => key.Use == ServerKeyUse.Signing)
            .Select(key => new { key.Id, key.Algorithm, key.CreatedAt, key.RetiredAt })
            .ToListAsync(cancellationToken);
        return
        [
            .. keys.OrderByDescending(key => key.CreatedAt).Select(key =>
            {
                DateTime? until = key.RetiredAt is { } retired ? ring.PublishedUntil(retired) : null;
                var state = key.RetiredAt is null ? SigningKeyStates.Active
                    : until > now ? SigningKeyStates.PublishedOnly
                    : SigningKeyStates.Retired;
                return new SigningKeyView(key.Id, key.Algorithm, Utc(key.CreatedAt), key.RetiredAt is { } at ? Utc(at) : null,
                    until is { } end ? Utc(end) : null, state);
            }),
        ];
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
