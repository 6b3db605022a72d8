using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// <c>response_mode=form_post</c> (ASP.NET Core's OpenIdConnect handler uses it by default) answers
/// with a page whose one inline script submits the form to the client. The site-wide policy forbids
/// inline scripts; this response alone allows that exact script, by its hash.
/// </summary>
public sealed class AllowFormPostScript : IOpenIddictServerHandler<ApplyAuthorizationResponseContext>
{
    // The script OpenIddict writes into its form_post page, byte for byte.
    private const string AutoSubmitScript = "document.form.submit();";

    private static readonly string Policy =
        "default-src 'none'; script-src 'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(AutoSubmitScript))) +
        "'; base-uri 'none'; frame-ancestors 'none'";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyAuthorizationResponseContext>()
            .UseSingletonHandler<AllowFormPostScript>()
            .SetOrder(OpenIddictServerAspNetCoreHandlers.Authentication.ProcessFormPostResponse.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ApplyAuthorizationResponseContext context)
    {
        if (context.ResponseMode == ResponseModes.FormPost && !string.IsNullOrEmpty(context.RedirectUri)
            && context.Transaction.GetHttpRequest()?.HttpContext.Response is { } response)
        {
            response.Headers.ContentSecurityPolicy = Policy;
        }

        return ValueTask.CompletedTask;
    }
}
