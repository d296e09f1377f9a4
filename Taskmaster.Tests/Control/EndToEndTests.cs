using System.Diagnostics;
using System.Text.Json;
using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>
/// A real daemon process and real controller processes (issue item 9): every command with its output and exit
/// status, as DESIGN §6 gives them.
/// </summary>
public class EndToEndTests : IAsyncLifetime
{
    private const string Programs = """
          sleeper:
            cmd: /bin/sleep 1000
            numprocs: 2
            starttime: 0
            stoptime: 5
          echoer:
            cmd: "/bin/sh -c 'echo hello from echoer; echo oops >&2; exec sleep 1000'"
            starttime: 0
            stdout: {dir}/echoer.out
            stderr: {dir}/echoer.err
          ticker:
            cmd: "/bin/sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'"
            starttime: 0
            stdout: {dir}/ticker.out
          broken:
            cmd: /nonexistent/taskmaster-test-binary
            autostart: false
            startretries: 0
            starttime: 0

        """;

    private RealDaemon? _started;
    private RealDaemon _daemon => _started!;

    public async ValueTask InitializeAsync()
    {
        _started = await new RealDaemon(Programs).StartAsync();
        try
        {
            foreach (var name in new[] { "sleeper:0", "sleeper:1", "echoer", "ticker" })
                await _daemon.WaitForStateAsync(name, "RUNNING");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var daemon = Interlocked.Exchange(ref _started, null);
        if (daemon is not null) await daemon.DisposeAsync();
    }

    [Fact]
    public async Task Status_lists_every_instance_and_exits_3_while_one_is_stopped()
    {
        var result = await _daemon.Ctl("status");
        Assert.Equal(3, result.ExitCode);
        var lines = result.Stdout.TrimEnd().Split('\n');
        Assert.Equal(["broken", "echoer", "sleeper:0", "sleeper:1", "ticker"], lines.Select(l => l.Split(' ')[0]));
        Assert.Matches(@"^broken\s+STOPPED", lines[0]);
        Assert.Matches(@"^sleeper:0\s+RUNNING\s+pid \d+, uptime \d+:\d\d:\d\d$", lines[2]);

        result = await _daemon.Ctl("status", "sleeper", "echoer");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.Stdout.TrimEnd().Split('\n').Length);
    }

    [Fact]
    public async Task Status_json_has_name_program_state_pid_and_state_since()
    {
        var result = await _daemon.Ctl("status", "--json");
        using var doc = JsonDocument.Parse(result.Stdout);
        var byName = doc.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal("sleeper", byName["sleeper:1"].GetProperty("program").GetString());
        Assert.Equal("RUNNING", byName["sleeper:1"].GetProperty("state").GetString());
        var pid = byName["sleeper:1"].GetProperty("pid").GetInt32();
        Assert.True(File.Exists($"/proc/{pid}/status"), "the pid is a live process");
        Assert.Equal(JsonValueKind.Null, byName["broken"].GetProperty("pid").ValueKind);
        Assert.True(byName["broken"].GetProperty("state_since").GetInt64() > 1_600_000_000_000);
    }

    [Fact]
    public async Task Unknown_names_are_an_error_with_exit_1_and_change_nothing()
    {
        var before = (await _daemon.StatusAsync()).Select(i => (i.Name, i.Pid)).ToArray();
        foreach (var command in new[] { "status", "start", "stop", "restart" })
        {
            var result = await _daemon.Ctl(command, "foo");
            Assert.Equal(1, result.ExitCode);
            Assert.Equal("ERROR (no such process: foo)", result.Stderr.Trim());
        }
        var stop = await _daemon.Ctl("stop", "sleeper:0", "foo");
        Assert.Equal(1, stop.ExitCode);
        Assert.Equal(before, (await _daemon.StatusAsync()).Select(i => (i.Name, i.Pid)).ToArray());
    }

    [Fact]
    public async Task Stop_start_and_restart_wait_for_the_outcome_one_line_per_instance()
    {
        var stop = await _daemon.Ctl("stop", "sleeper");
        Assert.Equal(0, stop.ExitCode);
        Assert.Equal(["sleeper:0: stopped", "sleeper:1: stopped"], stop.Stdout.Trim().Split('\n'));
        Assert.All((await _daemon.StatusAsync()).Where(i => i.Program == "sleeper"), i => Assert.Equal("STOPPED", i.State));

        var start = await _daemon.Ctl("start", "sleeper:1");
        Assert.Equal(0, start.ExitCode);
        Assert.Equal("sleeper:1: started", start.Stdout.Trim());
        Assert.Equal("RUNNING", (await _daemon.StatusAsync()).Single(i => i.Name == "sleeper:1").State);

        var pidBefore = (await _daemon.StatusAsync()).Single(i => i.Name == "echoer").Pid;
        var restart = await _daemon.Ctl("restart", "echoer");
        Assert.Equal(0, restart.ExitCode);
        Assert.Equal("echoer: started", restart.Stdout.Trim());
        var after = (await _daemon.StatusAsync()).Single(i => i.Name == "echoer");
        Assert.Equal("RUNNING", after.State);
        Assert.NotEqual(pidBefore, after.Pid);
    }

    [Fact]
    public async Task A_start_that_fails_reports_the_error_and_exits_1()
    {
        var result = await _daemon.Ctl("start", "broken");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("broken: ERROR (", result.Stderr.Trim());
    }

    [Fact]
    public async Task Signal_reaches_the_instance_and_pid_prints_pids()
    {
        var daemonPid = await _daemon.Ctl("pid");
        Assert.Equal(0, daemonPid.ExitCode);
        Assert.Equal(_daemon.Process!.Id.ToString(), daemonPid.Stdout.Trim());

        var pid = await _daemon.Ctl("pid", "sleeper:0");
        Assert.Equal(0, pid.ExitCode);
        var before = int.Parse(pid.Stdout.Trim());
        Assert.Equal(before, (await _daemon.StatusAsync()).Single(i => i.Name == "sleeper:0").Pid);

        var signal = await _daemon.Ctl("signal", "KILL", "sleeper:0");
        Assert.Equal(0, signal.ExitCode);
        Assert.StartsWith("sleeper:0: ", signal.Stdout.Trim());
        // Death by signal is unexpected: the instance comes back with a new pid.
        await Eventually.HoldsAsync(() =>
        {
            var i = _daemon.StatusAsync().GetAwaiter().GetResult().Single(x => x.Name == "sleeper:0");
            return i.State == "RUNNING" && i.Pid != before;
        }, "sleeper:0 restarted after SIGKILL", TimeSpan.FromSeconds(60));

        var usage = await _daemon.Ctl("signal", "NOSUCHSIG", "sleeper:0");
        Assert.Equal(2, usage.ExitCode);
    }

    [Fact]
    public async Task Tail_prints_stdout_or_stderr_and_follow_streams_new_output()
    {
        await Eventually.HoldsAsync(() => File.Exists(_daemon.Dir.File("echoer.err")) && new FileInfo(_daemon.Dir.File("echoer.err")).Length > 0, "echoer wrote");
        var stdout = await _daemon.Ctl("tail", "echoer");
        Assert.Equal(0, stdout.ExitCode);
        Assert.Contains("hello from echoer", stdout.Stdout);
        var stderr = await _daemon.Ctl("tail", "echoer", "stderr");
        Assert.Equal("oops\n", stderr.Stdout);

        var psi = Binaries.StartInfo(Binaries.Ctl, ["-s", _daemon.SocketPath, "tail", "-f", "-n", "0", "ticker"]);
        using var follow = Process.Start(psi)!;
        var seen = new System.Text.StringBuilder();
        follow.OutputDataReceived += (_, e) => { lock (seen) seen.AppendLine(e.Data); };
        follow.BeginOutputReadLine();
        try
        {
            await Eventually.HoldsAsync(() => { lock (seen) return seen.ToString().Split('\n').Count(l => l.StartsWith("tick ")) >= 3; },
                "three new ticks pushed to tail -f", TimeSpan.FromSeconds(30));
        }
        finally
        {
            follow.Kill();
        }
    }

    [Fact]
    public async Task Reload_dry_run_prints_the_plan_and_changes_nothing_then_reload_applies_it()
    {
        var before = (await _daemon.StatusAsync()).Select(i => (i.Name, i.Pid)).ToArray();
        _daemon.WriteConfig(Programs + """
              added:
                cmd: /bin/sleep 1000
                starttime: 0

            """);

        var dry = await _daemon.Ctl("reload", "--dry-run");
        Assert.Equal(0, dry.ExitCode);
        Assert.Contains("dry run", dry.Stdout);
        Assert.Contains("added:", dry.Stdout);
        Assert.Contains("added (would start)", dry.Stdout);
        Assert.Equal(before, (await _daemon.StatusAsync()).Select(i => (i.Name, i.Pid)).ToArray());

        var reload = await _daemon.Ctl("reload");
        Assert.Equal(0, reload.ExitCode);
        Assert.Contains("added (started)", reload.Stdout);
        var after = await _daemon.StatusAsync();
        Assert.Equal("RUNNING", after.Single(i => i.Name == "added").State);
        foreach (var (name, pid) in before)
            Assert.Equal(pid, after.Single(i => i.Name == name).Pid); // unchanged programs keep their pids
    }

    [Fact]
    public async Task An_invalid_config_on_reload_is_refused_and_the_old_one_keeps_running()
    {
        _daemon.WriteConfig("  bad:\n    numprocs: 1\n");
        var result = await _daemon.Ctl("reload");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ERROR (the new config is invalid", result.Stderr);
        Assert.Contains("cmd", result.Stderr);
        Assert.Contains((await _daemon.StatusAsync()), i => i.Name == "echoer" && i.State == "RUNNING");
    }

    [Fact]
    public async Task Version_and_help_work_against_the_daemon()
    {
        var version = await _daemon.Ctl("version");
        Assert.Equal(0, version.ExitCode);
        Assert.Contains("taskmasterd ", version.Stdout);
        var help = await _daemon.Ctl("help", "status");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--json", help.Stdout);
    }

    [Fact]
    public async Task Fifty_concurrent_clients_with_a_hundred_status_requests_each_are_all_answered()
    {
        var answered = 0;
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            using var client = await ControlClient.ConnectAsync(_daemon.SocketPath);
            for (var i = 0; i < 100; i++)
            {
                var r = await client.SendAsync(Request.For(Commands.Status));
                if (r.Ok && r.Instances!.Count == 5) Interlocked.Increment(ref answered);
            }
        }))).WaitAsync(TimeSpan.FromSeconds(180), TestContext.Current.CancellationToken);
        Assert.Equal(5000, answered);
    }

    [Fact]
    public async Task Subscribers_get_state_changes_pushed_by_the_daemon()
    {
        using var client = await ControlClient.ConnectAsync(_daemon.SocketPath, TestContext.Current.CancellationToken);
        var ack = await client.SendAsync(Request.For(Commands.Subscribe, ["sleeper:0"]), TestContext.Current.CancellationToken);
        Assert.True(ack.Ok);
        Assert.Equal("RUNNING", Assert.Single(ack.Instances!).State);

        var stop = _daemon.Ctl("stop", "sleeper:0");
        var states = new List<string>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        await foreach (var e in client.ReadEventsAsync(cts.Token))
        {
            Assert.Equal("sleeper:0", e.Name);
            states.Add($"{e.From}->{e.To}");
            if (e.To == "STOPPED") break;
        }
        Assert.Equal(["RUNNING->STOPPING", "STOPPING->STOPPED"], states);
        Assert.Equal(0, (await stop).ExitCode);
    }

    [Fact]
    public async Task Misbehaving_clients_of_the_real_daemon_do_not_disturb_others()
    {
        using var garbage = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        garbage.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(_daemon.SocketPath));
        garbage.Send("{{{ not json\n"u8);
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        silent.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(_daemon.SocketPath));
        silent.Send("{\"v\":1,\"comm"u8); // half a request, then nothing
        var huge = Task.Run(() =>
        {
            using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            s.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(_daemon.SocketPath));
            try { s.Send(new byte[2 * WireProtocol.MaxRequestLineBytes]); } catch (System.Net.Sockets.SocketException) { }
            var reply = new byte[4096];
            s.ReceiveTimeout = 30_000;
            return System.Text.Encoding.UTF8.GetString(reply, 0, s.Receive(reply));
        }, TestContext.Current.CancellationToken);

        var status = await _daemon.Ctl("status", "echoer");
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("line_too_long", await huge.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        var buffer = new byte[4096];
        garbage.ReceiveTimeout = 30_000;
        Assert.Contains("bad_request", System.Text.Encoding.UTF8.GetString(buffer, 0, garbage.Receive(buffer)));
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_socket_refuses_to_start()
    {
        var second = await Binaries.RunAsync(Binaries.Daemon, [_daemon.ConfigPath, "-n"], TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains($"already running, pid {_daemon.Process!.Id}", second.Output);
        Assert.True(RealDaemon.Answers(_daemon.SocketPath), "the first daemon still answers");
    }

    [Fact]
    public async Task Shutdown_stops_every_program_and_the_daemon()
    {
        var pids = (await _daemon.StatusAsync()).Where(i => i.Pid is not null).Select(i => i.Pid!.Value).ToArray();
        var result = await _daemon.Ctl("shutdown");
        Assert.Equal(0, result.ExitCode);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _daemon.Process!.WaitForExitAsync(cts.Token);
        Assert.Equal(0, _daemon.Process.ExitCode);
        Assert.False(File.Exists(_daemon.SocketPath), "the socket is removed");
        Assert.All(pids, pid => Assert.False(IsAlive(pid), $"program pid {pid} still runs"));
        var after = await _daemon.Ctl("status");
        Assert.Equal(1, after.ExitCode);
        Assert.Contains(_daemon.SocketPath, after.Stderr);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat.Split(')')[1].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
