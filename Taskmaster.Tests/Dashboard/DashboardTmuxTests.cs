using System.Diagnostics;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Dashboard;

/// <summary>
/// <c>taskmasterctl dashboard</c> (the binary <c>make</c> built: NativeAOT) in a real 120x30 terminal (tmux) against a
/// real daemon: it lists the instances live, stops the selected one, shows a restarted child's new pid, follows a
/// log, and quits with exit 0.
/// </summary>
public sealed class DashboardTmuxTests : IAsyncLifetime
{
    private const string Programs = """
          sleeper:
            cmd: /bin/sleep 1000
            numprocs: 2
            starttime: 0
            stoptime: 5
            autorestart: always
          echoer:
            cmd: "/bin/sh -c 'echo hello from echoer $$; echo oops on stderr >&2; exec sleep 1000'"
            starttime: 0

        """;

    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    private RealDaemon _daemon = null!;
    private readonly TmuxSession _tmux = new("dashboard");
    private readonly TempDir _dir = new();

    public async ValueTask InitializeAsync()
    {
        _daemon = await new RealDaemon(Programs).StartAsync();
        foreach (var name in new[] { "sleeper:0", "sleeper:1", "echoer" })
            await _daemon.WaitForStateAsync(name, "RUNNING");
    }

    public async ValueTask DisposeAsync()
    {
        _tmux.Dispose();
        await _daemon.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>The table cells of the row of <paramref name="name"/> on the screen (NAME, STATE, PID, DETAIL), or null.</summary>
    private static string[]? Row(string screen, string name) =>
        screen.Split('\n')
            .Select(line => line.Split('│').Select(c => c.Trim()).Where(c => c.Length > 0).ToArray())
            .FirstOrDefault(cells => cells.Length >= 2 && cells[0] == name);

    private async Task<int> PidOf(string name) =>
        (await _daemon.StatusAsync()).Single(i => i.Name == name).Pid ?? throw new InvalidOperationException($"{name} has no pid");

    /// <summary>Start the dashboard in tmux; its exit status and stderr land in files (the first is returned).</summary>
    private string StartDashboard(string socketPath)
    {
        var exitFile = _dir.File("exit");
        var (file, prefix) = Binaries.Ctl;
        var argv = string.Join(' ', new[] { "env", "TERM=xterm-256color", file }.Concat(prefix)
            .Concat(["-s", socketPath, "dashboard"]).Select(TmuxSession.Quote));
        _tmux.Start(["sh", "-c", $"{argv} 2> {TmuxSession.Quote(_dir.File("stderr"))}; echo $? > {TmuxSession.Quote(exitFile)}"],
            width: 120, height: 30);
        return exitFile;
    }

    private static async Task<string> ExitStatus(string exitFile)
    {
        await Eventually.HoldsAsync(() => File.Exists(exitFile) && File.ReadAllText(exitFile).Trim().Length > 0, "the dashboard exits", Within);
        return File.ReadAllText(exitFile).Trim();
    }

    [Fact]
    public async Task Dashboard_shows_a_lost_daemon_reconnects_when_it_is_back_and_quits_on_ctrl_c()
    {
        if (!TmuxSession.Available) Assert.Skip("tmux is not installed");
        var exitFile = StartDashboard(_daemon.SocketPath);
        await _tmux.WaitForScreenAsync(s => s.Contains("3 RUNNING"), "the instances", Within);
        _tmux.SendKeys("l"); // follow echoer (the first row)
        await _tmux.WaitForScreenAsync(s => s.Contains($"hello from echoer {PidOf("echoer").Result}"), "echoer's stdout", Within);

        await _daemon.StopAsync();
        await _tmux.WaitForScreenAsync(s => s.Contains("DISCONNECTED") && s.Contains("retrying"), "the lost daemon in the header", Within);

        await _daemon.StartAsync();
        foreach (var name in new[] { "sleeper:0", "sleeper:1", "echoer" })
            await _daemon.WaitForStateAsync(name, "RUNNING");
        var pid = await PidOf("sleeper:0");
        await _tmux.WaitForScreenAsync(s => !s.Contains("DISCONNECTED") && Row(s, "sleeper:0") is [_, "RUNNING", var p, ..] && p == pid.ToString(),
            "the dashboard back on the new daemon", Within);
        var echoer = await PidOf("echoer");
        await _tmux.WaitForScreenAsync(s => s.Contains($"hello from echoer {echoer}"), "the log pane following the new echoer", Within);

        _tmux.SendKeys("C-c");
        Assert.Equal("0", await ExitStatus(exitFile));
    }

    [Fact]
    public async Task Dashboard_without_a_daemon_says_so_and_exits_1()
    {
        if (!TmuxSession.Available) Assert.Skip("tmux is not installed");
        var socket = _dir.File("nobody-here.sock");
        var exitFile = StartDashboard(socket);
        Assert.Equal("1", await ExitStatus(exitFile));
        Assert.Contains($"cannot reach taskmasterd at {socket}", File.ReadAllText(_dir.File("stderr")));
    }

    [Fact]
    public async Task Dashboard_from_the_shell_returns_to_a_working_prompt()
    {
        if (!TmuxSession.Available) Assert.Skip("tmux is not installed");
        var exitFile = _dir.File("exit");
        var (file, prefix) = Binaries.Ctl;
        var argv = string.Join(' ', new[] { "env", $"HOME={_dir.Path}", "TERM=xterm-256color", file }.Concat(prefix)
            .Concat(["-s", _daemon.SocketPath]).Select(TmuxSession.Quote));
        _tmux.Start(["sh", "-c", $"{argv}; echo $? > {TmuxSession.Quote(exitFile)}"], width: 120, height: 30);
        await _tmux.WaitForScreenAsync(s => s.Contains("taskmasterctl>"), "the shell prompt", Within);

        _tmux.SendKeys("dashboard", "Enter");
        await _tmux.WaitForScreenAsync(s => s.Contains("3 RUNNING") && s.Contains("q quit"), "the dashboard", Within);
        _tmux.SendKeys("q");
        await _tmux.WaitForScreenAsync(s => s.TrimEnd().EndsWith("taskmasterctl>", StringComparison.Ordinal), "the prompt back", Within);

        _tmux.SendKeys("status sleeper", "Enter");
        await _tmux.WaitForScreenAsync(s => s.Contains("sleeper:1") && s.Contains("uptime"), "status after the dashboard", Within);
        _tmux.SendKeys("C-d");
        Assert.Equal("0", await ExitStatus(exitFile));
    }

    [Fact]
    public async Task Dashboard_needs_a_terminal()
    {
        var result = await _daemon.Ctl("dashboard");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("needs a terminal", result.Stderr);
    }

    [Fact]
    public async Task Dashboard_shows_live_state_stops_a_row_follows_restarts_and_logs_and_quits_with_0()
    {
        if (!TmuxSession.Available) Assert.Skip("tmux is not installed");
        var exitFile = StartDashboard(_daemon.SocketPath);

        // Every instance, RUNNING with its pid; the header names the socket and counts the states.
        var sleeper1 = await PidOf("sleeper:1");
        var screen = await _tmux.WaitForScreenAsync(s =>
            Row(s, "echoer") is [_, "RUNNING", ..] && Row(s, "sleeper:0") is [_, "RUNNING", ..]
            && Row(s, "sleeper:1") is [_, "RUNNING", var pid, ..] && pid == sleeper1.ToString(), "every instance RUNNING", Within);
        Assert.Contains(_daemon.SocketPath, screen);
        Assert.Contains("3 RUNNING", screen);
        Assert.Contains("q quit", screen);
        Assert.Matches(@"uptime \d+:\d\d:\d\d", Row(screen, "echoer")![3]);

        // The log pane follows the selected row (echoer, the first): stdout with l, stderr with e.
        _tmux.SendKeys("l");
        await _tmux.WaitForScreenAsync(s => s.Contains("echoer stdout") && s.Contains("hello from echoer"), "echoer's stdout in the pane", Within);
        _tmux.SendKeys("e");
        await _tmux.WaitForScreenAsync(s => s.Contains("echoer stderr") && s.Contains("oops on stderr"), "echoer's stderr in the pane", Within);
        _tmux.SendKeys("e");
        await _tmux.WaitForScreenAsync(s => !s.Contains("echoer stderr"), "the pane closed", Within);

        // x on the second row stops sleeper:0; the daemon agrees and the outcome is in the status bar.
        _tmux.SendKeys("Down");
        _tmux.SendKeys("x");
        screen = await _tmux.WaitForScreenAsync(s => Row(s, "sleeper:0") is [_, "STOPPED", ..], "sleeper:0 STOPPED", Within);
        await _daemon.WaitForStateAsync("sleeper:0", "STOPPED");
        await _tmux.WaitForScreenAsync(s => s.Contains("sleeper:0: stopped"), "the outcome line", Within);
        Assert.Equal("RUNNING", Row(screen, "sleeper:1")![1]);

        // A child killed behind the daemon's back is restarted: the dashboard shows the new pid.
        Process.GetProcessById(sleeper1).Kill();
        var fresh = 0;
        await _tmux.WaitForScreenAsync(s =>
        {
            var status = _daemon.StatusAsync().GetAwaiter().GetResult().Single(i => i.Name == "sleeper:1");
            fresh = status is { State: "RUNNING", Pid: { } p } && p != sleeper1 ? p : 0;
            return fresh != 0 && Row(s, "sleeper:1") is [_, "RUNNING", var pid, ..] && pid == fresh.ToString();
        }, "sleeper:1 RUNNING with a new pid", Within);

        // q quits: the process exits 0.
        _tmux.SendKeys("q");
        Assert.Equal("0", await ExitStatus(exitFile));
    }
}
