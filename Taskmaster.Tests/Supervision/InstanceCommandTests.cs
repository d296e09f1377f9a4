using System.Collections.Immutable;
using Akka.Actor;
using Taskmaster.Actors.Instances;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// What an instance does on a user's command, with a fake spawner and virtual time: stop (stopsignal, SIGKILL after
/// stoptime, from STARTING and BACKOFF), start and its answers, restart, signal, status, log reopening, and the actor's
/// own stop (no process left behind). What follows a process's own exit is the policy's: <see cref="PolicyScenarioTests"/>.
/// </summary>
public sealed class InstanceCommandTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    [Fact]
    public void Spawn_request_carries_the_concrete_output_paths_and_the_program_settings()
    {
        var spec = Spec("web") with
        {
            Env = new Dictionary<string, string> { ["A"] = "1" }.ToImmutableSortedDictionary(),
            WorkingDir = "/tmp",
            Umask = 18,
            Stderr = new OutputSpec("/var/log/web-{n}.err", 1024, 2),
        };
        StartInstance(spec);
        ExpectTransition("web", ProcessState.Starting);

        var request = Spawner.Requests.Single();
        Assert.Equal("web", request.Name);
        Assert.Equal(spec.Argv, request.Argv);
        Assert.Equal("/tmp/web-0.out", request.Stdout.Path);
        Assert.Equal(new OutputTarget("/var/log/web-0.err", 1024, 2), request.Stderr);
        Assert.Equal("1", request.Env["A"]);
        Assert.Equal(("/tmp", 18), (request.WorkingDir, request.Umask));
    }

    [Fact]
    public void Stop_sends_the_stopsignal_to_the_group_and_reaches_STOPPED_once_reaped()
    {
        var spec = Spec("web") with { StopSignal = Signals.SIGINT };
        var instance = StartInstance(spec);
        var child = BringToRunning("web", spec);

        instance.Tell(new InstanceProtocol.Stop(TestActor));
        var stopping = ExpectTransition("web", ProcessState.Stopping);
        Assert.Equal(child.Pid, stopping.Pid);
        var stopped = ExpectTransition("web", ProcessState.Stopped);
        Assert.Null(stopped.Pid);
        Assert.Equal(Signals.SIGINT, stopped.ExitSignal);
        Assert.Equal([Signals.SIGINT], child.SignalsReceived);
        Assert.True(child.Disposed);
        ExpectOutcome("web", ok: true);
        ExpectNoTransition();
    }

    [Fact]
    public void Stoptime_elapsed_escalates_to_SIGKILL_of_the_group()
    {
        Spawner.Configure = c => c.Ignores.Add(Signals.SIGTERM);
        var spec = Spec("web") with { StopTime = TimeSpan.FromSeconds(5) };
        var instance = StartInstance(spec);
        var child = BringToRunning("web", spec);

        instance.Tell(new InstanceProtocol.Stop(TestActor));
        ExpectTransition("web", ProcessState.Stopping);
        Clock.Advance(TimeSpan.FromMilliseconds(4999));
        ExpectNoTransition();
        Assert.Equal([Signals.SIGTERM], child.SignalsReceived);

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var stopped = ExpectTransition("web", ProcessState.Stopped);
        Assert.Equal(Signals.SIGKILL, stopped.ExitSignal);
        Assert.Equal([Signals.SIGTERM, Signals.SIGKILL], child.SignalsReceived);
        ExpectOutcome("web", ok: true);
    }

    [Fact]
    public void Stop_during_STARTING_stops_the_process_and_never_reaches_RUNNING()
    {
        var spec = Spec("web");
        var instance = StartInstance(spec);
        ExpectTransition("web", ProcessState.Starting);

        instance.Tell(new InstanceProtocol.Stop(TestActor));
        var stopping = ExpectTransition("web", ProcessState.Stopping);
        Assert.Equal(ProcessState.Starting, stopping.From);
        ExpectTransition("web", ProcessState.Stopped);
        ExpectOutcome("web", ok: true);
        Clock.Advance(TimeSpan.FromSeconds(5));
        ExpectNoTransition();
    }

    [Fact]
    public void Stop_during_BACKOFF_goes_to_STOPPED_and_cancels_the_retry()
    {
        var instance = StartInstance(Spec("web"));
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);
        ExpectTransition("web", ProcessState.Backoff);

        instance.Tell(new InstanceProtocol.Stop(TestActor));
        var stopped = ExpectTransition("web", ProcessState.Stopped);
        Assert.Equal(ProcessState.Backoff, stopped.From);
        ExpectOutcome("web", ok: true);
        Clock.Advance(TimeSpan.FromMinutes(5));
        ExpectNoTransition();
        Assert.Equal(1, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void Start_answers_started_once_RUNNING_and_already_started_after()
    {
        var spec = Spec("web");
        var instance = StartInstance(spec, autoStart: false);
        instance.Tell(new InstanceProtocol.Start(TestActor));
        ExpectTransition("web", ProcessState.Starting);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100), Ct);
        Clock.Advance(spec.StartTime);
        Assert.Equal("started", ExpectOutcome("web", ok: true).Message);

        instance.Tell(new InstanceProtocol.Start(TestActor));
        Assert.Equal("already started", ExpectOutcome("web", ok: true).Message);
        Assert.Equal(1, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void Start_answers_the_error_when_the_start_fails()
    {
        Spawner.Before = _ => new SpawnResult.Failed(SpawnErrorKind.NotExecutable, "spawn error: permission denied: /bin/web");
        var instance = StartInstance(Spec("web"), autoStart: false);
        instance.Tell(new InstanceProtocol.Start(TestActor));
        Assert.Contains("permission denied", ExpectOutcome("web", ok: false).Message);
    }

    [Fact]
    public void Restart_stops_then_starts_a_new_process()
    {
        var spec = Spec("web");
        var instance = StartInstance(spec);
        var first = BringToRunning("web", spec);

        instance.Tell(new InstanceProtocol.Restart(TestActor));
        ExpectTransition("web", ProcessState.Stopping);
        ExpectTransition("web", ProcessState.Stopped);
        var starting = ExpectTransition("web", ProcessState.Starting);
        Assert.NotEqual(first.Pid, starting.Pid);
        Clock.Advance(spec.StartTime);
        ExpectTransition("web", ProcessState.Running);
        Assert.Equal("started", ExpectOutcome("web", ok: true).Message);
    }

    [Fact]
    public void Signal_goes_to_the_process_group_and_fails_without_a_process()
    {
        Spawner.Configure = c => c.Ignores.Add(Signals.SIGUSR1);
        var spec = Spec("web") with { AutoRestart = AutoRestart.Never };
        var instance = StartInstance(spec);
        var child = BringToRunning("web", spec);

        instance.Tell(new InstanceProtocol.Signal(Signals.SIGUSR1, TestActor));
        ExpectOutcome("web", ok: true);
        Assert.Equal([Signals.SIGUSR1], child.SignalsReceived);

        child.Exit(0);
        ExpectTransition("web", ProcessState.Exited);
        instance.Tell(new InstanceProtocol.Signal(Signals.SIGUSR1, TestActor));
        Assert.Equal("not running", ExpectOutcome("web", ok: false).Message);
    }

    [Fact]
    public void Status_reports_a_pid_only_in_states_that_have_a_process()
    {
        var spec = Spec("web") with { AutoRestart = AutoRestart.Never };
        var instance = StartInstance(spec, autoStart: false);
        var stopped = StatusOf(instance);
        Assert.Equal((ProcessState.Stopped, (int?)null), (stopped.State, stopped.Pid));
        Assert.Equal("/tmp/web-0.out", stopped.StdoutPath);

        instance.Tell(new InstanceProtocol.Start(ActorRefs.Nobody));
        var child = BringToRunning("web", spec);
        var running = StatusOf(instance);
        Assert.Equal((ProcessState.Running, (int?)child.Pid), (running.State, running.Pid));

        child.Exit(7);
        var exited = ExpectTransition("web", ProcessState.Exited);
        var status = StatusOf(instance);
        Assert.Equal((ProcessState.Exited, (int?)null, (int?)7), (status.State, status.Pid, status.ExitCode));
        Assert.Equal(exited.Time, status.Since);
    }

    [Fact]
    public void Stopping_the_actor_kills_the_process_group_so_no_process_is_left_behind()
    {
        var spec = Spec("web");
        var instance = StartInstance(spec);
        var child = BringToRunning("web", spec);
        Watch(instance);

        Sys.Stop(instance);
        ExpectTerminated(instance, cancellationToken: Ct);
        AwaitAssert(() => Assert.Equal([Signals.SIGKILL], child.SignalsReceived), interval: TimeSpan.FromMilliseconds(10), cancellationToken: Ct);
        AwaitAssert(() => Assert.True(child.Disposed), interval: TimeSpan.FromMilliseconds(10), cancellationToken: Ct);
        Assert.Empty(Spawner.Alive);
    }

    [Fact]
    public void ReopenLogs_reaches_the_running_process()
    {
        var spec = Spec("web");
        var instance = StartInstance(spec);
        var child = BringToRunning("web", spec);
        instance.Tell(InstanceProtocol.ReopenLogs.Instance);
        AwaitAssert(() => Assert.Equal(1, child.ReopenCount), interval: TimeSpan.FromMilliseconds(10), cancellationToken: Ct);
    }

    [Fact]
    public void A_user_start_from_EXITED_starts_a_new_process()
    {
        var spec = Spec("web") with { AutoRestart = AutoRestart.Never };
        var instance = StartInstance(spec);
        BringToRunning("web", spec).Exit(0);
        ExpectTransition("web", ProcessState.Exited);

        instance.Tell(new InstanceProtocol.Start(TestActor));
        var starting = ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(ProcessState.Exited, starting.From);
        Clock.Advance(spec.StartTime);
        ExpectTransition("web", ProcessState.Running);
        ExpectOutcome("web", ok: true);
    }
}
