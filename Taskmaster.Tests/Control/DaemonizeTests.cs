using System.Diagnostics;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>Without <c>-n</c> the daemon detaches once its socket is up (issue item 5), with <c>--pidfile</c>.</summary>
public class DaemonizeTests
{
    private const string Programs = "  sleeper:\n    cmd: /bin/sleep 1000\n    starttime: 0\n";

    private static int SessionOf(int pid) =>
        int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]);

    private static async Task ShutdownAsync(RealDaemon daemon, int pid)
    {
        var result = await daemon.Ctl("shutdown");
        Assert.Equal(0, result.ExitCode);
        await Eventually.HoldsAsync(() => !Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z"),
            "the detached daemon exits", TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Without_n_the_daemon_detaches_once_its_socket_is_up_and_writes_its_pidfile()
    {
        await using var daemon = new RealDaemon(Programs);
        var pidFile = daemon.Dir.File("run/taskmasterd.pid");
        var parent = await daemon.DetachAsync("--pidfile", pidFile);
        Assert.True(parent.ExitCode == 0, parent.Output);

        // The socket is up as soon as the parent returns: the controller works at once.
        var status = await daemon.Ctl("status");
        Assert.True(status.ExitCode is 0 or 3, status.Output);
        Assert.Contains("sleeper", status.Stdout);

        var pid = int.Parse(File.ReadAllText(pidFile).Trim());
        Assert.Contains($"pid {pid}", parent.Stdout);
        Assert.Equal(pid.ToString(), (await daemon.Ctl("pid")).Stdout.Trim());
        Assert.Equal(pid, SessionOf(pid)); // a session of its own: no terminal hang-up reaches it

        await ShutdownAsync(daemon, pid);
        Assert.False(File.Exists(pidFile), "the pid file is removed at exit");
        Assert.False(File.Exists(daemon.SocketPath), "the socket is removed at exit");
    }

    [Fact]
    public async Task A_detaching_daemon_with_a_bad_config_fails_in_the_parent_with_the_error()
    {
        await using var daemon = new RealDaemon("  bad:\n    numprocs: two\n");
        var parent = await daemon.DetachAsync();
        Assert.NotEqual(0, parent.ExitCode);
        Assert.Contains("numprocs", parent.Stderr);
        Assert.False(File.Exists(daemon.SocketPath));
    }

    [Fact]
    public async Task A_detaching_daemon_on_a_socket_in_use_fails_with_already_running()
    {
        await using var first = await new RealDaemon(Programs).StartAsync();
        var parent = await first.DetachAsync();
        Assert.NotEqual(0, parent.ExitCode);
        Assert.Contains($"already running, pid {first.Process!.Id}", parent.Stderr);
    }

    [Fact]
    public async Task Taskmasterd_then_taskmasterctl_status_works_from_one_shell_line()
    {
        await using var daemon = new RealDaemon(Programs);
        var (d, dPrefix) = Binaries.Daemon;
        var (c, cPrefix) = Binaries.Ctl;
        string Q(string s) => "'" + s.Replace("'", "'\\''") + "'";
        var line = $"{string.Join(' ', new[] { d }.Concat(dPrefix).Append(daemon.ConfigPath).Select(Q))} >/dev/null && " +
                   $"{string.Join(' ', new[] { c }.Concat(cPrefix).Append("-s").Append(daemon.SocketPath).Append("status").Select(Q))}";
        var result = await Binaries.RunAsync(("/bin/sh", ["-c", line]), [], TimeSpan.FromSeconds(60), daemon.Marker);
        Assert.Matches(@"sleeper\s+(STARTING|RUNNING)", result.Stdout);
        var pid = int.Parse((await daemon.Ctl("pid")).Stdout.Trim());
        await ShutdownAsync(daemon, pid);
    }
}
