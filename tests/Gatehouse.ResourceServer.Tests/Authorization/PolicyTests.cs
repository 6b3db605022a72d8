using System.Net;
using Gatehouse.ResourceServer.Authorization;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.ResourceServer.Tests.Authorization;

/// <summary>Scope and role policies read the token's own claims, for minimal APIs and controller attributes alike.</summary>
public sealed class PolicyTests : IAsyncLifetime
{
    private TestAuthority _authority = null!;
    private ResourceServerHost _service = null!;

    public async ValueTask InitializeAsync()
    {
        _authority = await TestAuthority.StartAsync();
        _service = await ResourceServerHost.StartTrustingAsync(
            _authority,
            map: app =>
            {
                app.MapGet("/attribute/scope", () => "ok").WithMetadata(new RequireScopeAttribute("images:read", "profile"));
                app.MapGet("/attribute/role", () => "ok").WithMetadata(new RequireRoleAttribute("editor", "admin"));
                app.MapGet("/both", () => "ok").RequireScope("images:read").RequireRole("admin");
            });
    }

    private string Token(string scope, params string[] roles) => _authority.Issue(claims =>
    {
        claims["scope"] = scope;
        if (roles.Length > 0)
        {
            claims["role"] = roles.Length == 1 ? roles[0] : roles;
        }
    });

    [Fact]
    public async Task RequireScope_AcceptsATokenGrantingIt()
    {
        Assert.True(await _service.AnswersAsync(Token("profile images:read"), HttpStatusCode.OK, "/images"));
    }

    [Theory]
    [InlineData("profile")]
    [InlineData("images:read-all")]
    [InlineData("images")]
    [InlineData("")]
    public async Task RequireScope_RefusesATokenWithoutIt(string scope)
    {
        await AccessTokenValidationTests.AssertRefusedAsync(await _service.GetAsync("/images", Token(scope)), "insufficient_scope", HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task RequireScope_WithoutAToken_IsUnauthorizedNotForbidden()
    {
        await AccessTokenValidationTests.AssertRefusedAsync(await _service.GetAsync("/images", null), "missing_token");
    }

    [Fact]
    public async Task RequireRole_AcceptsOneOfItsRoles_FromASingleOrAnArrayClaim()
    {
        Assert.True(await _service.AnswersAsync(Token("profile", "admin"), HttpStatusCode.OK, "/admin"));
        Assert.True(await _service.AnswersAsync(Token("profile", "user", "admin"), HttpStatusCode.OK, "/admin"));
        Assert.True(await _service.AnswersAsync(Token("profile", "user"), HttpStatusCode.Forbidden, "/admin"));
        Assert.True(await _service.AnswersAsync(Token("profile"), HttpStatusCode.Forbidden, "/admin"));
    }

    [Fact]
    public async Task Attributes_WorkAsTheExtensionsDo()
    {
        Assert.True(await _service.AnswersAsync(Token("images:read profile"), HttpStatusCode.OK, "/attribute/scope"));
        Assert.True(await _service.AnswersAsync(Token("images:read"), HttpStatusCode.Forbidden, "/attribute/scope"));
        Assert.True(await _service.AnswersAsync(Token("x", "editor"), HttpStatusCode.OK, "/attribute/role"));
        Assert.True(await _service.AnswersAsync(Token("x", "viewer"), HttpStatusCode.Forbidden, "/attribute/role"));
    }

    [Fact]
    public async Task ScopeAndRole_BothRequired_WhenBothAreAsked()
    {
        Assert.True(await _service.AnswersAsync(Token("images:read", "admin"), HttpStatusCode.OK, "/both"));
        Assert.True(await _service.AnswersAsync(Token("images:read", "user"), HttpStatusCode.Forbidden, "/both"));
        Assert.True(await _service.AnswersAsync(Token("profile", "admin"), HttpStatusCode.Forbidden, "/both"));
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _authority.DisposeAsync();
    }
}
