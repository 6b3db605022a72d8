using Gatehouse.Identity.Admin;
using Gatehouse.Identity.Admin.Clients;

namespace Gatehouse.Identity.Extensions;

public static class AdminExtensions
{
    /// <summary>The admin API's services and its OpenAPI document (<c>/openapi/admin.json</c>).</summary>
    public static IServiceCollection AddGatehouseAdmin(this IServiceCollection services)
    {
        services.AddScoped<ClientDirectory>();
        services.AddOpenApi(AdminApi.DocumentName, openApi =>
        {
            openApi.ShouldInclude = description => description.GroupName == AdminApi.DocumentName;
            openApi.AddDocumentTransformer<AdminApiDocument>();
            openApi.AddOperationTransformer<AdminApiDocument>();
        });
        return services;
    }
}
