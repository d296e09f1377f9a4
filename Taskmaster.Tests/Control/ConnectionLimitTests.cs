using System.Net.Sockets;
using System.Text;
using Akka.TestKit;
using Taskmaster.Core.Protocol;
using Taskmaster.Core.Supervision;
using Taskmaster.Tests.Security;
using Taskmaster.Tests.Support;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Control;

/// <summary>
/// What one client may cost the daemon: a bounded number of connections per uid, a deadline for an unfinished
/// request line and for an idle connection (not for a stream), and memory that is given back when they leave.
/// </summary>
public sealed class ConnectionLimitTests : ListenerTestBase
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Read until the daemon hangs up (bounded by a deadline); the lines it sent on the way.</summary>
    private static async Task<(bool Closed, string Text)> ReadUntilClosed(Socket socket, TimeSpan within)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(within);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0) return (true, text.ToString());
                text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return (false, text.ToString());
        }
        catch (SocketException)
        {
            return (true, text.ToString());
        }
    }

    [Fact]
    public async Task A_request_line_left_unfinished_is_closed_after_the_request_timeout()
    {
        StartListener(DefaultSettings() with { RequestTimeout = TimeSpan.FromSeconds(1) });
        using var socket = RawConnect();
        await socket.SendAsync("{\"v\":1,\"command\":\"sta"u8.ToArray(), SocketFlags.None, Ct);
        var (closed, text) = await ReadUntilClosed(socket, TimeSpan.FromSeconds(30));
        Assert.True(closed, "the half-sent request kept its connection open");
        Assert.Contains("\"code\":\"timeout\"", text);
        Assert.Contains("request not finished", text);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_but_a_subscription_is_not()
    {
        StartListener(DefaultSettings() with { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        using var client = await Connect();
        var pending = client.SendAsync(Request.For(Commands.Subscribe), Ct);
        Supervisor.ExpectMsg<GetStatus>(cancellationToken: Ct);
        Supervisor.Reply(new StatusReply([]));
        Assert.True((await pending).Ok);

        using var idle = RawConnect();
        var (closed, text) = await ReadUntilClosed(idle, TimeSpan.FromSeconds(30));
        Assert.True(closed, "an idle connection stayed open");
        Assert.Contains("no request for", text);

        // The subscription outlived the idle one by now and still carries events.
        Sys.EventStream.Publish(new InstanceTransition("web", "web", ProcessState.Starting, ProcessState.Running, "up", 5, null, null, DateTimeOffset.UtcNow));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        await using var events = client.ReadEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("web", events.Current.Name);
    }

    [Fact]
    public async Task Connections_over_the_per_uid_limit_are_refused_and_root_is_still_served()
    {
        if (!Nobody.Available) Assert.Skip("needs root, setpriv and python3");
        await using var daemon = new RealDaemon("  idle:\n    cmd: /bin/sleep 1000\n    autostart: false\n",
            "  socket_mode: \"0770\"\n  socket_group: nogroup\n");
        Nobody.MakeSearchable(daemon.Dir.Path);
        await daemon.StartAsync();
        var results = daemon.Dir.File("results");
        var done = daemon.Dir.File("done");
        File.SetUnixFileMode(daemon.Dir.Path, (UnixFileMode)Convert.ToInt32("777", 8)); // nobody writes the results

        const string hog = """
            import os, socket, sys, time
            path, results, done, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
            held, counts = [], {}
            for i in range(n):
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(20)
                s.connect(path)
                try:
                    s.sendall(b'{"v":1,"command":"version"}\n')
                except (BrokenPipeError, ConnectionResetError):
                    pass  # refused at accept: the daemon wrote its answer and hung up before the request went out
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                kind = "ok" if b'"ok":true' in data else data.decode().strip()
                counts[kind] = counts.get(kind, 0) + 1
                held.append(s)
            with open(results + ".tmp", "w") as f:
                for kind, count in sorted(counts.items()):
                    f.write(f"{count} {kind}\n")
            os.rename(results + ".tmp", results)
            end = time.time() + 60
            while not os.path.exists(done) and time.time() < end:
                time.sleep(0.05)
            """;
        var run = Nobody.RunPython(hog, [daemon.SocketPath, results, done, "100"], groups: null);
        await Eventually.HoldsAsync(() => File.Exists(results) || run.IsCompleted, "the connections are open", TimeSpan.FromSeconds(90));
        Assert.True(File.Exists(results), run.IsCompleted ? (await run).Output : "");
        var lines = File.ReadAllLines(results);

        // While nobody holds its 64: root is served.
        var status = await daemon.Ctl("status");
        File.WriteAllText(done, "");
        var finished = await run;

        Assert.Equal(
        [
            "64 ok",
            "36 {\"v\":1,\"ok\":false,\"error\":{\"code\":\"too_many_connections\",\"message\":\"too many connections\"}}",
        ], lines);
        Assert.True(status.ExitCode == 3, status.Output); // answered: idle is STOPPED
        Assert.Contains("idle", status.Stdout);
        Assert.Equal(0, finished.ExitCode);
    }

    private static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    private static int Sockets(int pid) =>
        Directory.EnumerateFiles($"/proc/{pid}/fd").Count(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
            }
            catch (IOException)
            {
                return false;
            }
        });

    [Fact]
    public async Task Many_unfinished_megabyte_requests_leave_the_daemon_small_and_every_connection_closed()
    {
        if (!File.Exists(Nobody.Python)) Assert.Skip("needs python3");
        await using var daemon = await new RealDaemon("  idle:\n    cmd: /bin/sleep 1000\n    autostart: false\n").StartAsync();
        var pid = daemon.Process!.Id;
        var sockets = Sockets(pid);

        // 300 connections, each sends ~1 MiB without a newline (just under the request limit), then all hang up.
        const string flood = """
            import socket, sys, time
            path, n = sys.argv[1], int(sys.argv[2])
            conns, sent, end = [], 0, time.time() + 120
            for i in range(n):
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(20)
                s.connect(path)
                conns.append(s)
            chunk = b"x" * 1000000
            for s in conns:
                if time.time() > end:
                    break
                try:
                    s.sendall(chunk)
                    sent += 1
                except OSError:
                    pass
            for s in conns:
                s.close()
            print(sent)
            """;
        var result = await Binaries.RunAsync((Nobody.Python, []), ["-c", flood, daemon.SocketPath, "300"], TimeSpan.FromSeconds(180));
        Assert.True(result.ExitCode == 0, result.Output);

        long rss = 0;
        int open = 0;
        var settled = await Eventually.TrueAsync(() =>
        {
            rss = RssBytes(pid);
            open = Sockets(pid);
            return rss < 300L * 1024 * 1024 && open <= sockets;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        Assert.True(settled, $"daemon RSS {rss / (1024 * 1024)} MiB, {open} sockets open (before: {sockets}); sent {result.Stdout.Trim()}");
        Assert.True(RealDaemon.Answers(daemon.SocketPath));
    }
}
