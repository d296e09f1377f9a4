using System.Net.Sockets;

namespace Taskmaster.Tests.Control;

/// <summary>
/// A raw connection to a control socket for tests that send bytes no <see cref="Core.Protocol.ControlClient"/> would:
/// writes anything, reads back whole lines, and tells a closed connection from one that said nothing in time.
/// </summary>
public sealed class WireClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _partial = new();
    private int _start, _end;

    /// <summary>What one read gave: a line (without its newline), or the end of the connection, or nothing in time.</summary>
    public readonly record struct Read(byte[]? Line, bool Closed, bool TimedOut, byte[] Unfinished);

    public static async Task<WireClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var client = new WireClient();
        try
        {
            await client._socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/>; false when the daemon hung up before taking them all.</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
                bytes = bytes[sent..];
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>The next line, or <see cref="Read.Closed"/> (with any bytes after the last newline), or
    /// <see cref="Read.TimedOut"/> when <paramref name="cancellationToken"/> fires first.</summary>
    public async Task<Read> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                _partial.Write(_buffer, _start, newline - _start);
                _start = newline + 1;
                var line = _partial.ToArray();
                _partial.SetLength(0);
                return new Read(line, false, false, []);
            }
            _partial.Write(_buffer, _start, _end - _start);
            _start = _end = 0;
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return new Read(null, false, true, _partial.ToArray());
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
            {
                n = 0; // AF_UNIX reports a peer that closed with unread input as ECONNRESET: still a hang-up
            }
            if (n == 0) return new Read(null, true, false, _partial.ToArray());
            _end = n;
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _partial.Dispose();
    }
}
