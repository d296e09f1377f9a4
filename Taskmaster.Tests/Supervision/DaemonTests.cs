using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Taskmaster.Core.Processes;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// The issue's Must-show, end to end: the real <c>taskmasterd -n</c> on a config directory, real children, real
/// signals, observed through the daemon's console log.
/// </summary>
public sealed partial class DaemonTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _daemon;

    [GeneratedRegex(@"^\S+ \S+ \w+ (?<name>\S+) (?<from>[A-Z]+) -> (?<to>[A-Z]+)(?: pid (?<pid>\d+))?:")]
    private static partial Regex TransitionLine();

    private sealed record Seen(string Name, string From, string To, int? Pid);

    private IEnumerable<Seen> Transitions() =>
        _log.Select(l => TransitionLine().Match(l)).Where(m => m.Success).Select(m => new Seen(
            m.Groups["name"].Value, m.Groups["from"].Value, m.Groups["to"].Value,
            m.Groups["pid"].Success ? int.Parse(m.Groups["pid"].Value) : null));

    private int? LastPid(string name, string to = "RUNNING") =>
        Transitions().LastOrDefault(t => t.Name == name && t.To == to)?.Pid;

    private static bool Alive(int pid) => Tmds.Linux.LibC.kill(pid, 0) == 0;

    private string Config(string steadyCommand) => $"""
        taskmasterd:
          syslog: false
          logdir: {_dir.Path}/log
          socket: {_dir.Path}/taskmasterd.sock
        programs:
          sleeper:
            cmd: sleep 1000
            numprocs: 2
            starttime: 1
            stoptime: 3
          steady:
            cmd: {steadyCommand}
            starttime: 1
            stoptime: 3
          crasher:
            cmd: /bin/sh -c 'exit 3'
            startretries: 2
            starttime: 1
        """;

    /// <param name="ignoring">Signals the daemon inherits as ignored (<c>trap '' ...</c> in the shell that execs it).</param>
    private void StartDaemon(string? ignoring = null)
    {
        var (file, prefix) = Binaries.Daemon;
        var psi = ignoring is null
            ? Binaries.StartInfo((file, prefix), [_dir.Path + "/conf", "-n"])
            : Binaries.StartInfo(("/bin/sh", ["-c", $"trap '' {ignoring}; exec \"$@\"", "sh", file, .. prefix]), [_dir.Path + "/conf", "-n"]);
        _daemon = Process.Start(psi)!;
        _daemon.OutputDataReceived += (_, e) => { if (e.Data is { } line) { _log.Enqueue(line); } };
        _daemon.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { _log.Enqueue(line); } };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
    }

    [Fact]
    public async Task Daemon_runs_restarts_reloads_one_program_and_stops_everything_on_SIGTERM()
    {
        _dir.Write("conf/taskmaster.yaml", Config("sleep 2000"));
        StartDaemon();

        await Eventually.HoldsAsync(() => LastPid("sleeper:0") is not null && LastPid("sleeper:1") is not null
            && LastPid("steady") is not null, "every sleeper RUNNING", TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(() => Transitions().Any(t => t.Name == "crasher" && t.From == "BACKOFF" && t.To == "FATAL"),
            "crasher BACKOFF -> FATAL", TimeSpan.FromSeconds(30));

        // kill -9 of a supervised child: a new pid follows.
        var victim = LastPid("sleeper:0")!.Value;
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Tmds.Linux.LibC.kill(victim, Signals.SIGKILL));
        Assert.True(await Eventually.TrueAsync(() => LastPid("sleeper:0", "STARTING") is { } p && p != victim,
            TimeSpan.FromSeconds(10), every: TimeSpan.FromMilliseconds(2)), "sleeper:0 was not restarted with a new pid");
        output.WriteLine($"kill -9 -> new pid seen in the log after {clock.Elapsed.TotalMilliseconds:0.0} ms");
        await Eventually.HoldsAsync(() => LastPid("sleeper:0") is { } p && p != victim, "sleeper:0 RUNNING again", TimeSpan.FromSeconds(10));

        // Edit one program and SIGHUP: only that one restarts.
        var sleepers = new[] { LastPid("sleeper:0")!.Value, LastPid("sleeper:1")!.Value };
        var steady = LastPid("steady")!.Value;
        var spawnsBefore = Transitions().Count(t => t.Name.StartsWith("sleeper", StringComparison.Ordinal) && t.To == "STARTING");
        _dir.Write("conf/taskmaster.yaml", Config("sleep 3000"));
        Assert.Equal(0, Tmds.Linux.LibC.kill(_daemon!.Id, Signals.SIGHUP));
        await Eventually.HoldsAsync(() => LastPid("steady") is { } p && p != steady, "steady restarted by the reload", TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(() => _log.Any(l => l.Contains("reload applied")), "reload applied", TimeSpan.FromSeconds(30));
        Assert.False(Alive(steady));
        Assert.All(sleepers, p => Assert.True(Alive(p)));
        Assert.Equal(spawnsBefore, Transitions().Count(t => t.Name.StartsWith("sleeper", StringComparison.Ordinal) && t.To == "STARTING"));

        // SIGTERM: every program stopped, exit 0, no child left.
        var children = sleepers.Append(LastPid("steady")!.Value).ToArray();
        Assert.Equal(0, Tmds.Linux.LibC.kill(_daemon.Id, Signals.SIGTERM));
        Assert.True(_daemon.WaitForExit(TimeSpan.FromSeconds(30)), "daemon did not exit after SIGTERM");
        _daemon.WaitForExit(); // exited: this one also waits until its output has been read to the end
        Assert.Equal(0, _daemon.ExitCode);
        Assert.All(children, p => Assert.False(Alive(p), $"pid {p} left behind"));
        Assert.Contains(_log, l => l.Contains("every program is stopped"));
    }

    /// <summary>A config with one program printing a line every 50 ms into a file; returns the file's path.</summary>
    private string WriteTickerConfig()
    {
        var output = _dir.File("ticker.out");
        _dir.Write("conf/taskmaster.yaml", $"""
            taskmasterd:
              syslog: false
              socket: {_dir.Path}/taskmasterd.sock
            programs:
              ticker:
                cmd: /bin/sh -c 'while true; do echo tick; sleep 0.05; done'
                starttime: 1
                stdout: {output}
            """);
        return output;
    }

    [Fact]
    public async Task Daemon_reopens_output_files_on_SIGUSR2_and_stops_on_SIGINT()
    {
        var output = WriteTickerConfig();
        StartDaemon();
        await Eventually.HoldsAsync(() => LastPid("ticker") is not null, "ticker RUNNING", TimeSpan.FromSeconds(30));
        var pid = LastPid("ticker")!.Value;

        File.Move(output, output + ".1");
        Assert.Equal(0, Tmds.Linux.LibC.kill(_daemon!.Id, Signals.SIGUSR2));
        await Eventually.HoldsAsync(() => File.Exists(output) && new FileInfo(output).Length > 0,
            "a new output file after SIGUSR2", TimeSpan.FromSeconds(10));

        Assert.Equal(0, Tmds.Linux.LibC.kill(_daemon.Id, Signals.SIGINT));
        Assert.True(_daemon.WaitForExit(TimeSpan.FromSeconds(30)), "daemon did not exit after SIGINT");
        _daemon.WaitForExit(); // exited: this one also waits until its output has been read to the end
        Assert.Equal(0, _daemon.ExitCode);
        Assert.False(Alive(pid), "ticker left behind");
        Assert.Contains(Transitions(), t => t.Name == "ticker" && t.To == "STOPPED");
    }

    [Fact]
    public async Task Daemon_started_with_its_signals_ignored_still_reloads_reopens_and_stops_gracefully()
    {
        // A script's background job inherits SIGINT ignored, nohup SIGHUP; the runtime keeps an inherited SIG_IGN
        // unless the daemon resets it, and these signals would then do nothing at all.
        var output = WriteTickerConfig();
        StartDaemon(ignoring: "HUP INT USR2");
        await Eventually.HoldsAsync(() => LastPid("ticker") is not null, "ticker RUNNING", TimeSpan.FromSeconds(30));
        var pid = LastPid("ticker")!.Value;

        Assert.Equal(0, Tmds.Linux.LibC.kill(_daemon!.Id, Signals.SIGHUP));
        await Eventually.HoldsAsync(() => _log.Any(l => l.Contains("reload applied")), "reload applied after SIGHUP", TimeSpan.FromSeconds(30));

        File.Move(output, output + ".1");
        Assert.Equal(0, Tmds.Linux.LibC.kill(_daemon.Id, Signals.SIGUSR2));
        await Eventually.HoldsAsync(() => File.Exists(output) && new FileInfo(output).Length > 0,
            "a new output file after SIGUSR2", TimeSpan.FromSeconds(30));

        Assert.Equal(0, Tmds.Linux.LibC.kill(_daemon.Id, Signals.SIGINT));
        Assert.True(_daemon.WaitForExit(TimeSpan.FromSeconds(30)), "daemon did not exit after SIGINT");
        _daemon.WaitForExit();
        Assert.Equal(0, _daemon.ExitCode);
        Assert.False(Alive(pid), "ticker left behind");
        Assert.Contains(_log, l => l.Contains("SIGINT: stopping every program"));
    }

    [Fact]
    public async Task Daemon_refuses_an_invalid_config_with_exit_2_and_the_errors()
    {
        _dir.Write("conf/taskmaster.yaml", "programs:\n  web:\n    cmd: sleep 1\n    numprocs: zero\n");
        var result = await Binaries.RunDaemonAsync(_dir.Path + "/conf", "-n");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("numprocs", result.Stderr);
    }

    public void Dispose()
    {
        foreach (var line in _log) output.WriteLine(line);
        if (_daemon is { HasExited: false }) _daemon.Kill(entireProcessTree: true);
        _daemon?.Dispose();
        _dir.Dispose();
    }
}
