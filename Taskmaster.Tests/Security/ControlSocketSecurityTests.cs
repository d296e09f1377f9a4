using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Taskmaster.Core.Protocol;
using Taskmaster.Daemon.Control;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Security;

/// <summary>
/// Who may stand on either end of the control socket: the daemon refuses a socket directory someone else could
/// write, the controller refuses a server that is not root or its own user, refusals are terse and their logging
/// bounded, socket_group is judged by the peer's real groups, and a request cannot name a member twice.
/// </summary>
public sealed class ControlSocketSecurityTests
{
    private static readonly UnixFileMode Mode777 = (UnixFileMode)Convert.ToInt32("777", 8);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_daemon_refuses_a_default_socket_directory_that_someone_else_created_open_to_all()
    {
        if (!Nobody.Available) Assert.Skip("needs root, setpriv and python3");
        using var dir = new TempDir();
        Nobody.MakeSearchable(dir.Path);
        // The victim is nobody (its default socket is $XDG_RUNTIME_DIR/taskmaster/...); root plays the one who got
        // there first and left the directory writable by all.
        var runtime = Directory.CreateDirectory(dir.File("xdg")).FullName;
        Nobody.MakeSearchable(runtime);
        var trap = Directory.CreateDirectory(Path.Combine(runtime, "taskmaster")).FullName;
        File.SetUnixFileMode(trap, Mode777);
        var log = Directory.CreateDirectory(dir.File("log")).FullName;
        File.SetUnixFileMode(log, Mode777);
        var config = dir.Write("taskmaster.yaml",
            $"taskmasterd:\n  logdir: {log}\n  syslog: false\nprograms:\n  idle:\n    cmd: /bin/sleep 1000\n    autostart: false\n");

        var (daemon, prefix) = Binaries.Daemon;
        var result = await Binaries.RunAsync(("setpriv", [.. Nobody.Setpriv(), daemon, .. prefix]), [config, "-n"],
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = runtime, ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp" });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"refusing the socket directory {trap}", result.Output);
        Assert.Contains("belongs to uid 0", result.Output);
        Assert.False(File.Exists(Path.Combine(trap, "taskmasterd.sock")), result.Output);
    }

    [Fact]
    public void The_default_directory_must_be_a_private_directory_of_the_daemon_user_not_a_symlink()
    {
        using var dir = new TempDir();
        var own = Directory.CreateDirectory(dir.File("own")).FullName;
        File.SetUnixFileMode(own, (UnixFileMode)Convert.ToInt32("770", 8));
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Bind(Path.Combine(own, "s.sock"), 0x1C0, null, privateDirectory: true));
        Assert.Contains("writable by group or others", e.Message);

        var link = dir.File("link");
        var target = Directory.CreateDirectory(dir.File("target")).FullName;
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(link, target);
        e = Assert.Throws<ControlSocketException>(() => ControlSocket.Bind(Path.Combine(link, "s.sock"), 0x1C0, null, privateDirectory: true));
        Assert.Contains("symbolic link", e.Message);

        // A configured socket in a directory anyone may write (and that is not sticky) is refused too.
        var open = Directory.CreateDirectory(dir.File("open")).FullName;
        File.SetUnixFileMode(open, Mode777);
        e = Assert.Throws<ControlSocketException>(() => ControlSocket.Bind(Path.Combine(open, "s.sock"), 0x1C0, null));
        Assert.Contains("writable by others and not sticky", e.Message);

        // The private one of our own, 0700, is fine.
        File.SetUnixFileMode(own, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var socket = ControlSocket.Bind(Path.Combine(own, "s.sock"), 0x1C0, null, privateDirectory: true);
        ControlSocket.Close(socket, Path.Combine(own, "s.sock"));
    }

    [Fact]
    public void A_stale_socket_of_another_user_is_not_removed()
    {
        if (!Nobody.Available) Assert.Skip("needs root");
        using var dir = new TempDir();
        var path = dir.File("s.sock");
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            s.Bind(new UnixDomainSocketEndPoint(path));
            // .NET removes the sockets it bound on dispose: give it away first so that it stays, owned by nobody.
            Assert.Equal(0, Chown(path, Nobody.Uid, Nobody.Uid));
            File.Move(path, path + ".keep");
        }
        File.Move(path + ".keep", path);
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Bind(path, 0x1C0, null));
        Assert.Contains("a socket of uid 65534 is in the way", e.Message);
        Assert.True(File.Exists(path));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown(string path, uint owner, uint group);

    /// <summary>Listens as nobody, records every byte a client sends (until it hangs up), then exits.</summary>
    private const string FakeServer = """
        import os, socket, sys
        path, record = sys.argv[1], sys.argv[2]
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        s.listen(1)
        open(record + ".ready", "w").close()
        s.settimeout(60)
        c, _ = s.accept()
        c.settimeout(20)
        data = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        with open(record, "wb") as f:
            f.write(data)
        """;

    [Fact]
    public async Task The_controller_sends_nothing_to_a_server_that_is_neither_root_nor_its_own_user()
    {
        if (!Nobody.Available) Assert.Skip("needs root, setpriv and python3");
        using var dir = new TempDir();
        Nobody.MakeSearchable(dir.Path);
        var spot = Directory.CreateDirectory(dir.File("spot")).FullName;
        File.SetUnixFileMode(spot, Mode777);
        var socket = Path.Combine(spot, "taskmasterd.sock");
        var record = Path.Combine(spot, "received");

        var server = Nobody.RunPython(FakeServer, [socket, record]);
        await Eventually.HoldsAsync(() => File.Exists(record + ".ready") || server.IsCompleted, "the fake server listens", TimeSpan.FromSeconds(60));
        Assert.False(server.IsCompleted, server.IsCompleted ? (await server).Output : "");

        var ctl = await Binaries.RunAsync(Binaries.Ctl, ["-s", socket, "stop", "web"], TimeSpan.FromSeconds(60));
        var fake = await server;

        Assert.True(ctl.ExitCode == 4, ctl.Output);
        Assert.Contains(socket, ctl.Stderr);
        Assert.Contains("uid 65534", ctl.Stderr);
        Assert.Equal(0, fake.ExitCode);
        Assert.Equal(0, new FileInfo(record).Length);
    }

    [Fact]
    public async Task A_flood_of_refused_connects_gets_forbidden_and_only_a_few_log_lines()
    {
        if (!Nobody.Available) Assert.Skip("needs root, setpriv and python3");
        await using var daemon = new RealDaemon("  idle:\n    cmd: /bin/sleep 1000\n    autostart: false\n",
            "  socket_mode: \"0777\"\n  logfile: {dir}/daemon.log\n");
        Nobody.MakeSearchable(daemon.Dir.Path);
        await daemon.StartAsync();
        var logFile = daemon.Dir.File("daemon.log");
        await Eventually.HoldsAsync(() => File.Exists(logFile), "the daemon log exists", TimeSpan.FromSeconds(30));
        var before = new FileInfo(logFile).Length;

        const string flood = """
            import socket, sys, time
            replies, end = {}, time.time() + 90
            for i in range(int(sys.argv[2])):
                if time.time() > end:
                    break
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(20)
                s.connect(sys.argv[1])
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                s.close()
                replies[data] = replies.get(data, 0) + 1
            for reply, count in replies.items():
                print(count, reply.decode().strip())
            """;
        var result = await Nobody.RunPython(flood, [daemon.SocketPath, "2000"]);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal("2000 {\"v\":1,\"ok\":false,\"error\":{\"code\":\"forbidden\",\"message\":\"forbidden\"}}", result.Stdout.Trim());

        // The summary of the counted ones comes at the end of the interval.
        await Eventually.HoldsAsync(() => File.ReadAllText(logFile).Contains("more control clients"), "the summary line",
            TimeSpan.FromSeconds(60));
        var grown = new FileInfo(logFile).Length - before;
        Assert.True(grown < 8 * 1024, $"the log grew by {grown} bytes:\n{File.ReadAllText(logFile)}");
        Assert.True(RealDaemon.Answers(daemon.SocketPath));
    }

    [Fact]
    public async Task Socket_group_counts_the_peers_supplementary_groups_not_the_group_file()
    {
        if (!Nobody.Available || !File.Exists("/usr/sbin/groupadd")) Assert.Skip("needs root, setpriv, python3 and groupadd");
        var group = $"tmsec{Environment.ProcessId % 100000}";
        var add = await Binaries.RunAsync(("/usr/sbin/groupadd", []), [group]);
        Assert.True(add.ExitCode == 0, add.Output);
        try
        {
            var gid = uint.Parse((await Binaries.RunAsync(("getent", []), ["group", group])).Stdout.Split(':')[2]);
            // 0777: the file lets anyone connect, so the daemon's own check is what decides.
            await using var daemon = new RealDaemon("  idle:\n    cmd: /bin/sleep 1000\n    autostart: false\n",
                $"  socket_mode: \"0777\"\n  socket_group: {group}\n");
            Nobody.MakeSearchable(daemon.Dir.Path);
            await daemon.StartAsync();
            const string version = """{"v":1,"command":"version"}""";

            // Holds the group only as a supplementary group, not in /etc/group: allowed.
            var member = await Nobody.RunPython(Nobody.Client, [daemon.SocketPath, version], groups: [gid]);
            Assert.Contains("\"ok\":true", member.Stdout);

            // Listed in /etc/group, but the process dropped its supplementary groups: refused.
            var listed = await Binaries.RunAsync(("/usr/bin/gpasswd", []), ["-a", "nobody", group]);
            Assert.True(listed.ExitCode == 0, listed.Output);
            var dropped = await Nobody.RunPython(Nobody.Client, [daemon.SocketPath, version]);
            Assert.Equal("{\"v\":1,\"ok\":false,\"error\":{\"code\":\"forbidden\",\"message\":\"forbidden\"}}", dropped.Stdout.Trim());
        }
        finally
        {
            await Binaries.RunAsync(("/usr/sbin/groupdel", []), [group]);
        }
    }

    [Fact]
    public async Task A_request_that_names_a_member_twice_is_a_bad_request_and_does_nothing()
    {
        await using var daemon = await new RealDaemon("  idle:\n    cmd: /bin/sleep 1000\n    autostart: false\n").StartAsync();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(daemon.SocketPath), Ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync("{\"v\":1,\"command\":\"status\",\"command\":\"shutdown\"}\n"u8.ToArray(), Ct);
        using var reader = new LineReader(stream, WireProtocol.MaxResponseLineBytes);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        var line = await reader.ReadLineAsync(cts.Token);
        Assert.NotNull(line);
        var response = ProtocolJson.ParseResponse(line);
        Assert.False(response.Ok);
        Assert.Equal(ErrorCodes.BadRequest, response.Error!.Code);
        Assert.False(daemon.Process!.HasExited);
        Assert.True(RealDaemon.Answers(daemon.SocketPath));
    }
}
