using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Taskmaster.Core.Protocol;

/// <summary>The daemon cannot be reached on its socket; the message names the socket path.</summary>
public sealed class DaemonUnreachableException(string socketPath, string reason, Exception? inner = null)
    : Exception($"cannot reach taskmasterd at {socketPath}: {reason} (is the daemon running?)", inner)
{
    public string SocketPath { get; } = socketPath;
}

/// <summary>The daemon answered something that is not a protocol line, or hung up mid-conversation.</summary>
public sealed class ProtocolException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A connection to taskmasterd's control socket (Akka-free: used by taskmasterctl and by tests).
/// Requests are sent one at a time; after <c>subscribe</c> or a following <c>tail</c>, read events with
/// <see cref="ReadEventsAsync"/>.
/// </summary>
public sealed class ControlClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly LineReader _reader;

    public string SocketPath { get; }

    private ControlClient(Socket socket, string socketPath)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new LineReader(_stream, WireProtocol.MaxResponseLineBytes);
        SocketPath = socketPath;
    }

    /// <exception cref="DaemonUnreachableException">No socket, nobody listening, or no permission.</exception>
    public static async Task<ControlClient> ConnectAsync(string socketPath, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return new ControlClient(socket, socketPath);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new DaemonUnreachableException(socketPath, Describe(e, socketPath), e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Describe(SocketException e, string socketPath) => e.SocketErrorCode switch
    {
        _ when !File.Exists(socketPath) && !Directory.Exists(socketPath) => "no such socket",
        SocketError.ConnectionRefused => "connection refused",
        SocketError.AccessDenied => "permission denied",
        _ => e.Message,
    };

    /// <summary>Send one request and read its response.</summary>
    public async Task<Response> SendAsync(Request request, CancellationToken cancellationToken = default)
    {
        try
        {
            await _stream.WriteAsync(ProtocolJson.ToLine(ProtocolJson.Serialize(request)), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // A daemon that refuses us writes its reason and hangs up, possibly before our request went out.
            if (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } refusal) return Parse(refusal);
            throw new ProtocolException($"the daemon closed the connection on {SocketPath}: {e.Message}", e);
        }
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false)
                   ?? throw new ProtocolException($"the daemon closed the connection on {SocketPath} without answering");
        return Parse(line);
    }

    private static Response Parse(byte[] line)
    {
        try
        {
            return ProtocolJson.ParseResponse(line);
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"the daemon sent a malformed response: {e.Message}", e);
        }
    }

    /// <summary>Events pushed after a subscription; ends when the daemon closes the connection.</summary>
    public async IAsyncEnumerable<StreamEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            StreamEvent e;
            try
            {
                e = ProtocolJson.ParseEvent(line);
            }
            catch (JsonException ex)
            {
                throw new ProtocolException($"the daemon sent a malformed event: {ex.Message}", ex);
            }
            yield return e;
        }
    }

    private async Task<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e is not LineTooLongException)
        {
            return null;
        }
    }

    /// <summary>Connect, send one request, read its response, hang up.</summary>
    public static async Task<Response> RequestAsync(string socketPath, Request request, CancellationToken cancellationToken = default)
    {
        using var client = await ConnectAsync(socketPath, cancellationToken).ConfigureAwait(false);
        return await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
