using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Admin.Clients;

/// <summary>The errors of the clients area, as RFC 9457 problems with a stable <c>code</c>.</summary>
public static class ClientErrors
{
    public static readonly AccountError NotFound = new("client_not_found", 404, "No client has this id.");
    public static readonly AccountError Exists = new("client_exists", 409, "A client with this id exists already.");
    public static readonly AccountError FromConfiguration = new("client_from_configuration", 409,
        "This client is defined in configuration, which would overwrite any change at the next start; change it there.");
    public static readonly AccountError Changed = new("client_changed", 412,
        "The client changed since the version named in If-Match was read; read it again and apply the change to that version.");
    public static readonly AccountError ChangedMeanwhile = new("client_changed", 409,
        "Another request changed the client while this change was being made; read it again and repeat the change.");
    public static readonly AccountError PublicClient = new("public_client", 409, "A public client has no secret.");
    public static readonly AccountError AdminScopeNotHeld = new("admin_scope_not_held", 403,
        "A client may be given only the admin scopes that the caller's own token carries.");

    /// <summary>A 400 listing every field that is wrong, in the admin API's field names.</summary>
    public static ProblemHttpResult Invalid(IReadOnlyList<ClientProblem> problems)
    {
        var fields = problems
            .GroupBy(problem => ClientRequest.FieldName(problem.Field))
            .ToDictionary(group => group.Key, group => group.Select(problem => problem.Message).ToArray());
        return AccountErrors.InvalidRequest.Problem(problems[0].Message, fields);
    }
}
