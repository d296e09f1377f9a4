using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Taskmaster.Core.Protocol;

/// <summary>The daemon cannot be reached on its socket; the message names the socket path.</summary>
public class DaemonUnreachableException : Exception
{
    public DaemonUnreachableException(string socketPath, string reason, Exception? inner = null)
        : this(socketPath, $"cannot reach taskmasterd at {socketPath}: {reason} (is the daemon running?)", inner, true)
    {
    }

    protected DaemonUnreachableException(string socketPath, string message, Exception? inner, bool _)
        : base(message, inner) => SocketPath = socketPath;

    public string SocketPath { get; }
}

/// <summary>
/// The process listening on the socket is neither root nor the controller's own user (SO_PEERCRED): it could be
/// anyone's fake daemon, so nothing was sent to it.
/// </summary>
public sealed class UntrustedDaemonException(string socketPath, uint serverUid, int serverPid, uint ownUid)
    : DaemonUnreachableException(socketPath,
        $"refusing to talk to {socketPath}: the process listening on it (pid {serverPid}) runs as uid {serverUid}, " +
        $"not root or uid {ownUid} (you); someone else may have put a socket there", null, true)
{
    public uint ServerUid { get; } = serverUid;
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

    /// <summary>
    /// Connect and check, before anything is sent, that the server is root or our own user (SO_PEERCRED gives the
    /// credentials of the process that called listen).
    /// </summary>
    /// <exception cref="DaemonUnreachableException">No socket, nobody listening, or no permission.</exception>
    /// <exception cref="UntrustedDaemonException">The server runs as another user.</exception>
    public static async Task<ControlClient> ConnectAsync(string socketPath, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            CheckServer(socket, socketPath);
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

    private static void CheckServer(Socket socket, string socketPath)
    {
        if (SocketPeer.Of(socket) is not { } server) throw new DaemonUnreachableException(socketPath, "cannot tell who listens on it");
        var own = (uint)Tmds.Linux.LibC.geteuid();
        if (server.Uid != 0 && server.Uid != own) throw new UntrustedDaemonException(socketPath, server.Uid, server.Pid, own);
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
        var first = Parse(line);
        if (first.More != true) return first;
        // A paged list of instances: join the pages into one response.
        var instances = new List<InstanceInfo>(first.Instances ?? []);
        var page = first;
        while (page.More == true)
        {
            var next = await ReadLineAsync(cancellationToken).ConfigureAwait(false)
                       ?? throw new ProtocolException($"the daemon closed the connection on {SocketPath} in the middle of a reply");
            page = Parse(next);
            if (!page.Ok) return page;
            instances.AddRange(page.Instances ?? []);
        }
        return first with { Instances = instances, More = null };
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
        _reader.Dispose();
    }
}
