using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>
/// A browser without JavaScript, as plain HTTP: its own cookies, no automatic redirects, forms
/// filled by posting them with their antiforgery token. Drives the authorization code flow the way
/// a relying party and a user would.
/// </summary>
public sealed partial class BrowserFlow : IDisposable
{
    private readonly HttpClient _http;

    public BrowserFlow(Uri baseAddress, HttpMessageHandler handler)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new CookieHandler(Cookies) { InnerHandler = handler }) { BaseAddress = baseAddress };
    }

    public static BrowserFlow For(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app) => new(app.Server.BaseAddress, app.Server.CreateHandler());

    public CookieContainer Cookies { get; }

    public HttpClient Http => _http;

    public string Verifier { get; } = Base64Url(RandomNumberGenerator.GetBytes(32));

    public string Challenge => Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>An authorization request URL with PKCE S256, state and nonce; <paramref name="extra"/> adds or overrides parameters.</summary>
    public string AuthorizeUrl(string clientId, string redirectUri, string scope, params (string Name, string? Value)[] extra)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["response_type"] = "code",
            ["scope"] = scope,
            ["state"] = "state-" + Guid.NewGuid().ToString("N"),
            ["nonce"] = "nonce-" + Guid.NewGuid().ToString("N"),
            ["code_challenge"] = Challenge,
            ["code_challenge_method"] = "S256",
        };
        foreach (var (name, value) in extra)
        {
            parameters[name] = value;
        }

        return QueryHelpers.AddQueryString("/connect/authorize", parameters.Where(pair => pair.Value is not null)!);
    }

    public async Task<HttpResponseMessage> GetAsync(string url) => await _http.GetAsync(url, TestContext.Current.CancellationToken);

    /// <summary>Follows redirects that stay on the identity service; stops at the first one that leaves it, or at a page.</summary>
    public async Task<HttpResponseMessage> FollowAsync(string url)
    {
        var response = await GetAsync(url);
        for (var hops = 0; hops < 10 && IsRedirect(response); hops++)
        {
            var location = response.Headers.Location!;
            if (location.IsAbsoluteUri && location.Host != _http.BaseAddress!.Host)
            {
                return response;
            }

            response.Dispose();
            response = await GetAsync(location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString);
        }

        return response;
    }

    /// <summary>Signs in on the hosted page (found by following <paramref name="url"/>), then follows on.</summary>
    public async Task<HttpResponseMessage> SignInThroughAsync(string url, string email = OidcFixture.UserEmail, string password = OidcFixture.UserPassword)
    {
        using var page = await FollowAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("Sign in", html);
        var response = await SubmitAsync(page.RequestMessage!.RequestUri!.PathAndQuery, html, new() { ["Email"] = email, ["Password"] = password });
        return IsRedirect(response) ? await FollowLocationAsync(response) : response;
    }

    /// <summary>Posts the page's form with its hidden fields and antiforgery token plus <paramref name="fields"/>.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string pageUrl, string html, Dictionary<string, string> fields, string? action = null)
    {
        var form = new Dictionary<string, string>();
        foreach (Match input in InputTag().Matches(html))
        {
            var attributes = Attribute().Matches(input.Value).ToDictionary(
                attribute => attribute.Groups["name"].Value.ToLowerInvariant(), attribute => WebUtility.HtmlDecode(attribute.Groups["value"].Value));
            if (attributes.GetValueOrDefault("type") == "hidden" && attributes.TryGetValue("name", out var name))
            {
                form[name] = attributes.GetValueOrDefault("value") ?? "";
            }
        }

        foreach (var (name, value) in fields)
        {
            form[name] = value;
        }

        using var content = new FormUrlEncodedContent(form);
        return await _http.PostAsync(action ?? pageUrl, content, TestContext.Current.CancellationToken);
    }

    public async Task<HttpResponseMessage> FollowLocationAsync(HttpResponseMessage redirect)
    {
        var location = redirect.Headers.Location!;
        redirect.Dispose();
        if (location.IsAbsoluteUri && location.Host != _http.BaseAddress!.Host)
        {
            throw new InvalidOperationException("Not a local redirect: " + location);
        }

        return await FollowAsync(location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString);
    }

    /// <summary>The parameters of a redirect to the client (query of the Location header).</summary>
    public static Dictionary<string, string> CallbackParameters(HttpResponseMessage response)
    {
        Assert.True(IsRedirect(response), $"expected a redirect, got {(int)response.StatusCode}");
        return QueryHelpers.ParseQuery(response.Headers.Location!.Query).ToDictionary(pair => pair.Key, pair => pair.Value.ToString());
    }

    /// <summary>Runs the flow up to the code: signs in when asked, consents when asked.</summary>
    public async Task<(string Code, Dictionary<string, string> Callback)> GetCodeAsync(
        string authorizeUrl, bool consent = true, string email = OidcFixture.UserEmail, string password = OidcFixture.UserPassword)
    {
        var response = await FollowAsync(authorizeUrl);
        if (response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Contains("name=\"Password\""))
        {
            response.Dispose();
            response = await SignInThroughAsync(authorizeUrl, email, password);
        }

        if (response.StatusCode == HttpStatusCode.OK && consent)
        {
            var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Contains("Allow", html);
            var decided = await SubmitAsync(response.RequestMessage!.RequestUri!.PathAndQuery, html, new() { ["decision"] = "allow" });
            response.Dispose();
            response = await FollowLocationAsync(decided);
        }

        using (response)
        {
            var callback = CallbackParameters(response);
            Assert.True(callback.ContainsKey("code"), "no code in " + response.Headers.Location);
            return (callback["code"], callback);
        }
    }

    public async Task<HttpResponseMessage> RedeemAsync(string code, string clientId, string redirectUri, string? secret = null, string? verifier = null)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "authorization_code"),
            new("code", code),
            new("redirect_uri", redirectUri),
            new("code_verifier", verifier ?? Verifier),
        };
        if (secret is null)
        {
            form.Add(new("client_id", clientId));
        }

        return await _http.PostFormAsync("/connect/token", form, secret is null ? null : ProtocolClient.Basic(clientId, secret));
    }

    public async Task<HttpResponseMessage> RefreshAsync(string refreshToken, string clientId, string? secret = null)
    {
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "refresh_token"), new("refresh_token", refreshToken) };
        if (secret is null)
        {
            form.Add(new("client_id", clientId));
        }

        return await _http.PostFormAsync("/connect/token", form, secret is null ? null : ProtocolClient.Basic(clientId, secret));
    }

    public static async Task<JsonElement> TokensAsync(HttpResponseMessage response)
    {
        var json = await response.ReadJsonAsync();
        Assert.True(response.IsSuccessStatusCode, "token request failed: " + json);
        return json;
    }

    public static bool IsRedirect(HttpResponseMessage response) => (int)response.StatusCode is >= 300 and < 400;

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("<input\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputTag();

    [GeneratedRegex("(?<name>[a-zA-Z_:][-a-zA-Z0-9_:.]*)=\"(?<value>[^\"]*)\"")]
    private static partial Regex Attribute();

    /// <summary>Keeps cookies across requests, as a browser does (the test server's handler does not).</summary>
    private sealed class CookieHandler(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!.IsAbsoluteUri ? request.RequestUri : new Uri(new Uri("http://localhost"), request.RequestUri);
            if (cookies.GetCookieHeader(uri) is { Length: > 0 } header)
            {
                request.Headers.Add("Cookie", header);
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                foreach (var setCookie in setCookies)
                {
                    cookies.SetCookies(uri, setCookie);
                }
            }

            return response;
        }
    }
}
