using System.Net.Sockets;
using System.Text;
using Serilog;
using Taskmaster.Core.Config;
using Taskmaster.Daemon.Logging;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Logging;

public sealed class SyslogSinkTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Socket _receiver;
    private readonly string _socketPath;

    public SyslogSinkTests()
    {
        _socketPath = _dir.File("log.sock");
        _receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _receiver.Bind(new UnixDomainSocketEndPoint(_socketPath));
        _receiver.ReceiveTimeout = 10_000;
    }

    private string Receive()
    {
        var buffer = new byte[65536];
        var n = _receiver.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void Info_event_arrives_as_rfc5424_datagram_with_daemon_facility()
    {
        var settings = DaemonSettings.Default with { Syslog = new SyslogSettings(_socketPath, "daemon") };
        using (var logger = (Serilog.Core.Logger)DaemonLogger.Create(settings, console: false, levelOverride: null))
            logger.Information("{Instance} entered {State}", "web:0", "RUNNING");

        var datagram = Receive();
        // <PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG; daemon (3) × 8 + informational (6) = 30.
        var fields = datagram.Split(' ', 8);
        Assert.Equal("<30>1", fields[0]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", fields[1]);
        Assert.Equal("taskmasterd", fields[3]);
        Assert.Equal(Environment.ProcessId.ToString(), fields[4]);
        Assert.Equal("-", fields[6]);
        Assert.Equal("\"web:0\" entered \"RUNNING\"", fields[7]);
    }

    [Fact]
    public void Warning_on_local3_gets_priority_156()
    {
        var settings = DaemonSettings.Default with { Syslog = new SyslogSettings(_socketPath, "local3") };
        using (var logger = (Serilog.Core.Logger)DaemonLogger.Create(settings, console: false, levelOverride: null))
            logger.Warning("client {Uid} refused", 1000);
        Assert.StartsWith("<156>1 ", Receive());
    }

    [Fact]
    public void Debug_events_are_filtered_below_the_configured_level()
    {
        var settings = DaemonSettings.Default with { Syslog = new SyslogSettings(_socketPath, "daemon"), LogLevel = "warn" };
        using (var logger = (Serilog.Core.Logger)DaemonLogger.Create(settings, console: false, levelOverride: null))
        {
            logger.Information("not sent");
            logger.Error("sent {N}", 1);
        }
        var datagram = Receive();
        Assert.StartsWith("<27>1 ", datagram);
        Assert.EndsWith("sent 1", datagram);
    }

    [Fact]
    public void Missing_syslog_socket_is_not_fatal_and_counts_drops()
    {
        using var sink = new Rfc5424SyslogSink(_dir.File("no-such.sock"), 3);
        using var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        logger.Information("one");
        logger.Information("two");
        Assert.Equal(2, sink.Dropped);
    }

    [Fact]
    public void Oversized_message_is_cut_to_the_datagram_cap()
    {
        var settings = DaemonSettings.Default with { Syslog = new SyslogSettings(_socketPath, "daemon") };
        using (var logger = (Serilog.Core.Logger)DaemonLogger.Create(settings, console: false, levelOverride: null))
            logger.Information("{Big}", new string('x', 100_000));
        Assert.Equal(Rfc5424SyslogSink.MaxDatagramBytes, Encoding.UTF8.GetByteCount(Receive()));
    }

    [Fact]
    public void Disabled_syslog_sends_nothing()
    {
        var settings = DaemonSettings.Default with { Syslog = null };
        using (var logger = (Serilog.Core.Logger)DaemonLogger.Create(settings, console: false, levelOverride: null))
            logger.Error("nowhere");
        _receiver.ReceiveTimeout = 300;
        Assert.Throws<SocketException>(() => Receive());
    }

    public void Dispose()
    {
        _receiver.Dispose();
        _dir.Dispose();
    }
}
