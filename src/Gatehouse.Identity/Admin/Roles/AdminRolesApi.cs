using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Admin.Roles;

/// <summary><c>/admin/roles</c>: list, create and delete roles. Users get and lose roles under <c>/admin/users/{id}/roles</c>.</summary>
public static class AdminRolesApi
{
    public static RouteGroupBuilder MapAdminRoles(this RouteGroupBuilder roles)
    {
        roles.WithTags("Roles").AddEndpointFilter<AdminBodyFilter>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        roles.MapGet("/", ListAsync).WithSummary("Every role, with how many users hold it.");
        roles.MapPost("/", CreateAsync).Accepts<CreateRoleRequest>("application/json").WithSummary("Create a role.");
        roles.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a role; its holders lose it. The admin role cannot be deleted.");
        return roles;
    }

    private static async Task<Ok<RoleList>> ListAsync(AdminRoles roles, HttpContext http) =>
        TypedResults.Ok(await roles.ListAsync(http.RequestAborted));

    private static Task<Results<Created<AdminRole>, ProblemHttpResult>> CreateAsync(JsonBody<CreateRoleRequest> body, HttpContext http, AdminRoles roles) =>
        roles.CreateAsync(body.Value!.Name!, AdminCaller.Of(http));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, HttpContext http, AdminRoles roles) =>
        roles.DeleteAsync(name, AdminCaller.Of(http));
}
