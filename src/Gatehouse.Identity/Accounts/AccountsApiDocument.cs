using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Describes in the OpenAPI document what the endpoints cannot say through their signatures: the
/// client headers every call sends, and the user's bearer token on the calls made for a signed-in user.
/// </summary>
internal sealed class AccountsApiDocument : IOpenApiOperationTransformer
{
    private static readonly HashSet<string> BearerPaths = new(StringComparer.Ordinal)
    {
        "auth/logout",
        "auth/update-password",
        "auth/delete-account",
        "auth/change-email",
        "auth/confirm-email-change",
        "auth/sessions",
        "auth/sessions/{sessionId}",
        "auth/profile",
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(Header(AccountClients.ClientIdHeader, required: true,
            "The id of a registered first-party client allowed to use the account API."));
        operation.Parameters.Add(Header(AccountClients.ClientSecretHeader, required: false,
            "The client's secret; required for confidential clients, refused for public ones."));
        if (BearerPaths.Contains(context.Description.RelativePath ?? ""))
        {
            operation.Parameters.Add(Header("Authorization", required: true,
                "Bearer and the signed-in user's access token from this API."));
        }

        return Task.CompletedTask;
    }

    private static OpenApiParameter Header(string name, bool required, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = required,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}
