using System.Net.Sockets;
using System.Text;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// The sender side of systemd's notify protocol (<c>Type=notify</c>): one datagram per message to the Unix socket
/// named by <c>$NOTIFY_SOCKET</c> (a path, or an abstract name written with a leading <c>@</c>), each message a few
/// <c>KEY=VALUE</c> lines. Non-blocking: a message the receiver has no room for is dropped, never waited for.
/// <see cref="FromEnvironment"/> takes the variables out of the daemon's environment, so no program inherits them
/// (a child could otherwise speak for the daemon).
/// </summary>
public sealed class SystemdNotify : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;
    private bool _warned;

    /// <summary>The address as given (for messages).</summary>
    public string Address { get; }

    /// <summary>How often systemd wants <c>WATCHDOG=1</c> at the latest (<c>$WATCHDOG_USEC</c>), or null.</summary>
    public TimeSpan? Watchdog { get; }

    private SystemdNotify(string address, TimeSpan? watchdog)
    {
        Address = address;
        Watchdog = watchdog;
        _target = new UnixDomainSocketEndPoint(address.StartsWith('@') ? "\0" + address[1..] : address);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
    }

    /// <summary>Null when the daemon was not started by a service manager that listens (<c>NOTIFY_SOCKET</c> unset
    /// or not a usable address). <c>WATCHDOG_USEC</c> counts only when <c>WATCHDOG_PID</c> is unset or ours.</summary>
    public static SystemdNotify? FromEnvironment()
    {
        var address = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        foreach (var name in new[] { "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID" })
            Environment.SetEnvironmentVariable(name, null);
        if (string.IsNullOrEmpty(address) || !(address.StartsWith('/') || address.StartsWith('@')) || address.Length > 107)
            return null;
        TimeSpan? watchdog = null;
        if (long.TryParse(usec, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var us) && us > 0
            && (string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            watchdog = TimeSpan.FromTicks(Math.Min(us, long.MaxValue / 10) * 10);
        try
        {
            return new SystemdNotify(address, watchdog);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            Serilog.Log.Warning("NOTIFY_SOCKET {Address} is not usable: {Error}", address, e.Message);
            return null;
        }
    }

    /// <summary>Sends one message (lines joined with newlines). False when it could not be sent (logged once).</summary>
    public bool Send(params string[] lines)
    {
        var message = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        try
        {
            _socket.SendTo(message, SocketFlags.None, _target);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!_warned)
            {
                _warned = true;
                Serilog.Log.Warning("cannot notify the service manager on {Address}: {Error}", Address, e.Message);
            }
            return false;
        }
    }

    /// <summary><c>MONOTONIC_USEC=</c> for <c>RELOADING=1</c> (CLOCK_MONOTONIC, as systemd compares it).</summary>
    public static string MonotonicNow() =>
        "MONOTONIC_USEC=" + (System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000))
            .ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _socket.Dispose();
}
