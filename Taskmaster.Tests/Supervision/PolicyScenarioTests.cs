using Akka.Actor;
using Taskmaster.Actors.Instances;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// The README's policy rules ("How supervision works") as virtual-time scenarios, one per rule, named after it,
/// through an instance actor supervised the way a ProgramActor supervises it (the restart policy is the strategy).
/// What an instance does on a user's command (stop, restart, signal, status) is in <see cref="InstanceCommandTests"/>;
/// the crash-loop throttle in <see cref="ThrottleScenarioTests"/>.
/// </summary>
public sealed class PolicyScenarioTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    private FakeChild Running(ProgramSpec spec)
    {
        StartInstance(spec);
        ExpectTransition(spec.Name, ProcessState.Starting);
        if (spec.StartTime > TimeSpan.Zero) Clock.Advance(spec.StartTime);
        ExpectTransition(spec.Name, ProcessState.Running);
        return Spawner.LastOf(spec.Name);
    }

    // ------------------------------------------------------------ starttime

    [Fact]
    public void An_instance_is_RUNNING_once_it_has_been_up_for_starttime()
    {
        StartInstance(Spec("web") with { StartTime = TimeSpan.FromSeconds(3) });

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
    public void Starttime_0_is_RUNNING_at_once_through_STARTING()
    {
        StartInstance(Spec("web") with { StartTime = TimeSpan.Zero });
        ExpectTransition("web", ProcessState.Starting);
        Assert.Contains("starttime 0", ExpectTransition("web", ProcessState.Running).Reason);
    }

    // ------------------------------------------------------------ a failed start

    [Fact]
    public void Exit_before_starttime_backs_off_1_s_2_s_4_s_then_FATAL_with_the_last_reason()
    {
        StartInstance(Spec("web") with { StartRetries = 3 });
        var attempt = 0;
        foreach (var delay in new[] { 1, 2, 4 })
        {
            attempt++;
            var starting = ExpectTransition("web", ProcessState.Starting);
            Assert.Equal(attempt == 1 ? ProcessState.Stopped : ProcessState.Backoff, starting.From);
            Spawner.LastOf("web").Exit(attempt);

            var backoff = ExpectTransition("web", ProcessState.Backoff);
            Assert.Equal(ProcessState.Starting, backoff.From);
            Assert.Null(backoff.Pid);
            Assert.Equal(attempt, backoff.ExitCode);
            Assert.Contains("exited too quickly", backoff.Reason);
            Assert.Contains($"next in {delay} s", backoff.Reason);

            var before = Spawner.SpawnCount("web");
            Clock.Advance(TimeSpan.FromSeconds(delay) - TimeSpan.FromMilliseconds(1));
            ExpectNoTransition();
            Assert.Equal(before, Spawner.SpawnCount("web"));
            Clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(4);
        ExpectTransition("web", ProcessState.Backoff);

        var fatal = ExpectTransition("web", ProcessState.Fatal);
        Assert.Equal(ProcessState.Backoff, fatal.From);
        Assert.Contains("gave up after 4 attempts", fatal.Reason);
        Assert.Contains("exit status 4", fatal.Reason);
        Assert.Equal(4, Spawner.SpawnCount("web")); // startretries 3 = 4 attempts

        Clock.Advance(TimeSpan.FromMinutes(10));
        ExpectNoTransition();
        Assert.Equal(4, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void An_expected_exit_code_before_starttime_is_still_a_failed_start()
    {
        StartInstance(Spec("web") with { ExitCodes = [0], AutoRestart = AutoRestart.Never });
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(0);
        Assert.Contains("exited too quickly", ExpectTransition("web", ProcessState.Backoff).Reason);
    }

    [Fact]
    public void Backoff_grows_by_its_factor_up_to_its_cap()
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
    public void A_spawn_error_backs_off_like_a_failed_start_and_ends_FATAL_with_the_spawn_error()
    {
        Spawner.Before = _ => new SpawnResult.Failed(SpawnErrorKind.CommandNotFound, "spawn error: command not found: nope");
        StartInstance(Spec("web") with { StartRetries = 1 });

        var first = ExpectTransition("web", ProcessState.Backoff);
        Assert.Equal(ProcessState.Stopped, first.From);
        Assert.Null(first.Pid);
        Assert.Contains("command not found: nope (attempt 1 of 2; next in 1 s)", first.Reason);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectTransition("web", ProcessState.Backoff);
        var fatal = ExpectTransition("web", ProcessState.Fatal);
        Assert.Contains("command not found", fatal.Reason);
        Assert.Equal(2, Spawner.Requests.Count);
    }

    [Fact]
    public void A_start_in_BACKOFF_starts_at_once_with_a_fresh_count()
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

    [Fact]
    public void A_start_in_FATAL_starts_at_once_with_a_fresh_count()
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
        Assert.Contains("attempt 1 of 2", ExpectTransition("web", ProcessState.Backoff).Reason);
        ExpectOutcome("web", ok: false);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectTransition("web", ProcessState.Starting);
    }

    // ------------------------------------------------------------ an exit after RUNNING

    [Fact]
    public void Unexpected_exit_after_RUNNING_restarts_at_once()
    {
        var first = Running(Spec("web"));
        first.Exit(1);
        ExpectTransition("web", ProcessState.Exited);
        var again = ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(ProcessState.Exited, again.From);
        Assert.NotEqual(first.Pid, again.Pid);
        Assert.Equal(2, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void Expected_exit_after_RUNNING_stays_EXITED()
    {
        Running(Spec("web")).Exit(0);
        var exited = ExpectTransition("web", ProcessState.Exited);
        Assert.Contains("exit status 0 (expected)", exited.Reason);
        Clock.Advance(TimeSpan.FromMinutes(5));
        ExpectNoTransition();
        Assert.Equal(1, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void Autorestart_always_restarts_an_expected_exit()
    {
        Running(Spec("web") with { AutoRestart = AutoRestart.Always }).Exit(0);
        ExpectTransition("web", ProcessState.Exited);
        ExpectTransition("web", ProcessState.Starting);
    }

    [Fact]
    public void Autorestart_never_leaves_an_unexpected_exit_EXITED()
    {
        Running(Spec("web") with { AutoRestart = AutoRestart.Never }).Exit(1);
        ExpectTransition("web", ProcessState.Exited);
        Clock.Advance(TimeSpan.FromMinutes(5));
        ExpectNoTransition();
    }

    /// <summary>The whole autorestart × exitcodes table after RUNNING, exitcodes [0, 2].</summary>
    [Theory]
    [InlineData(AutoRestart.Unexpected, 0, false)]
    [InlineData(AutoRestart.Unexpected, 3, true)]
    [InlineData(AutoRestart.Always, 0, true)]
    [InlineData(AutoRestart.Always, 3, true)]
    [InlineData(AutoRestart.Never, 0, false)]
    [InlineData(AutoRestart.Never, 3, false)]
    public void An_exit_after_RUNNING_is_EXITED_then_restarts_by_autorestart_and_exitcodes(AutoRestart policy, int code, bool restarts)
    {
        var first = Running(Spec("web") with { AutoRestart = policy, ExitCodes = [0, 2] });

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
    public void Death_by_a_signal_is_always_unexpected()
    {
        var child = Running(Spec("web") with { ExitCodes = [0, 1, 2, 15] });
        child.Kill(Signals.SIGKILL);
        var exited = ExpectTransition("web", ProcessState.Exited);
        Assert.Equal(Signals.SIGKILL, exited.ExitSignal);
        Assert.Contains("SIGKILL", exited.Reason);
        Assert.Contains("(unexpected)", exited.Reason);
        ExpectTransition("web", ProcessState.Starting);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Restarts_after_RUNNING_are_not_counted_against_startretries(int starttime)
    {
        var spec = Spec("web") with { StartRetries = 0, StartTime = TimeSpan.FromSeconds(starttime) };
        Running(spec).Exit(1);
        for (var i = 0; i < 5; i++)
        {
            ExpectTransition("web", ProcessState.Exited);
            ExpectTransition("web", ProcessState.Starting);
            if (starttime > 0) Clock.Advance(spec.StartTime);
            ExpectTransition("web", ProcessState.Running);
            Spawner.LastOf("web").Exit(1);
        }
        ExpectTransition("web", ProcessState.Exited);
        ExpectTransition("web", ProcessState.Starting);
        Assert.Equal(7, Spawner.SpawnCount("web"));
    }
}
