using System.Net.Sockets;
using System.Text;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>
/// systemd's notify protocol as a real daemon speaks it to a datagram socket the test binds in systemd's place
/// (systemd itself does not run here): READY=1 with a STATUS once the socket answers, RELOADING=1 … READY=1 around
/// a reload, STOPPING=1 on SIGTERM, WATCHDOG=1 pings when WATCHDOG_USEC asks, and no program inherits the variables.
/// </summary>
public sealed class SystemdNotifyTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_daemon_reports_ready_reloading_stopping_and_pings_the_watchdog(bool abstractName)
    {
        await using var daemon = new RealDaemon("""
              web:
                cmd: /usr/bin/env
                autorestart: never
                starttime: 0
                stdout: {dir}/web.env
            """);
        var path = daemon.Dir.File("notify.sock");
        var address = abstractName ? "@taskmaster-test-" + Guid.NewGuid().ToString("N") : path;
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(abstractName ? "\0" + address[1..] : path));
        var messages = new List<string>();
        var receiving = ReceiveAllAsync(listener, messages);

        daemon.Environment["NOTIFY_SOCKET"] = address;
        daemon.Environment["WATCHDOG_USEC"] = "400000";
        await daemon.StartAsync();

        await Eventually.HoldsAsync(() => Has(messages, m => m.Contains("READY=1") && m.Contains("STATUS=")), "READY=1");
        await Eventually.HoldsAsync(() => Count(messages, "WATCHDOG=1") >= 3, "three watchdog pings");

        await daemon.WaitForStateAsync("web", "EXITED");
        var env = await File.ReadAllTextAsync(daemon.Dir.File("web.env"), TestContext.Current.CancellationToken);
        Assert.DoesNotContain("NOTIFY_SOCKET", env);
        Assert.DoesNotContain("WATCHDOG_USEC", env);

        var readyBefore = Count(messages, "READY=1");
        Assert.Equal(0, RealDaemon.Signal(daemon.Process!.Id, 1)); // SIGHUP
        await Eventually.HoldsAsync(() => Has(messages, m => m.Contains("RELOADING=1") && m.Contains("MONOTONIC_USEC=")), "RELOADING=1");
        await Eventually.HoldsAsync(() => Count(messages, "READY=1") > readyBefore, "READY=1 after the reload");
        string[] snapshot;
        lock (messages) snapshot = [.. messages];
        Assert.True(Array.FindLastIndex(snapshot, m => m.Contains("READY=1")) > Array.FindIndex(snapshot, m => m.Contains("RELOADING=1")),
            "READY=1 came before RELOADING=1: " + string.Join(" | ", snapshot));

        // A reload through the controller is announced the same way, and a rejected one ends it too.
        File.WriteAllText(daemon.ConfigPath, File.ReadAllText(daemon.ConfigPath) + "  broken: {numprocs: 2}\n");
        var reloadsBefore = Count(messages, "RELOADING=1");
        var readyBeforeBad = Count(messages, "READY=1");
        var reload = await daemon.Ctl("reload");
        Assert.NotEqual(0, reload.ExitCode);
        await Eventually.HoldsAsync(() => Count(messages, "RELOADING=1") > reloadsBefore && Count(messages, "READY=1") > readyBeforeBad,
            "RELOADING=1 and READY=1 around a rejected reload");

        await daemon.StopAsync();
        await Eventually.HoldsAsync(() => Has(messages, m => m.Contains("STOPPING=1")), "STOPPING=1");
        listener.Dispose();
        await receiving;
    }

    private static bool Has(List<string> messages, Func<string, bool> match)
    {
        lock (messages) return messages.Any(match);
    }

    private static int Count(List<string> messages, string line)
    {
        lock (messages) return messages.Count(m => m.Split('\n').Contains(line));
    }

    private static async Task ReceiveAllAsync(Socket socket, List<string> messages)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                lock (messages) messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }
}
