using Akka.Actor;
using Taskmaster.Actors;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Supervision;

/// <summary>The ConfigActor's command API (SupervisorProtocol) down to the instances, on virtual time.</summary>
public sealed class SupervisorCommandTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    private IActorRef Supervisor(params ProgramSpec[] programs)
    {
        var config = Config(programs);
        return Sys.ActorOf(ConfigActor.Props(config, () => ConfigLoadResult.Ok(config), Spawner));
    }

    [Fact]
    public void Autostart_programs_start_every_instance_under_its_numbered_name()
    {
        var web = Spec("web") with { NumProcs = 2 };
        Supervisor(web, Spec("cron") with { AutoStart = false });
        var started = new[] { Events.ExpectMsg<InstanceTransition>(cancellationToken: Ct), Events.ExpectMsg<InstanceTransition>(cancellationToken: Ct) };
        Assert.Equal(["web:0", "web:1"], started.Select(t => t.Name).Order());
        Assert.All(started, t => Assert.Equal(ProcessState.Starting, t.To));
        ExpectNoTransition();
        Assert.Equal(0, Spawner.SpawnCount("cron"));
    }

    [Fact]
    public void Status_lists_every_instance_in_config_order_with_pids_only_where_there_is_a_process()
    {
        var web = Spec("web") with { NumProcs = 2 };
        var supervisor = Supervisor(web, Spec("cron") with { AutoStart = false });
        AwaitAll(ProcessState.Starting, "web:0", "web:1");

        supervisor.Tell(new GetStatus([]));
        var reply = ExpectMsg<StatusReply>(cancellationToken: Ct);
        Assert.Equal(["cron", "web:0", "web:1"], reply.Instances.Select(i => i.Name));
        Assert.Equal([null, Spawner.LastOf("web:0").Pid, Spawner.LastOf("web:1").Pid], reply.Instances.Select(i => i.Pid));
        Assert.Equal([ProcessState.Stopped, ProcessState.Starting, ProcessState.Starting], reply.Instances.Select(i => i.State));
        Assert.Equal("web", reply.Instances[1].Program);
    }

    [Fact]
    public void Unknown_targets_are_answered_by_name_and_nothing_is_done()
    {
        var supervisor = Supervisor(Spec("web") with { AutoStart = false });
        supervisor.Tell(new StartTargets(["web", "nope"]));
        Assert.Equal(["nope"], ExpectMsg<UnknownTargets>(cancellationToken: Ct).Names);
        supervisor.Tell(new GetStatus(["web:0"]));
        Assert.Equal(["web:0"], ExpectMsg<UnknownTargets>(cancellationToken: Ct).Names);
        ExpectNoTransition();
        Assert.Empty(Spawner.Requests);
    }

    [Fact]
    public void Start_answers_once_each_instance_is_RUNNING_or_has_failed()
    {
        Spawner.Before = r => r.Name == "bad"
            ? new SpawnResult.Failed(SpawnErrorKind.CommandNotFound, "spawn error: command not found: /bin/bad")
            : null;
        var supervisor = Supervisor(Spec("web") with { AutoStart = false }, Spec("bad") with { AutoStart = false });

        supervisor.Tell(new StartTargets(["all"]));
        AwaitTransition("web", ProcessState.Starting);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100), Ct);
        Clock.Advance(TimeSpan.FromSeconds(1));

        var reply = ExpectMsg<CommandReply>(cancellationToken: Ct);
        Assert.False(reply.AllOk);
        Assert.Equal(["bad", "web"], reply.Outcomes.Select(o => o.Name));
        Assert.Contains("command not found", reply.Outcomes[0].Message);
        Assert.Equal(new InstanceOutcome("web", true, "started"), reply.Outcomes[1]);
    }

    [Fact]
    public void Stop_answers_once_every_instance_is_STOPPED_after_SIGKILL_if_needed()
    {
        Spawner.Configure = c => c.Ignores.Add(Signals.SIGTERM);
        var spec = Spec("web") with { NumProcs = 2, StartTime = TimeSpan.Zero, StopTime = TimeSpan.FromSeconds(3) };
        var supervisor = Supervisor(spec);
        AwaitAll(ProcessState.Running, "web:0", "web:1");

        supervisor.Tell(new StopTargets(["web"]));
        AwaitAll(ProcessState.Stopping, "web:0", "web:1");
        ExpectNoMsg(TimeSpan.FromMilliseconds(100), Ct);
        Clock.Advance(TimeSpan.FromSeconds(3));

        var reply = ExpectMsg<CommandReply>(cancellationToken: Ct);
        Assert.True(reply.AllOk);
        Assert.Equal(["web:0: stopped", "web:1: stopped"], reply.Outcomes.Select(o => $"{o.Name}: {o.Message}"));
        Assert.Empty(Spawner.Alive);
        Assert.All(Spawner.Children, c => Assert.Equal([Signals.SIGTERM, Signals.SIGKILL], c.SignalsReceived));
    }

    [Fact]
    public void Restart_of_a_program_gives_each_instance_a_new_process()
    {
        var spec = Spec("web") with { StartTime = TimeSpan.Zero };
        var supervisor = Supervisor(spec);
        var first = AwaitTransition("web", ProcessState.Running);

        supervisor.Tell(new RestartTargets(["web"]));
        var reply = ExpectMsg<CommandReply>(cancellationToken: Ct);
        Assert.True(reply.AllOk);
        supervisor.Tell(new GetStatus(["web"]));
        var pid = ExpectMsg<StatusReply>(cancellationToken: Ct).Instances.Single().Pid;
        Assert.NotNull(pid);
        Assert.NotEqual(first.Pid, pid);
        Assert.Equal(2, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void Signal_reaches_running_instances_and_fails_for_stopped_ones()
    {
        Spawner.Configure = c => c.Ignores.Add(Signals.SIGHUP);
        var supervisor = Supervisor(Spec("web") with { StartTime = TimeSpan.Zero }, Spec("cron") with { AutoStart = false });
        AwaitTransition("web", ProcessState.Running);

        supervisor.Tell(new SignalTargets(Signals.SIGHUP, ["all"]));
        var reply = ExpectMsg<CommandReply>(cancellationToken: Ct);
        Assert.Equal(["cron False", "web True"], reply.Outcomes.Select(o => $"{o.Name} {o.Ok}"));
        Assert.Equal([Signals.SIGHUP], Spawner.LastOf("web").SignalsReceived);
    }

    [Fact]
    public void Shutdown_stops_every_program_in_parallel_each_within_its_stoptime()
    {
        Spawner.Configure = c => c.Ignores.Add(Signals.SIGTERM);
        var supervisor = Supervisor(
            Spec("a") with { StartTime = TimeSpan.Zero, StopTime = TimeSpan.FromSeconds(5) },
            Spec("b") with { StartTime = TimeSpan.Zero, StopTime = TimeSpan.FromSeconds(10), NumProcs = 2 });
        AwaitAll(ProcessState.Running, "a", "b:0", "b:1");

        supervisor.Tell(SupervisorProtocol.Shutdown.Instance);
        AwaitAll(ProcessState.Stopping, "a", "b:0", "b:1");
        Clock.Advance(TimeSpan.FromSeconds(5));
        AwaitTransition("a", ProcessState.Stopped);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100), Ct);
        Clock.Advance(TimeSpan.FromSeconds(5));
        ExpectMsg<ShutdownComplete>(cancellationToken: Ct);
        Assert.Empty(Spawner.Alive);

        supervisor.Tell(new StartTargets(["a"]));
        Assert.Equal("shutting down", ExpectMsg<CommandReply>(cancellationToken: Ct).Outcomes.Single().Message);
    }

    [Fact]
    public void A_failing_instance_actor_kills_its_process_and_is_recreated_after_the_backoff_delay()
    {
        Spawner.Configure = c => c.ThrowOn = Signals.SIGUSR1;
        var supervisor = Supervisor(Spec("web") with { StartTime = TimeSpan.Zero });
        AwaitTransition("web", ProcessState.Running);
        var first = Spawner.LastOf("web");

        supervisor.Tell(new SignalTargets(Signals.SIGUSR1, ["web"]));
        AwaitAssert(() => Assert.Equal([Signals.SIGKILL], first.SignalsReceived), interval: TimeSpan.FromMilliseconds(10), cancellationToken: Ct);
        Assert.True(first.HasExited);

        // The ProgramActor arms its recreate timer when it sees the actor terminate; advance until it fired.
        AwaitAssert(() =>
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(2, Spawner.SpawnCount("web"));
        }, interval: TimeSpan.FromMilliseconds(10), cancellationToken: Ct);
        var again = AwaitTransition("web", ProcessState.Starting);
        Assert.NotEqual(first.Pid, again.Pid);
        Assert.Single(Spawner.Alive);
    }

    [Fact]
    public void Stopping_the_supervisor_leaves_no_process_behind()
    {
        var supervisor = Supervisor(Spec("web") with { NumProcs = 3 }, Spec("db"));
        AwaitAll(ProcessState.Starting, "db", "web:0", "web:1", "web:2");
        Watch(supervisor);
        Sys.Stop(supervisor);
        ExpectTerminated(supervisor, cancellationToken: Ct);
        AwaitAssert(() => Assert.Empty(Spawner.Alive), interval: TimeSpan.FromMilliseconds(10), cancellationToken: Ct);
        Assert.Equal(4, Spawner.Children.Count);
    }

    [Fact]
    public void ReopenLogs_reaches_every_running_instance()
    {
        var supervisor = Supervisor(Spec("web") with { NumProcs = 2 });
        AwaitAll(ProcessState.Starting, "web:0", "web:1");
        supervisor.Tell(SupervisorProtocol.ReopenLogs.Instance);
        AwaitAssert(() => Assert.All(Spawner.Children, c => Assert.Equal(1, c.ReopenCount)), interval: TimeSpan.FromMilliseconds(10), cancellationToken: Ct);
    }
}
