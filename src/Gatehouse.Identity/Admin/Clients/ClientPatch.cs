using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Admin.Clients;

/// <summary>
/// A JSON merge patch (RFC 7396) of a client registration, as <c>application/merge-patch+json</c> or
/// <c>application/json</c>. It is read like every admin body (size limit, no unknown or repeated members,
/// each member of its <see cref="ClientRequest"/> type) before the handler runs. A member present replaces
/// the stored value, an absent one keeps it, <c>null</c> resets it to its default. Every member of a
/// registration is a scalar or an array, and an array is replaced whole, so the merge is member by member.
/// </summary>
public sealed class ClientPatch : IJsonBody
{
    public const string MediaType = "application/merge-patch+json";

    private readonly JsonObject? _members;

    private ClientPatch(JsonObject? members, ProblemHttpResult? problem)
    {
        _members = members;
        Problem = problem;
    }

    public ProblemHttpResult? Problem { get; }

    public string? AccountKey => null;

    public static async ValueTask<ClientPatch> BindAsync(HttpContext http, ParameterInfo parameter)
    {
        var (body, problem) = await JsonBody<ClientRequest>.ReadAsync(http);
        if (problem is not null)
        {
            return new ClientPatch(null, problem);
        }

        // Types, unknown and repeated members are judged exactly as for a whole registration.
        var (_, invalid) = JsonBody<ClientRequest>.Parse(body.Span);
        return invalid is not null
            ? new ClientPatch(null, invalid)
            : new ClientPatch(JsonNode.Parse(body.Span)!.AsObject(), null);
    }

    /// <summary>The registration <paramref name="current"/> becomes with this patch, checked as a whole; or why it cannot.</summary>
    public AdminOutcome<ClientRequest> ApplyTo(string clientId, ClientRequest current)
    {
        var members = _members ?? throw new InvalidOperationException("A patch that failed to read cannot be applied.");
        if (members.TryGetPropertyValue("client_id", out var named)
            && (named is null || named.GetValueKind() != JsonValueKind.String || named.GetValue<string>() != clientId))
        {
            return AccountErrors.Field("client_id", $"is {(named is null ? "null" : named.ToJsonString())} but the address names '{clientId}'; a client id cannot change.");
        }

        if (members.TryGetPropertyValue("type", out var type) && type is null)
        {
            return AccountErrors.Field("type", "has no default and cannot be reset; the type of a client cannot change.");
        }

        var merged = JsonSerializer.SerializeToNode(current, JsonBody<ClientRequest>.Options)!.AsObject();
        foreach (var (name, value) in members)
        {
            if (value is null)
            {
                merged.Remove(name);
            }
            else
            {
                merged[name] = value.DeepClone();
            }
        }

        var request = merged.Deserialize<ClientRequest>(JsonBody<ClientRequest>.Options)!;
        var errors = new FieldErrors();
        request.Check(errors);
        return errors.Any ? errors.ToProblem() : request;
    }
}
