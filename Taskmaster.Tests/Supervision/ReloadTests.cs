using System.Collections.Immutable;
using Akka.Actor;
using Taskmaster.Actors;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Supervision;

/// <summary>Program-granular reload (DESIGN §5) applied by the ConfigActor, on virtual time.</summary>
public sealed class ReloadTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    private ConfigLoadResult _next = ConfigLoadResult.Fail([]);

    private IActorRef Supervisor(params ProgramSpec[] programs) =>
        Sys.ActorOf(ConfigActor.Props(Config(programs), () => _next, Spawner));

    private static ProgramSpec Quick(string name) => Spec(name) with { StartTime = TimeSpan.Zero };

    private ReloadReply Reload(IActorRef supervisor, bool dryRun, params ProgramSpec[] programs)
    {
        _next = ConfigLoadResult.Ok(Config(programs));
        supervisor.Tell(new SupervisorProtocol.Reload(dryRun));
        return ExpectMsg<ReloadReply>(TimeSpan.FromSeconds(5), cancellationToken: Ct);
    }

    private ImmutableArray<InstanceStatus> Status(IActorRef supervisor)
    {
        supervisor.Tell(new GetStatus([]));
        return ExpectMsg<StatusReply>(cancellationToken: Ct).Instances;
    }

    private Dictionary<string, int?> Pids(IActorRef supervisor) => Status(supervisor).ToDictionary(s => s.Name, s => s.Pid);

    [Fact]
    public void An_unchanged_program_keeps_its_process_and_a_cmd_change_restarts_only_that_program()
    {
        var supervisor = Supervisor(Quick("web"), Quick("db"));
        AwaitAll(ProcessState.Running, "web", "db");
        var before = Pids(supervisor);

        var reply = Reload(supervisor, false, Quick("web") with { Command = "/bin/web --v2", Argv = ["/bin/web", "--v2"] }, Quick("db"));

        Assert.True(reply.Applied);
        Assert.Equal(["web"], reply.Plan!.Restarted);
        Assert.Equal(["db"], reply.Plan.Unchanged);
        var after = Pids(supervisor);
        Assert.Equal(before["db"], after["db"]);
        Assert.NotEqual(before["web"], after["web"]);
        Assert.NotNull(after["web"]);
        Assert.Equal(["/bin/web", "--v2"], Spawner.LastOf("web").Request.Argv);
        Assert.Equal([Signals.SIGTERM], Spawner.ChildrenOf("web")[0].SignalsReceived);
        Assert.Empty(Spawner.ChildrenOf("db")[0].SignalsReceived);
        Assert.Equal(1, Spawner.SpawnCount("db"));
    }

    [Fact]
    public void Reload_answers_only_once_the_restarted_program_is_running_again()
    {
        var supervisor = Supervisor(Spec("web"));
        BringToRunning("web", Spec("web"));

        _next = ConfigLoadResult.Ok(Config(Spec("web") with { Env = ImmutableSortedDictionary<string, string>.Empty.Add("V", "2") }));
        supervisor.Tell(new SupervisorProtocol.Reload(false));
        AwaitTransition("web", ProcessState.Stopping);
        AwaitTransition("web", ProcessState.Starting);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100), Ct);
        Clock.Advance(TimeSpan.FromSeconds(1));
        AwaitTransition("web", ProcessState.Running);
        var reply = ExpectMsg<ReloadReply>(cancellationToken: Ct);
        Assert.True(reply.Applied);
        Assert.Equal([new InstanceOutcome("web", true, "started")], reply.Outcomes);
        Assert.Equal("2", Spawner.LastOf("web").Request.Env["V"]);
    }

    [Fact]
    public void An_autorestart_change_applies_live_without_a_restart()
    {
        var supervisor = Supervisor(Quick("web") with { AutoRestart = AutoRestart.Never });
        AwaitTransition("web", ProcessState.Running);
        var child = Spawner.LastOf("web");

        var reply = Reload(supervisor, false, Quick("web") with { AutoRestart = AutoRestart.Always });
        Assert.Equal(["web"], reply.Plan!.Changed);
        ExpectNoTransition();
        Assert.Empty(child.SignalsReceived);

        child.Exit(0);
        AwaitTransition("web", ProcessState.Exited);
        ExpectTransition("web", ProcessState.Starting);
    }

    [Fact]
    public void A_stopsignal_change_applies_live_to_the_next_stop()
    {
        var supervisor = Supervisor(Quick("web"));
        AwaitTransition("web", ProcessState.Running);
        Reload(supervisor, false, Quick("web") with { StopSignal = Signals.SIGQUIT });

        supervisor.Tell(new StopTargets(["web"]));
        ExpectMsg<CommandReply>(cancellationToken: Ct);
        Assert.Equal([Signals.SIGQUIT], Spawner.LastOf("web").SignalsReceived);
    }

    [Fact]
    public void Numprocs_2_to_4_to_1_adds_and_removes_instances_at_the_end_and_keeps_the_others()
    {
        var supervisor = Supervisor(Quick("web") with { NumProcs = 2 });
        AwaitAll(ProcessState.Running, "web:0", "web:1");
        var two = Pids(supervisor);

        var up = Reload(supervisor, false, Quick("web") with { NumProcs = 4 });
        Assert.Equal([new ScaleChange("web", 2, 4)], up.Plan!.Scaled);
        var four = Pids(supervisor);
        Assert.Equal(["web:0", "web:1", "web:2", "web:3"], four.Keys);
        Assert.Equal((two["web:0"], two["web:1"]), (four["web:0"], four["web:1"]));
        Assert.All(four.Values, pid => Assert.NotNull(pid));

        var down = Reload(supervisor, false, Quick("web") with { NumProcs = 1 });
        Assert.Equal([new ScaleChange("web", 4, 1)], down.Plan!.Scaled);
        var one = Status(supervisor).Single();
        Assert.Equal(("web", ProcessState.Running, two["web:0"]), (one.Name, one.State, one.Pid));
        Assert.Single(Spawner.Alive);
        Assert.Equal(4, Spawner.Children.Count);
    }

    [Fact]
    public void Numprocs_1_to_2_renames_web_to_web0_keeping_its_process()
    {
        var supervisor = Supervisor(Quick("web"));
        var running = AwaitTransition("web", ProcessState.Running);

        Reload(supervisor, false, Quick("web") with { NumProcs = 2 });
        var status = Status(supervisor);
        Assert.Equal(["web:0", "web:1"], status.Select(s => s.Name));
        Assert.Equal(running.Pid, status[0].Pid);
        Assert.Equal(2, Spawner.Children.Count);
        Assert.Empty(Spawner.Children[0].SignalsReceived);
    }

    [Fact]
    public void A_removed_program_is_stopped_and_forgotten()
    {
        var supervisor = Supervisor(Quick("web"), Quick("db"));
        AwaitAll(ProcessState.Running, "web", "db");

        var reply = Reload(supervisor, false, Quick("db"));
        Assert.Equal(["web"], reply.Plan!.Removed);
        Assert.True(Spawner.LastOf("web").HasExited);
        Assert.Equal([Signals.SIGTERM], Spawner.LastOf("web").SignalsReceived);
        supervisor.Tell(new GetStatus(["web"]));
        Assert.Equal(["web"], ExpectMsg<UnknownTargets>(cancellationToken: Ct).Names);
        Assert.Equal(["db"], Status(supervisor).Select(s => s.Name));
    }

    [Fact]
    public void An_added_program_starts_when_autostart()
    {
        var supervisor = Supervisor(Quick("web"));
        AwaitTransition("web", ProcessState.Running);

        var reply = Reload(supervisor, false, Quick("web"), Quick("db") with { NumProcs = 2 }, Quick("cron") with { AutoStart = false });
        Assert.Equal(["cron", "db"], reply.Plan!.Added.Order());
        var status = Status(supervisor).ToDictionary(s => s.Name, s => s.State);
        Assert.Equal(ProcessState.Running, status["db:0"]);
        Assert.Equal(ProcessState.Running, status["db:1"]);
        Assert.Equal(ProcessState.Stopped, status["cron"]);
    }

    [Fact]
    public void An_invalid_config_is_rejected_with_its_errors_and_the_old_one_keeps_running()
    {
        var supervisor = Supervisor(Quick("web"));
        AwaitTransition("web", ProcessState.Running);
        var before = Pids(supervisor);

        var error = new ConfigError("/etc/taskmaster/web.yaml", 3, 5, "programs.web.numprocs", "must be at least 1");
        _next = ConfigLoadResult.Fail([error]);
        supervisor.Tell(new SupervisorProtocol.Reload(false));
        var reply = ExpectMsg<ReloadReply>(cancellationToken: Ct);

        Assert.False(reply.Ok);
        Assert.False(reply.Applied);
        Assert.Equal([error], reply.Errors);
        ExpectNoTransition();
        Assert.Equal(before, Pids(supervisor));
    }

    [Fact]
    public void A_dry_run_returns_the_plan_and_changes_nothing()
    {
        var supervisor = Supervisor(Quick("web"), Quick("db"));
        AwaitAll(ProcessState.Running, "web", "db");

        var reply = Reload(supervisor, true, Quick("web") with { Command = "/bin/other", Argv = ["/bin/other"] });
        Assert.False(reply.Applied);
        Assert.Equal(["web"], reply.Plan!.Restarted);
        Assert.Equal(["db"], reply.Plan.Removed);
        ExpectNoTransition();
        Assert.Equal(["db", "web"], Status(supervisor).Select(s => s.Name));
    }

    [Fact]
    public void A_run_change_gives_a_FATAL_instance_a_new_chance_and_leaves_a_stopped_one_stopped()
    {
        Spawner.Before = r => r.Argv[0] == "/bin/broken"
            ? new SpawnResult.Failed(SpawnErrorKind.CommandNotFound, "spawn error: command not found: /bin/broken")
            : null;
        var supervisor = Supervisor(
            Quick("web") with { Command = "/bin/broken", Argv = ["/bin/broken"], StartRetries = 0 },
            Quick("cron") with { AutoStart = false });
        AwaitTransition("web", ProcessState.Fatal);

        var reply = Reload(supervisor, false, Quick("web"), Quick("cron") with { Command = "/bin/cron -x", Argv = ["/bin/cron", "-x"], AutoStart = false });
        Assert.Equal(["cron", "web"], reply.Plan!.Restarted.Order());
        var status = Status(supervisor).ToDictionary(s => s.Name, s => s.State);
        Assert.Equal(ProcessState.Running, status["web"]);
        Assert.Equal(ProcessState.Stopped, status["cron"]);
    }

    [Fact]
    public void A_policy_change_gives_a_FATAL_instance_a_new_chance()
    {
        var supervisor = Supervisor(Spec("web") with { StartRetries = 0 });
        AwaitTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);
        AwaitTransition("web", ProcessState.Fatal);

        _next = ConfigLoadResult.Ok(Config(Spec("web") with { StartRetries = 5 }));
        supervisor.Tell(new SupervisorProtocol.Reload(false));
        var again = AwaitTransition("web", ProcessState.Starting);
        Assert.Equal(ProcessState.Fatal, again.From);
        Clock.Advance(TimeSpan.FromSeconds(1));
        AwaitTransition("web", ProcessState.Running);
        Assert.Equal(["web"], ExpectMsg<ReloadReply>(cancellationToken: Ct).Plan!.Changed);
    }

    [Fact]
    public void An_unchanged_reload_leaves_a_FATAL_instance_FATAL()
    {
        var spec = Spec("web") with { StartRetries = 0 };
        var supervisor = Supervisor(spec);
        AwaitTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);
        AwaitTransition("web", ProcessState.Fatal);

        var reply = Reload(supervisor, false, spec);
        Assert.True(reply.Plan!.IsEmpty);
        ExpectNoTransition();
        Assert.Equal(ProcessState.Fatal, Status(supervisor).Single().State);
    }

    [Fact]
    public void A_cmd_change_with_more_instances_restarts_the_old_ones_and_adds_the_new()
    {
        var supervisor = Supervisor(Quick("web") with { NumProcs = 2 }, Quick("db"));
        AwaitAll(ProcessState.Running, "web:0", "web:1", "db");
        var before = Pids(supervisor);

        var reply = Reload(supervisor, false, Quick("web") with { NumProcs = 3, Command = "/bin/web2", Argv = ["/bin/web2"] }, Quick("db"));
        Assert.Equal(["web"], reply.Plan!.Restarted);
        var after = Pids(supervisor);
        Assert.Equal(["db", "web:0", "web:1", "web:2"], after.Keys);
        Assert.All(["web:0", "web:1"], n => Assert.NotEqual(before[n], after[n]));
        Assert.Equal(before["db"], after["db"]);
        Assert.All(Spawner.Children.Where(c => !c.HasExited && c.Request.Name.StartsWith("web", StringComparison.Ordinal)),
            c => Assert.Equal(["/bin/web2"], c.Request.Argv));
        Assert.Equal(4, Spawner.Alive.Count);
    }

    [Fact]
    public void Reload_reports_the_instances_that_failed_to_start_under_the_new_config()
    {
        Spawner.Before = r => r.Argv[0] == "/bin/missing"
            ? new SpawnResult.Failed(SpawnErrorKind.CommandNotFound, "command not found: /bin/missing")
            : null;
        var supervisor = Supervisor(Quick("web"));
        AwaitTransition("web", ProcessState.Running);

        var reply = Reload(supervisor, false, Quick("web") with { Command = "/bin/missing", Argv = ["/bin/missing"] }, Quick("db"));
        Assert.True(reply.Applied);
        Assert.Equal(["db: started", "web: spawn error: command not found: /bin/missing (attempt 1 of 4; next in 1 s)"],
            reply.Outcomes.Select(o => $"{o.Name}: {o.Message}"));
        Assert.False(reply.Outcomes[1].Ok);
    }

    [Fact]
    public void Overlapping_reloads_apply_the_configs_in_the_order_they_were_read_so_the_last_one_wins()
    {
        // Two SIGHUPs in a row: the first reread is slow (it read the file before the second write, then took its
        // time), the second is quick. The daemon must end on what the second one read, not on the slower first.
        var calls = 0;
        using var newerApplied = new ManualResetEventSlim();
        Spawner.Before = r =>
        {
            if (r.Name == "newer") newerApplied.Set();
            return null;
        };
        ConfigLoadResult Reread()
        {
            if (Interlocked.Increment(ref calls) > 1) return ConfigLoadResult.Ok(Config(Quick("newer")));
            // Overlapping reads: the first returns once the second one's config is applied (and is then applied
            // over it). Reads one after the other: the second cannot start before this one returns, which it does
            // once it has waited in vain.
            newerApplied.Wait(TimeSpan.FromSeconds(2), Ct);
            return ConfigLoadResult.Ok(Config(Quick("older")));
        }
        var supervisor = Sys.ActorOf(ConfigActor.Props(Config(Quick("web")), Reread, Spawner));
        AwaitTransition("web", ProcessState.Running);

        supervisor.Tell(new SupervisorProtocol.Reload(false));
        supervisor.Tell(new SupervisorProtocol.Reload(false));
        var replies = new[] { ExpectMsg<ReloadReply>(TimeSpan.FromSeconds(10), cancellationToken: Ct), ExpectMsg<ReloadReply>(TimeSpan.FromSeconds(10), cancellationToken: Ct) };

        Assert.All(replies, r => Assert.True(r.Applied));
        Assert.Equal(["newer"], Status(supervisor).Select(s => s.Name));
        Assert.Equal(2, calls);
    }
}
