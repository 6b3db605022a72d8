using Gatehouse.Identity.Configuration;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Gatehouse.Identity.Admin;

/// <summary>
/// The <c>admin</c> OpenAPI document: every operation needs a bearer access token for the identity
/// service (audience <c>gatehouse</c>) carrying its area's scope or <see cref="AdminScopes.All"/>.
/// </summary>
internal sealed class AdminApiDocument : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string SchemeName = "bearer";

    /// <summary>The scope each area (first path segment after <c>/admin/</c>) requires.</summary>
    private static readonly Dictionary<string, string> AreaScopes = new(StringComparer.Ordinal)
    {
        ["clients"] = AdminScopes.Clients,
        ["keys"] = AdminScopes.Keys,
        ["users"] = AdminScopes.Users,
        ["roles"] = AdminScopes.Users,
        ["sessions"] = AdminScopes.Users,
        ["audit"] = AdminScopes.Audit,
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Gatehouse admin API";
        document.Info.Description =
            "Manage Gatehouse. Get an access token with the client-credentials grant at /connect/token for a client "
            + $"allowed the scope {AdminScopes.All} (or one area's scope) and send it as Authorization: Bearer.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = $"An access token of the identity service (audience '{BuiltInScopes.IdentityAudience}') with an admin scope.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var path = context.Description.RelativePath ?? "";
        var area = path.StartsWith("admin/", StringComparison.Ordinal) ? path["admin/".Length..].Split('/', '?')[0] : "";
        if (AreaScopes.TryGetValue(area, out var scope))
        {
            // Kept after what the endpoint says of itself (its query parameters, for example).
            operation.Description = $"Requires the scope {scope} or {AdminScopes.All}. {operation.Description}".TrimEnd();
        }

        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<EntityTagged>().FirstOrDefault() is { } tagged)
        {
            Describe(operation, tagged);
        }

        return Task.CompletedTask;
    }

    /// <summary>The ETag the answer carries and, for a change, the If-Match it honours.</summary>
    private static void Describe(OpenApiOperation operation, EntityTagged tagged)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers["ETag"] = new OpenApiHeader
            {
                Description = "The version of the resource in this answer; send it as If-Match to change only this version.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }

        if (tagged.HonoursIfMatch)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "If-Match",
                In = ParameterLocation.Header,
                Required = false,
                Description = "An ETag from GET (quotes included) or *; when the resource is no longer that version the answer is 412 and nothing changes.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
    }
}

/// <summary>Endpoint metadata: the answer carries an ETag, and the endpoint may honour If-Match.</summary>
public sealed record EntityTagged(bool HonoursIfMatch);
