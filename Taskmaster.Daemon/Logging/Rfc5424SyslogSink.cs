using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace Taskmaster.Daemon.Logging;

/// <summary>
/// A small Serilog sink that sends each event as one RFC 5424 datagram to a local syslog socket (<c>/dev/log</c>).
/// A missing or refusing socket is not fatal: events are dropped (and counted) and the sink reconnects at most
/// once every few seconds, so a syslog restart is picked up without restarting the daemon.
/// </summary>
public sealed class Rfc5424SyslogSink : ILogEventSink, IDisposable
{
    /// <summary>Datagram payload cap; longer messages are cut (RFC 5424 receivers must take 480, most take 8 KiB+).</summary>
    public const int MaxDatagramBytes = 8192;

    private static readonly TimeSpan ReconnectInterval = TimeSpan.FromSeconds(5);

    private readonly string _socketPath;
    private readonly int _facility;
    private readonly string _appName;
    private readonly string _hostName;
    private readonly string _procId;
    private readonly object _gate = new();
    private Socket? _socket;
    private DateTime _nextConnectAttempt = DateTime.MinValue;
    private long _dropped;

    public Rfc5424SyslogSink(string socketPath, int facility, string appName = "taskmasterd")
    {
        _socketPath = socketPath;
        _facility = facility;
        _appName = appName;
        _hostName = SafeHostName();
        _procId = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Events that could not be delivered (no socket, or the receiver refused them).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Emit(LogEvent logEvent)
    {
        var datagram = Format(logEvent, _facility, _hostName, _appName, _procId);
        lock (_gate)
        {
            var socket = Connected();
            if (socket is null)
            {
                _dropped++;
                return;
            }
            try
            {
                socket.Send(datagram, SocketFlags.None);
            }
            catch (SocketException)
            {
                _dropped++;
                DisposeSocket();
            }
        }
    }

    /// <summary>One event as an RFC 5424 message: <c>&lt;PRI&gt;1 TIMESTAMP HOST APP PROCID MSGID - MSG</c>.</summary>
    public static byte[] Format(LogEvent logEvent, int facility, string hostName, string appName, string procId)
    {
        var pri = facility * 8 + Severity(logEvent.Level);
        var timestamp = logEvent.Timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        var msgId = logEvent.Properties.TryGetValue("SourceContext", out var ctx) && ctx is ScalarValue { Value: string s }
            ? HeaderField(s[(s.LastIndexOf('.') + 1)..], 32)
            : "-";
        var message = logEvent.RenderMessage(CultureInfo.InvariantCulture);
        if (logEvent.Exception is { } ex) message += " " + ex.GetType().Name + ": " + ex.Message;
        var header = $"<{pri}>1 {timestamp} {HeaderField(hostName, 255)} {HeaderField(appName, 48)} {procId} {msgId} - ";
        var bytes = Encoding.UTF8.GetBytes(header + message.ReplaceLineEndings(" "));
        return bytes.Length <= MaxDatagramBytes ? bytes : bytes[..MaxDatagramBytes];
    }

    /// <summary>Serilog level to syslog severity (0 emergency … 7 debug).</summary>
    public static int Severity(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2,
        LogEventLevel.Error => 3,
        LogEventLevel.Warning => 4,
        LogEventLevel.Information => 6,
        _ => 7,
    };

    /// <summary>Header fields are printable US-ASCII without spaces; "-" when empty.</summary>
    private static string HeaderField(string value, int max)
    {
        var sb = new StringBuilder(Math.Min(value.Length, max));
        foreach (var c in value)
        {
            if (sb.Length == max) break;
            if (c is > ' ' and < (char)127) sb.Append(c);
        }
        return sb.Length == 0 ? "-" : sb.ToString();
    }

    private static string SafeHostName()
    {
        try { return System.Net.Dns.GetHostName(); }
        catch (SocketException) { return "-"; }
    }

    private Socket? Connected()
    {
        if (_socket is not null) return _socket;
        var now = DateTime.UtcNow;
        if (now < _nextConnectAttempt) return null;
        _nextConnectAttempt = now + ReconnectInterval;
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(_socketPath));
            _socket = socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
        }
        return _socket;
    }

    private void DisposeSocket()
    {
        _socket?.Dispose();
        _socket = null;
    }

    public void Dispose()
    {
        lock (_gate) DisposeSocket();
    }
}
