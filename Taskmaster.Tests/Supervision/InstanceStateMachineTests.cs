using System.Collections.Immutable;
using Akka.Actor;
using Taskmaster.Actors.Instances;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Tests.Supervision;

/// <summary>Every arrow of DESIGN §4's state machine, with a fake spawner and virtual time.</summary>
public sealed class InstanceStateMachineTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    [Fact]
    public void Autostart_goes_from_STOPPED_through_STARTING_to_RUNNING_once_starttime_has_passed()
    {
        var spec = Spec("web") with { StartTime = TimeSpan.FromSeconds(3) };
        StartInstance(spec);

        var starting = ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(ProcessState.Stopped, starting.From);
        Assert.Equal(Spawner.LastOf("web").Pid, starting.Pid);

        Clock.Advance(TimeSpan.FromMilliseconds(2999));
        ExpectNoTransition();
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var running = ExpectTransition("web", ProcessState.Running);
        Assert.Equal(ProcessState.Starting, running.From);
        Assert.Equal(starting.Pid, running.Pid);
    }

    [Fact]
    public void Starttime_zero_counts_as_running_at_once()
    {
        StartInstance(Spec("web") with { StartTime = TimeSpan.Zero });
        ExpectTransition("web", ProcessState.Starting);
        ExpectTransition("web", ProcessState.Running);
    }

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
    public void Exit_before_starttime_goes_to_BACKOFF_and_retries_after_the_delay()
    {
        StartInstance(Spec("web"));
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);

        var backoff = ExpectTransition("web", ProcessState.Backoff);
        Assert.Equal(ProcessState.Starting, backoff.From);
        Assert.Null(backoff.Pid);
        Assert.Equal(1, backoff.ExitCode);
        Assert.Contains("exited too quickly", backoff.Reason);

        Clock.Advance(TimeSpan.FromSeconds(1));
        var retry = ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(ProcessState.Backoff, retry.From);
        Assert.Equal(2, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void Exit_before_starttime_with_an_expected_code_is_still_a_failed_start()
    {
        StartInstance(Spec("web") with { ExitCodes = [0], AutoRestart = AutoRestart.Never });
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(0);
        ExpectTransition("web", ProcessState.Backoff);
    }

    [Fact]
    public void Startretries_3_means_4_attempts_then_FATAL_with_the_last_reason()
    {
        StartInstance(Spec("web") with { StartRetries = 3 });
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            ExpectTransition("web", ProcessState.Starting);
            Spawner.LastOf("web").Exit(attempt);
            ExpectTransition("web", ProcessState.Backoff);
            if (attempt < 4) Clock.Advance(TimeSpan.FromSeconds(30));
        }
        var fatal = ExpectTransition("web", ProcessState.Fatal);
        Assert.Equal(ProcessState.Backoff, fatal.From);
        Assert.Contains("exit status 4", fatal.Reason);
        Assert.Equal(4, Spawner.SpawnCount("web"));

        Clock.Advance(TimeSpan.FromMinutes(10));
        ExpectNoTransition();
        Assert.Equal(4, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void Backoff_delay_grows_by_the_factor_and_is_capped()
    {
        var spec = Spec("web") with { StartRetries = 5, Backoff = new BackoffSpec(TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(3)) };
        StartInstance(spec);
        // Delays before attempts 2..5: 1 s, 2 s, 3 s (4 capped), 3 s (8 capped).
        foreach (var delay in new[] { 1.0, 2.0, 3.0, 3.0 })
        {
            ExpectTransition("web", ProcessState.Starting);
            Spawner.LastOf("web").Exit(1);
            ExpectTransition("web", ProcessState.Backoff);
            var before = Spawner.SpawnCount("web");
            Clock.Advance(TimeSpan.FromSeconds(delay) - TimeSpan.FromMilliseconds(1));
            ExpectNoTransition();
            Assert.Equal(before, Spawner.SpawnCount("web"));
            Clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        ExpectTransition("web", ProcessState.Starting);
    }

    [Fact]
    public void Spawn_error_is_a_failed_start_and_ends_FATAL_with_the_spawn_error()
    {
        Spawner.Before = _ => new SpawnResult.Failed(SpawnErrorKind.CommandNotFound, "spawn error: command not found: /bin/web");
        StartInstance(Spec("web") with { StartRetries = 1 });

        var first = ExpectTransition("web", ProcessState.Backoff);
        Assert.Equal(ProcessState.Stopped, first.From);
        Assert.Null(first.Pid);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectTransition("web", ProcessState.Backoff);
        var fatal = ExpectTransition("web", ProcessState.Fatal);
        Assert.Contains("command not found", fatal.Reason);
        Assert.Equal(2, Spawner.Requests.Count);
    }

    [Theory]
    [InlineData(AutoRestart.Unexpected, 0, false)]
    [InlineData(AutoRestart.Unexpected, 3, true)]
    [InlineData(AutoRestart.Always, 0, true)]
    [InlineData(AutoRestart.Always, 3, true)]
    [InlineData(AutoRestart.Never, 0, false)]
    [InlineData(AutoRestart.Never, 3, false)]
    public void Running_exit_goes_to_EXITED_and_restarts_by_policy_and_exit_code(AutoRestart policy, int code, bool restarts)
    {
        var spec = Spec("web") with { AutoRestart = policy, ExitCodes = [0, 2] };
        StartInstance(spec);
        var first = BringToRunning("web", spec);

        first.Exit(code);
        var exited = ExpectTransition("web", ProcessState.Exited);
        Assert.Equal(ProcessState.Running, exited.From);
        Assert.Equal(code, exited.ExitCode);
        Assert.Null(exited.Pid);
        Assert.Contains(code == 0 ? "(expected)" : "(unexpected)", exited.Reason);
        if (restarts)
        {
            var again = ExpectTransition("web", ProcessState.Starting);
            Assert.Equal(ProcessState.Exited, again.From);
            Assert.NotEqual(first.Pid, again.Pid);
        }
        else
        {
            ExpectNoTransition();
            Assert.Equal(1, Spawner.SpawnCount("web"));
        }
    }

    [Fact]
    public void Death_by_signal_is_unexpected_even_when_0_is_expected()
    {
        var spec = Spec("web") with { AutoRestart = AutoRestart.Unexpected, ExitCodes = [0] };
        StartInstance(spec);
        BringToRunning("web", spec).Kill(Signals.SIGKILL);

        var exited = ExpectTransition("web", ProcessState.Exited);
        Assert.Equal(Signals.SIGKILL, exited.ExitSignal);
        Assert.Contains("SIGKILL", exited.Reason);
        ExpectTransition("web", ProcessState.Starting);
    }

    [Fact]
    public void Restarts_after_reaching_RUNNING_are_not_limited_by_startretries()
    {
        var spec = Spec("web") with { StartRetries = 0, AutoRestart = AutoRestart.Always };
        StartInstance(spec);
        for (var i = 0; i < 5; i++)
        {
            BringToRunning("web", spec).Exit(1);
            AwaitTransition("web", ProcessState.Exited);
        }
        ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(6, Spawner.SpawnCount("web"));
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
    public void A_user_start_from_FATAL_resets_the_retry_count()
    {
        var instance = StartInstance(Spec("web") with { StartRetries = 1 });
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);
        ExpectTransition("web", ProcessState.Backoff);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);
        ExpectTransition("web", ProcessState.Backoff);
        ExpectTransition("web", ProcessState.Fatal);

        instance.Tell(new InstanceProtocol.Start(TestActor));
        var again = ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(ProcessState.Fatal, again.From);
        Spawner.LastOf("web").Exit(1);
        var backoff = ExpectTransition("web", ProcessState.Backoff);
        Assert.Contains("attempt 1 of 2", backoff.Reason);
        ExpectOutcome("web", ok: false);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectTransition("web", ProcessState.Starting);
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

    [Fact]
    public void A_user_start_during_BACKOFF_starts_at_once_with_a_fresh_count()
    {
        var instance = StartInstance(Spec("web") with { StartRetries = 1 });
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);
        ExpectTransition("web", ProcessState.Backoff);

        instance.Tell(new InstanceProtocol.Start(TestActor));
        var starting = ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(ProcessState.Backoff, starting.From);
        Assert.Equal("spawned", starting.Reason);
        Spawner.LastOf("web").Exit(1);
        Assert.Contains("attempt 1 of 2", ExpectTransition("web", ProcessState.Backoff).Reason);
        ExpectOutcome("web", ok: false);
        Clock.Advance(TimeSpan.FromSeconds(1)); // the cancelled retry timer fires no extra spawn
        ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(3, Spawner.SpawnCount("web"));
    }
}
