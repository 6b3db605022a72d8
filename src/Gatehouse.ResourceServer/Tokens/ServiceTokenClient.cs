using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gatehouse.ResourceServer.Tokens;

/// <summary>
/// Gets and keeps an access token for this service itself (client credentials at the authority's
/// token endpoint), renewed shortly before it expires. Used to read the identity service's feeds;
/// usable for any call the service makes on its own behalf.
/// </summary>
public sealed class ServiceTokenClient
{
    private readonly AuthorityMetadata _metadata;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly string _clientId;
    private readonly string _clientSecret;
    private readonly string _scope;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _expiresAt;

    /// <summary>A client for <paramref name="scope"/>, authenticating as <paramref name="clientId"/>.</summary>
    public ServiceTokenClient(AuthorityMetadata metadata, AuthorityBackchannel backchannel, TimeProvider time, string clientId, string clientSecret, string scope)
    {
        _metadata = metadata;
        _http = backchannel.Client;
        _time = time;
        _clientId = clientId;
        _clientSecret = clientSecret;
        _scope = scope;
    }

    /// <summary>A token valid for at least 30 more seconds; asks the authority when needed.</summary>
    /// <exception cref="HttpRequestException">The authority cannot be reached or refuses the client.</exception>
    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is not null && _expiresAt - _time.GetUtcNow() > TimeSpan.FromSeconds(30))
            {
                return _token;
            }

            var snapshot = await _metadata.GetAsync(cancellationToken);
            var tokenEndpoint = snapshot?.TokenEndpoint
                ?? throw new HttpRequestException("the authority's discovery document (token endpoint) cannot be read");
            using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
            {
                Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", _scope)]),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
                Uri.EscapeDataString(_clientId) + ":" + Uri.EscapeDataString(_clientSecret))));
            using var response = await _http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"the token endpoint refused client '{_clientId}' for scope '{_scope}' ({(int)response.StatusCode})");
            }

            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            _token = body.RootElement.GetProperty("access_token").GetString()
                ?? throw new JsonException("the token response has no access_token");
            var lifetime = body.RootElement.TryGetProperty("expires_in", out var expiresIn) ? expiresIn.GetInt32() : 60;
            _expiresAt = _time.GetUtcNow().AddSeconds(lifetime);
            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the token, e.g. after the resource answered 401 to it.</summary>
    public void Forget() => _token = null;
}
