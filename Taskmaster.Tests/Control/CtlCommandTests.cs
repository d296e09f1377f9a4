using System.Collections.Immutable;
using System.Text.Json;
using Akka.TestKit;
using Taskmaster.Core.Config;
using Taskmaster.Core.Supervision;
using Taskmaster.Tests.Support;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Control;

/// <summary>
/// The real taskmasterctl binary against a real control socket; a TestProbe answers for the ConfigActor, so these
/// pin down the controller's output and exit codes (DESIGN §6) independently of the supervision core.
/// </summary>
public class CtlCommandTests : ListenerTestBase
{
    private readonly CannedSupervisor _canned = new();
    private List<object> _received => _canned.Received;
    private ImmutableArray<InstanceStatus> _instances { get => _canned.Instances; set => _canned.Instances = value; }

    public CtlCommandTests()
    {
        StartListener();
        _canned.Install(Supervisor);
    }

    private Task<RunResult> Ctl(params string[] args) => Binaries.RunAsync(Binaries.Ctl, ["-s", SocketPath, .. args]);

    [Fact]
    public async Task Status_prints_one_line_per_instance_and_exits_3_when_one_is_not_running()
    {
        var result = await Ctl("status");
        Assert.Equal(3, result.ExitCode);
        var lines = result.Stdout.TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^db\s+RUNNING\s+pid 4001, uptime 0:01:0\d$", lines[0]);
        Assert.Matches(@"^web:0\s+RUNNING\s+pid 4002, uptime 0:00:0\d$", lines[1]);
        Assert.Matches(@"^web:1\s+FATAL\s+spawn error: no such file$", lines[2]);
    }

    [Fact]
    public async Task Status_of_running_instances_exits_0()
    {
        var result = await Ctl("status", "db", "web:0");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, result.Stdout.TrimEnd().Split('\n').Length);
    }

    [Fact]
    public async Task Status_json_prints_the_documented_fields()
    {
        var result = await Ctl("status", "--json");
        Assert.Equal(3, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["db", "web:0", "web:1"], items.Select(i => i.GetProperty("name").GetString()));
        Assert.Equal("web", items[2].GetProperty("program").GetString());
        Assert.Equal("FATAL", items[2].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, items[2].GetProperty("pid").ValueKind);
        Assert.Equal(4002, items[1].GetProperty("pid").GetInt32());
        Assert.InRange(items[1].GetProperty("state_since").GetInt64(),
            DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Unknown_names_are_reported_with_exit_1()
    {
        var result = await Ctl("status", "foo");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("ERROR (no such process: foo)", result.Stderr.Trim());
        result = await Ctl("start", "foo");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("ERROR (no such process: foo)", result.Stderr.Trim());
    }

    [Fact]
    public async Task Start_prints_one_line_per_instance_and_fails_when_one_failed()
    {
        var result = await Ctl("start", "web");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("web:0: started", result.Stdout.Trim());
        Assert.Equal("web:1: ERROR (spawn error: no such file)", result.Stderr.Trim());
        result = await Ctl("stop", "all");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["db: stopped", "web:0: stopped", "web:1: stopped"], result.Stdout.Trim().Split('\n'));
        lock (_received) Assert.Contains(_received, m => m is StopTargets { Targets.IsEmpty: true });
    }

    [Fact]
    public async Task Signal_names_are_sent_as_numbers()
    {
        var result = await Ctl("signal", "USR1", "db");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("db: signalled 10", result.Stdout.Trim());
        lock (_received) Assert.Contains(_received, m => m is SignalTargets { Signal: 10 });
    }

    [Fact]
    public async Task Reload_dry_run_prints_the_plan_and_asks_for_a_dry_run()
    {
        var result = await Ctl("reload", "--dry-run");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("dry run", result.Stdout);
        Assert.Contains("added:     cache", result.Stdout);
        Assert.Contains("removed:   old", result.Stdout);
        Assert.Contains("restarted: web", result.Stdout);
        Assert.Contains("db numprocs 1 -> 2", result.Stdout);
        lock (_received) Assert.Contains(_received, m => m is Reload { DryRun: true });
    }

    [Fact]
    public async Task Pid_without_a_name_is_the_daemons_and_with_one_the_instances()
    {
        var result = await Ctl("pid");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Environment.ProcessId.ToString(), result.Stdout.Trim());
        result = await Ctl("pid", "web:0");
        Assert.Equal("4002", result.Stdout.Trim());
        result = await Ctl("pid", "web:1");
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Tail_prints_the_end_of_the_output_file()
    {
        var log = Dir.Write("db.out", string.Concat(Enumerable.Range(1, 500).Select(i => $"line {i}\n")));
        _instances = [.. _instances.Select(i => i.Name == "db" ? i with { StdoutPath = log } : i)];
        var result = await Ctl("tail", "-n", "18", "db");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("line 499\nline 500\n", result.Stdout);
        result = await Ctl("tail", "db", "stderr");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not kept", result.Stderr);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("start")]
    [InlineData("signal", "NOPE", "web")]
    [InlineData("tail", "web", "stdlog")]
    [InlineData("status", "--bogus")]
    public async Task Usage_errors_exit_2_and_name_the_command(params string[] args)
    {
        var result = await Ctl(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(args.Length > 1 || args[0] != "frobnicate" ? args[0] : "frobnicate", result.Stderr);
    }

    [Fact]
    public async Task A_daemon_that_is_not_running_is_named_by_its_socket_path()
    {
        var missing = Dir.File("nobody-here.sock");
        var result = await Binaries.RunAsync(Binaries.Ctl, ["-s", missing, "status"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(missing, result.Stderr);
        Assert.Contains("is the daemon running", result.Stderr);
    }

    [Fact]
    public async Task The_socket_comes_from_the_config_or_the_environment()
    {
        var config = Dir.Write("conf/taskmaster.yaml", $"taskmasterd:\n  socket: {SocketPath}\nprograms: {{}}\n");
        var result = await Binaries.RunAsync(Binaries.Ctl, ["-c", config, "pid"]);
        Assert.Equal(0, result.ExitCode);
        result = await Binaries.RunAsync(Binaries.Ctl, ["-c", Path.GetDirectoryName(config)!, "pid"]);
        Assert.Equal(0, result.ExitCode);
        result = await Binaries.RunAsync(Binaries.Ctl, ["pid"], env: new Dictionary<string, string> { ["TASKMASTER_SOCKET"] = SocketPath });
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Environment.ProcessId.ToString(), result.Stdout.Trim());
    }

    [Fact]
    public async Task A_config_that_does_not_exist_is_a_usage_error()
    {
        var result = await Binaries.RunAsync(Binaries.Ctl, ["-c", Dir.File("missing.yaml"), "status"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing.yaml", result.Stderr);
    }

    [Fact]
    public async Task Version_prints_both_versions()
    {
        var result = await Ctl("version");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"taskmasterctl \d+\.\d+\.\d+ \(protocol 1\)", result.Stdout);
        Assert.Matches(@"taskmasterd \d+\.\d+\.\d+", result.Stdout);
    }

    [Fact]
    public async Task Help_lists_every_command_and_explains_one()
    {
        var result = await Ctl("help");
        Assert.Equal(0, result.ExitCode);
        foreach (var c in new[] { "status", "start", "stop", "restart", "reload", "shutdown", "signal", "pid", "tail", "version", "exit" })
            Assert.Contains($"  {c} ", result.Stdout);
        result = await Ctl("help", "tail");
        Assert.Contains("--follow", result.Stdout);
    }

    [Fact]
    public async Task Piped_shell_lines_run_through_the_same_commands()
    {
        var psi = Binaries.StartInfo(Binaries.Ctl, ["-s", SocketPath]);
        using var p = System.Diagnostics.Process.Start(psi)!;
        await p.StandardInput.WriteAsync("status db\nstart nope\nquit\nstatus\n");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await p.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Matches(@"^db\s+RUNNING", await stdout);
        Assert.Single((await stdout).TrimEnd().Split('\n')); // nothing after quit
        Assert.Contains("ERROR (no such process: nope)", await stderr);
        Assert.Equal(0, p.ExitCode);
    }
}
