using System.Buffers;
using System.Text;

namespace Gatehouse.Identity.Connect;

/// <summary>Client id and secret from an HTTP Basic <c>Authorization</c> header, read as OpenIddict reads it.</summary>
public static class BasicCredentials
{
    private const string Scheme = "Basic ";

    public static bool TryRead(string? header, out string? clientId, out string? clientSecret)
    {
        clientId = clientSecret = null;
        if (header is null || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var encoded = header.AsSpan(Scheme.Length).Trim();
        var buffer = ArrayPool<byte>.Shared.Rent(encoded.Length);
        try
        {
            if (!Convert.TryFromBase64Chars(encoded, buffer, out var length))
            {
                return false;
            }

            var decoded = buffer.AsSpan(0, length);
            if (!Ascii.IsValid(decoded))
            {
                return false;
            }

            var separator = decoded.IndexOf((byte)':');
            if (separator < 0)
            {
                return false;
            }

            clientId = Unescape(decoded[..separator]);
            clientSecret = Unescape(decoded[(separator + 1)..]);
            return clientId is not null && clientSecret is not null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }

        // RFC 6749 §2.3.1: both parts are form-encoded.
        static string? Unescape(ReadOnlySpan<byte> part) =>
            part.IsEmpty ? null : Uri.UnescapeDataString(Encoding.ASCII.GetString(part).Replace("+", "%20"));
    }
}
