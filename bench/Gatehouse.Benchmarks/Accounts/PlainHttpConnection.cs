using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Benchmarks.Accounts;

/// <summary>
/// One kept-alive HTTP/1.1 connection that sends a request prepared byte for byte and reads the answer's
/// status, skipping its body. The load driver shares the service's cores, so what it spends per request
/// counts against the service. The calls block: a worker thread of its own per connection sends and
/// then sleeps in the kernel until the answer arrives, so an answer wakes exactly one thread (with
/// <see cref="HttpClient"/> it wakes the socket engine's thread, which wakes a thread-pool worker, and
/// idle workers spin for more). Answers may come with a <c>Content-Length</c> or chunked.
/// </summary>
internal sealed class PlainHttpConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private PlainHttpConnection(Socket socket) => _socket = socket;

    public static PlainHttpConnection Open(Uri server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(new IPEndPoint(IPAddress.Parse(server.Host), server.Port));
        return new PlainHttpConnection(socket);
    }

    /// <summary>A POST of <paramref name="json"/> with every header given, ready to send as often as needed.</summary>
    public static byte[] Post(Uri server, string path, IEnumerable<KeyValuePair<string, string>> headers, byte[] json)
    {
        var head = new StringBuilder()
            .Append("POST ").Append(path).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(server.Authority).Append("\r\n")
            .Append("Content-Type: application/json\r\n")
            .Append("Content-Length: ").Append(json.Length).Append("\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return [.. Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), .. json];
    }

    /// <summary>Sends the request and returns the answer's status code once the whole answer is read.</summary>
    public int Send(byte[] request)
    {
        _socket.Send(request, SocketFlags.None);

        var headerEnd = FillUntil(HeadEnd);
        var head = _buffer.AsSpan(_start, headerEnd);
        if (!head.StartsWith("HTTP/1.1 "u8) || !Utf8Parser.TryParse(head[9..12], out int status, out _))
        {
            throw new InvalidDataException("not an HTTP/1.1 answer: " + Encoding.ASCII.GetString(head[..Math.Min(head.Length, 40)]));
        }

        var contentLength = HeaderValue(head, "\r\ncontent-length:"u8);
        var chunked = HeaderValue(head, "\r\ntransfer-encoding:"u8) is { } encoding && encoding.AsSpan().IndexOf("chunked"u8) >= 0;
        _start += headerEnd + 4;
        if (chunked)
        {
            SkipChunks();
        }
        else if (contentLength is { } length)
        {
            Skip(int.Parse(Encoding.ASCII.GetString(length).Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }

        return status;
    }

    public void Dispose() => _socket.Dispose();

    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();

    /// <summary>The value after a header name (lower case, with the line break before it), in lower case, or null.</summary>
    private static byte[]? HeaderValue(ReadOnlySpan<byte> head, ReadOnlySpan<byte> name)
    {
        Span<byte> lower = stackalloc byte[head.Length];
        Ascii.ToLower(head, lower, out _);
        var at = lower.IndexOf(name);
        if (at < 0)
        {
            return null;
        }

        ReadOnlySpan<byte> value = lower[(at + name.Length)..];
        var end = value.IndexOf("\r\n"u8);
        return (end < 0 ? value : value[..end]).ToArray();
    }

    private void SkipChunks()
    {
        while (true)
        {
            var lineEnd = FillUntil(LineEnd);
            var sizeText = Encoding.ASCII.GetString(_buffer, _start, lineEnd).Split(';')[0].Trim();
            var size = int.Parse(sizeText, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            _start += lineEnd + 2;
            Skip(size + 2);
            if (size == 0)
            {
                return;
            }
        }
    }

    private void Skip(int count)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                Receive();
            }

            var taken = Math.Min(count, _end - _start);
            _start += taken;
            count -= taken;
        }
    }

    /// <summary>Reads until the unread bytes hold <paramref name="mark"/>; returns its offset from the start.</summary>
    private int FillUntil(byte[] mark)
    {
        while (true)
        {
            var at = _buffer.AsSpan(_start, _end - _start).IndexOf(mark);
            if (at >= 0)
            {
                return at;
            }

            Receive();
        }
    }

    private void Receive()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("an answer's head is larger than the buffer");
        }

        var read = _socket.Receive(_buffer.AsSpan(_end), SocketFlags.None);
        if (read == 0)
        {
            throw new IOException("the service closed the connection");
        }

        _end += read;
    }
}
