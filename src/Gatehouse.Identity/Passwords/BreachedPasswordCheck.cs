using System.Globalization;
using System.Security.Cryptography;
using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Passwords;

/// <summary>
/// Asks a k-anonymity range API whether a password appears in known breaches: only the first five hex
/// digits of its SHA-1 are sent (<c>GET {base}range/ABCDE</c>); the answer lists the suffixes of every
/// breached hash with that prefix, and the match is made here. Padding is requested so the answer's
/// size says nothing either. An outage or a slow answer never blocks a sign-up: the check is skipped
/// with a warning.
/// </summary>
public sealed partial class BreachedPasswordCheck(HttpClient http, IOptions<GatehouseOptions> options, ILogger<BreachedPasswordCheck> logger)
{
    public const string HttpClientName = "breached-passwords";

    /// <summary>True when the range API lists the password with a count above zero; false when not, or when it cannot be asked.</summary>
    public async Task<bool> IsBreachedAsync(string normalizedPassword, CancellationToken cancellationToken = default)
    {
        var settings = options.Value.Passwords.Breached;
        var hash = Convert.ToHexString(SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(normalizedPassword)));
        var prefix = hash[..5];
        var suffix = hash.AsMemory(5);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(WithSlash(settings.BaseUrl)), "range/" + prefix));
            request.Headers.Add("Add-Padding", "true");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                LogUnavailable(logger, $"HTTP {(int)response.StatusCode}");
                return false;
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                var colon = line.IndexOf(':');
                if (colon == 35
                    && line.AsSpan(0, 35).Equals(suffix.Span, StringComparison.OrdinalIgnoreCase)
                    && long.TryParse(line.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                {
                    return count > 0;
                }
            }

            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(logger, $"no answer within {settings.Timeout}");
            return false;
        }
        catch (HttpRequestException exception)
        {
            LogUnavailable(logger, exception.Message);
            return false;
        }
    }

    private static string WithSlash(string baseUrl) => baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/";

    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Breached-password check skipped, the password is accepted: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
