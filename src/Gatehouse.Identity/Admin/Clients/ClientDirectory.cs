using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Bootstrap;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Revocation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
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

    /// <summary>Clients after <paramref name="after"/> (a client id, exclusive) in client-id order, filtered.</summary>
    public async Task<ClientPage> ListAsync(string? type, string? kind, string? after, int pageSize, CancellationToken cancellationToken)
    {
        var views = new List<ClientView>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            var view = await ViewAsync(application, cancellationToken);
            if ((type is null || view.Type == type) && (kind is null || view.Kind == kind)
                && (after is null || string.CompareOrdinal(view.ClientId, after) > 0))
            {
                views.Add(view);
            }
        }

        views.Sort((left, right) => string.CompareOrdinal(left.ClientId, right.ClientId));
        var page = views.Take(pageSize).ToList();
        return new ClientPage(page, views.Count > pageSize ? ClientPageToken.Of(page[^1].ClientId) : null);
    }

    public async Task<ClientView?> FindAsync(string clientId, CancellationToken cancellationToken) =>
        await FindApplicationAsync(clientId, cancellationToken) is { } application ? await ViewAsync(application, cancellationToken) : null;

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

    public async Task<AdminOutcome<ClientView>> ReplaceAsync(string clientId, ClientRequest request, AdminCaller caller, CancellationToken cancellationToken)
    {
        if (request.ClientId is { } named && named != clientId)
        {
            return AccountErrors.Field("client_id", $"is '{named}' but the address names '{clientId}'; a client id cannot change.");
        }

        var (application, current, problem) = await ManagedAsync(clientId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

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
        descriptor.ClientSecret = current.ClientSecret; // the stored hash: the secret stays as it is
        await applications.UpdateAsync(application!, descriptor, cancellationToken);
        Record(AuditEventTypes.ClientUpdated, clientId, caller);
        return View(clientId, descriptor);
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
