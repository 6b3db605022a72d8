using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Bootstrap;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Revocation;
using Gatehouse.Identity.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Net.Http.Headers;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;

namespace Gatehouse.Identity.Admin.Clients;

/// <summary>The opaque page token of the client list: the last client id of the page, base64url-encoded.</summary>
public static class ClientPageToken
{
    public static string Of(string clientId) => Base64UrlEncoder.Encode(clientId);

    /// <summary>The client id a token stands for, or null when it is not a token of this list.</summary>
    public static string? Read(string token)
    {
        try
        {
            var clientId = Base64UrlEncoder.Decode(token);
            return ClientRules.IsClientId(clientId) ? clientId : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}

/// <summary>
/// The entity tag of a stored client: OpenIddict's concurrency token, which its store replaces on every
/// update (any node's), so a tag read before another change no longer matches.
/// </summary>
public static class ClientETag
{
    public static string Of(object application) =>
        '"' + ((OpenIddictEntityFrameworkCoreApplication)application).ConcurrencyToken + '"';

    /// <summary>Whether an <c>If-Match</c> list (null: no header) admits <paramref name="etag"/>; weak tags never match (RFC 9110 §13.1.1).</summary>
    public static bool Admits(IReadOnlyList<EntityTagHeaderValue>? ifMatch, string etag) =>
        ifMatch is null || ifMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || (!tag.IsWeak && tag.Tag.Equals(etag, StringComparison.Ordinal)));
}

/// <summary>A result or the problem that stands in its way.</summary>
public readonly record struct AdminOutcome<T>(T? Value, ProblemHttpResult? Problem)
{
    public static implicit operator AdminOutcome<T>(T value) => new(value, null);

    public static implicit operator AdminOutcome<T>(ProblemHttpResult problem) => new(default, problem);
}

/// <summary>
/// Clients managed through the admin API. Every registration passes <see cref="ClientRules"/> and is
/// turned into OpenIddict's descriptor by <see cref="ClientRegistration.ToDescriptor"/>, exactly as
/// configured clients are, and is written through OpenIddict's application manager, which empties the
/// client caches on every node. Clients defined in configuration are listed but read-only here.
/// </summary>
public sealed class ClientDirectory(
    IOpenIddictApplicationManager applications,
    GatehouseDbContext db,
    IServiceScopeFactory scopes,
    Tokens.RefreshTokenFamilies families,
    SessionRevocations sessions,
    IAccessTokenDenylist denylist,
    AuditLog audit,
    IOptions<GatehouseOptions> options,
    IOptionsMonitor<OpenIddictServerOptions> server,
    TimeProvider time)
{
    /// <summary>Why the sessions of a deleted client are revoked, as the feed says it.</summary>
    public const string ClientDeletedReason = "client_deleted";

    /// <summary>Random bytes in a generated secret (base64url: 43 characters).</summary>
    public const int SecretBytes = 32;

    /// <summary>
    /// Clients after <paramref name="after"/> (a client id, exclusive) in client-id order, filtered. The rows
    /// are read in client-id order (byte order, as the page token compares) in batches of one page and one
    /// more (at least <see cref="KindBatchSize"/> with a kind filter), the type filter in the query; the kind,
    /// derived from the whole registration, is judged per row, and reading stops as soon as the page is full
    /// and one more client is known to follow.
    /// </summary>
    public async Task<ClientPage> ListAsync(string? type, string? kind, string? after, int pageSize, CancellationToken cancellationToken)
    {
        if (type is not null && KindType(kind) is { } kindType && kindType != type)
        {
            return new ClientPage([], null); // no spa or native client is confidential, no web or service client public
        }

        var rows = db.Set<OpenIddictEntityFrameworkCoreApplication>().AsNoTracking();
        var clientType = (type ?? KindType(kind)) switch
        {
            ClientKinds.Public => OpenIddictConstants.ClientTypes.Public,
            ClientKinds.Confidential => OpenIddictConstants.ClientTypes.Confidential,
            _ => null,
        };
        if (clientType is not null)
        {
            rows = rows.Where(application => application.ClientType == clientType);
        }

        var collation = db.Database.IsNpgsql() ? PostgreSqlGatehouseDbContext.ClientIdPagingCollation : "BINARY";
        var page = new List<ClientView>(pageSize);
        var cursor = after;
        // Without a kind filter a batch is exactly what the page needs; with one, batches are larger so that a
        // rare kind takes fewer round trips (each still one ordered, limited query).
        var batchSize = kind is null ? pageSize + 1 : Math.Max(pageSize + 1, KindBatchSize);
        while (true)
        {
            var batch = await (cursor is null
                    ? rows
                    : rows.Where(application => string.Compare(EF.Functions.Collate(application.ClientId!, collation), cursor) > 0))
                .OrderBy(application => EF.Functions.Collate(application.ClientId!, collation))
                .Take(batchSize)
                .ToListAsync(cancellationToken);
            foreach (var application in batch)
            {
                var view = await ViewAsync(application, cancellationToken);
                if (kind is not null && view.Kind != kind)
                {
                    continue;
                }

                if (page.Count == pageSize)
                {
                    return new ClientPage(page, ClientPageToken.Of(page[^1].ClientId));
                }

                page.Add(view);
            }

            if (batch.Count < batchSize)
            {
                return new ClientPage(page, null);
            }

            cursor = batch[^1].ClientId;
        }
    }

    /// <summary>Rows read at least per query when the list is filtered by kind.</summary>
    public const int KindBatchSize = 50;

    /// <summary>The type every client of a kind has.</summary>
    private static string? KindType(string? kind) => kind switch
    {
        ClientListKinds.Spa or ClientListKinds.Native => ClientKinds.Public,
        ClientListKinds.Web or ClientListKinds.Service => ClientKinds.Confidential,
        _ => null,
    };

    public async Task<ClientRead?> FindAsync(string clientId, CancellationToken cancellationToken) =>
        await FindApplicationAsync(clientId, cancellationToken) is { } application
            ? new ClientRead(await ViewAsync(application, cancellationToken), ClientETag.Of(application))
            : null;

    public async Task<AdminOutcome<ClientCreated>> CreateAsync(ClientRequest request, AdminCaller caller, CancellationToken cancellationToken)
    {
        if (request.ClientId is not { } clientId)
        {
            return AccountErrors.Field("client_id", "is required.");
        }

        var secret = request.Type == ClientKinds.Confidential ? NewSecret() : null;
        var client = request.ToOptions(secret);
        if (Refuse(clientId, client, caller) is { } refused)
        {
            return refused;
        }

        if (await applications.FindByClientIdAsync(clientId, cancellationToken) is not null)
        {
            return ClientErrors.Exists.Problem($"The client id '{clientId}' is taken.");
        }

        var descriptor = Describe(clientId, client);
        try
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
        catch (Exception exception) when (exception is OpenIddictExceptions.ValidationException or Microsoft.EntityFrameworkCore.DbUpdateException)
        {
            // Created by a concurrent request between the check and the insert (anything else is a bug).
            if (await applications.FindByClientIdAsync(clientId, cancellationToken) is null)
            {
                throw;
            }

            return ClientErrors.Exists.Problem($"The client id '{clientId}' is taken.");
        }

        Record(AuditEventTypes.ClientCreated, clientId, caller);
        return new ClientCreated(View(clientId, descriptor), secret);
    }

    /// <summary>Replaces a client's registration (not its id, type or secret), if it is still the version <paramref name="ifMatch"/> names.</summary>
    public async Task<AdminOutcome<ClientRead>> ReplaceAsync(
        string clientId, ClientRequest request, IReadOnlyList<EntityTagHeaderValue>? ifMatch, AdminCaller caller, CancellationToken cancellationToken)
    {
        if (request.ClientId is { } named && named != clientId)
        {
            return AccountErrors.Field("client_id", $"is '{named}' but the address names '{clientId}'; a client id cannot change.");
        }

        return await ChangeAsync(clientId, ifMatch, _ => request, caller, cancellationToken);
    }

    /// <summary>Applies a merge patch to a client's registration, if it is still the version <paramref name="ifMatch"/> names.</summary>
    public Task<AdminOutcome<ClientRead>> PatchAsync(
        string clientId, ClientPatch patch, IReadOnlyList<EntityTagHeaderValue>? ifMatch, AdminCaller caller, CancellationToken cancellationToken) =>
        ChangeAsync(clientId, ifMatch, current => patch.ApplyTo(clientId, ClientRequest.From(current)), caller, cancellationToken);

    /// <summary>
    /// Writes the registration <paramref name="change"/> makes of the current one, after the same rules as a
    /// new client; nothing is written unless every rule holds, the stored version is the one expected and
    /// the registration would actually change.
    /// </summary>
    private async Task<AdminOutcome<ClientRead>> ChangeAsync(
        string clientId, IReadOnlyList<EntityTagHeaderValue>? ifMatch, Func<ClientView, AdminOutcome<ClientRequest>> change,
        AdminCaller caller, CancellationToken cancellationToken)
    {
        var (application, current, problem) = await ManagedAsync(clientId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!ClientETag.Admits(ifMatch, ClientETag.Of(application!)))
        {
            return ClientErrors.Changed.Problem($"'{clientId}' is no longer the version named in If-Match; its tag is now {ClientETag.Of(application!)}.");
        }

        var changed = change(View(clientId, current!));
        if (changed.Problem is { } invalid)
        {
            return invalid;
        }

        var request = changed.Value!;
        var currentType = current!.ClientType == OpenIddictConstants.ClientTypes.Public ? ClientKinds.Public : ClientKinds.Confidential;
        if (request.Type != currentType)
        {
            return AccountErrors.Field("type", $"is '{request.Type}' but the client is '{currentType}'; the type cannot change, register a new client.");
        }

        var client = request.ToOptions(secret: null);
        if (Refuse(clientId, client, caller) is { } refused)
        {
            return refused;
        }

        var descriptor = Describe(clientId, client);
        if (current.SameAs(descriptor))
        {
            // Nothing would change: no write, so the tag stays and no change is recorded.
            return new ClientRead(View(clientId, current), ClientETag.Of(application!));
        }

        descriptor.ClientSecret = current.ClientSecret; // the stored hash: the secret stays as it is
        try
        {
            await applications.UpdateAsync(application!, descriptor, cancellationToken);
        }
        catch (OpenIddictExceptions.ConcurrencyException)
        {
            // Another request (on any node) changed it between the read above and this write.
            return (ifMatch is null ? ClientErrors.ChangedMeanwhile : ClientErrors.Changed)
                .Problem($"'{clientId}' was changed by another request at the same time; read it again.");
        }

        Record(AuditEventTypes.ClientUpdated, clientId, caller);
        return new ClientRead(View(clientId, descriptor), ClientETag.Of(application!));
    }

    /// <summary>
    /// Deletes the client with its authorizations and stored tokens (refresh, reference and codes), and
    /// refuses every access token issued to it, as a service (subject = client id) or for a user (the
    /// sign-in's sid), from now on, here and, through the revocation feed, at every resource server.
    /// </summary>
    public async Task<ProblemHttpResult?> DeleteAsync(string clientId, AdminCaller caller, CancellationToken cancellationToken)
    {
        var (application, _, problem) = await ManagedAsync(clientId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        // The client's sign-ins, noted before OpenIddict's store deletes its authorizations and tokens
        // with it (in one transaction): their access tokens carry the authorization id as sid.
        var signIns = await AuthorizationIdsAsync(application!, cancellationToken);

        await applications.DeleteAsync(application!, cancellationToken);
        var cutoff = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds() + 1);
        await denylist.RevokeSubjectAsync(clientId, cutoff, cancellationToken);

        // Access tokens the client obtained for users are refused by resource servers too: every code-flow
        // sign-in and every account-API session (refresh-token family) of the client goes on the feed.
        foreach (var id in signIns)
        {
            await sessions.PublishAsync(id, ClientDeletedReason, cancellationToken);
        }

        await families.RevokeClientAsync(clientId, ClientDeletedReason, cancellationToken);
        Record(AuditEventTypes.ClientDeleted, clientId, caller);
        return null;
    }

    /// <summary>
    /// The ids of the client's authorizations, read through a scope of their own: entities tracked by this
    /// request's context would make the store's cascading delete fail as a concurrency conflict.
    /// </summary>
    private async Task<List<string>> AuthorizationIdsAsync(object application, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        if (await applications.GetIdAsync(application, cancellationToken) is not { Length: > 0 } applicationId)
        {
            return ids;
        }

        await using var scope = scopes.CreateAsyncScope();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        await foreach (var authorization in authorizations.FindByApplicationIdAsync(applicationId, cancellationToken))
        {
            if (await authorizations.GetIdAsync(authorization, cancellationToken) is { Length: > 0 } id)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>Gives a confidential client a new random secret; the old one stops working at once on every node.</summary>
    public async Task<AdminOutcome<ClientSecretIssued>> RotateSecretAsync(string clientId, AdminCaller caller, CancellationToken cancellationToken)
    {
        var (application, current, problem) = await ManagedAsync(clientId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (current!.ClientType == OpenIddictConstants.ClientTypes.Public)
        {
            return ClientErrors.PublicClient.Problem($"'{clientId}' is a public client; it authenticates without a secret.");
        }

        var secret = NewSecret();
        current.ClientSecret = secret;
        await applications.UpdateAsync(application!, current, cancellationToken);
        Record(AuditEventTypes.ClientSecretRotated, clientId, caller);
        return new ClientSecretIssued(clientId, secret);
    }

    private ProblemHttpResult? Refuse(string clientId, ClientOptions client, AdminCaller caller)
    {
        var settings = options.Value;
        var registered = server.CurrentValue.Resources;
        var context = new ClientRuleContext(
            scope => settings.Scopes.ContainsKey(scope) || GatehouseOptionsValidator.StandardScopes.Contains(scope),
            SecretIssuedByServer: true,
            IsKnownResource: resource => Uri.TryCreate(resource, UriKind.Absolute, out var uri) && registered.Contains(uri));
        var problems = ClientRules.Check(clientId, client, context, ClientRequest.FieldName);
        if (problems.Count > 0)
        {
            return ClientErrors.Invalid(problems);
        }

        var notHeld = client.Scopes.FirstOrDefault(scope =>
            AdminScopes.IsAdminScope(scope) && !caller.Http.User.HasScope(AdminScopes.All) && !caller.Http.User.HasScope(scope));
        return notHeld is null
            ? null
            : ClientErrors.AdminScopeNotHeld.Problem($"scopes: '{notHeld}' is not among the scopes of the caller's token.",
                new Dictionary<string, string[]> { ["scopes"] = [$"'{notHeld}' is not among the scopes of the caller's token."] });
    }

    /// <summary>The client if it exists and this API may change it.</summary>
    private async Task<(object? Application, OpenIddictApplicationDescriptor? Current, ProblemHttpResult? Problem)> ManagedAsync(
        string clientId, CancellationToken cancellationToken)
    {
        if (await FindApplicationAsync(clientId, cancellationToken) is not { } application)
        {
            return (null, null, ClientErrors.NotFound.Problem($"No client '{clientId}'."));
        }

        var current = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(current, application, cancellationToken);
        return SourceOf(clientId) == ClientSources.AdminApi
            ? (application, current, null)
            : (null, null, ClientErrors.FromConfiguration.Problem($"'{clientId}' comes from {GatehouseOptions.Section}:Clients:{clientId}."));
    }

    private async Task<object?> FindApplicationAsync(string clientId, CancellationToken cancellationToken) =>
        ClientRules.IsClientId(clientId) ? await applications.FindByClientIdAsync(clientId, cancellationToken) : null;

    private async Task<ClientView> ViewAsync(object application, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        return View(descriptor.ClientId ?? "", descriptor);
    }

    private ClientView View(string clientId, OpenIddictApplicationDescriptor descriptor) =>
        ClientView.From(clientId, ClientRegistration.FromDescriptor(descriptor), SourceOf(clientId));

    private static OpenIddictApplicationDescriptor Describe(string clientId, ClientOptions client)
    {
        var descriptor = ClientRegistration.ToDescriptor(clientId, client);
        descriptor.Properties[ConfiguredRegistrations.SourceProperty] = JsonSerializer.SerializeToElement(ClientSources.AdminApi);
        return descriptor;
    }

    /// <summary>
    /// Configuration owns the clients it defines now (it rewrites them at every start); any other client,
    /// including one that configuration defined once and no longer does, is this API's to manage.
    /// </summary>
    private string SourceOf(string clientId) =>
        options.Value.Clients.ContainsKey(clientId) ? ClientSources.Configuration : ClientSources.AdminApi;

    /// <summary>Audited under the calling client (and person), naming the changed client.</summary>
    private void Record(string type, string clientId, AdminCaller caller) =>
        audit.Record(type, null, caller.ClientId, caller.IpAddress, "client:" + clientId, caller.ActorUserId);

    private static string NewSecret() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(SecretBytes));
}
