using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// The README's policy rules as virtual-time scenarios, one per rule, named after it, through an instance actor
/// supervised the way a ProgramActor supervises it (the restart policy is the strategy).
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

    [Fact]
    public void Unexpected_exit_after_RUNNING_restarts_at_once()
    {
        Running(Spec("web")).Exit(1);
        ExpectTransition("web", ProcessState.Exited);
        ExpectTransition("web", ProcessState.Starting);
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

    [Fact]
    public void Death_by_a_signal_is_always_unexpected()
    {
        var child = Running(Spec("web") with { ExitCodes = [0, 1, 2, 15] });
        child.SignalGroup(Signals.SIGKILL);
        Assert.Contains("(unexpected)", ExpectTransition("web", ProcessState.Exited).Reason);
        ExpectTransition("web", ProcessState.Starting);
    }

    [Fact]
    public void Exit_before_starttime_backs_off_1_s_2_s_4_s_then_FATAL()
    {
        StartInstance(Spec("web") with { StartRetries = 3 });
        foreach (var delay in new[] { 1, 2, 4 })
        {
            ExpectTransition("web", ProcessState.Starting);
            Spawner.LastOf("web").Exit(1);
            Assert.Contains($"next in {delay} s", ExpectTransition("web", ProcessState.Backoff).Reason);
            Clock.Advance(TimeSpan.FromSeconds(delay) - TimeSpan.FromMilliseconds(1));
            ExpectNoTransition();
            Clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);
        ExpectTransition("web", ProcessState.Backoff);
        Assert.Contains("gave up after 4 attempts", ExpectTransition("web", ProcessState.Fatal).Reason);
    }

    [Fact]
    public void A_spawn_error_backs_off_like_a_failed_start()
    {
        Spawner.Before = _ => new SpawnResult.Failed(SpawnErrorKind.CommandNotFound, "spawn error: command not found: nope");
        StartInstance(Spec("web") with { StartRetries = 1 });
        var backoff = ExpectTransition("web", ProcessState.Backoff);
        Assert.Contains("command not found: nope (attempt 1 of 2; next in 1 s)", backoff.Reason);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectTransition("web", ProcessState.Backoff);
        ExpectTransition("web", ProcessState.Fatal);
    }

    [Fact]
    public void A_start_in_BACKOFF_starts_at_once_with_a_fresh_count()
    {
        var instance = StartInstance(Spec("web") with { StartRetries = 1 });
        ExpectTransition("web", ProcessState.Starting);
        Spawner.LastOf("web").Exit(1);
        ExpectTransition("web", ProcessState.Backoff);
        instance.Tell(new Actors.Instances.InstanceProtocol.Start(Akka.Actor.ActorRefs.Nobody), TestActor);
        Assert.Equal("spawned", ExpectTransition("web", ProcessState.Starting).Reason);
        Spawner.LastOf("web").Exit(1);
        Assert.Contains("attempt 1 of 2", ExpectTransition("web", ProcessState.Backoff).Reason);
    }

    [Fact]
    public void Restarts_after_RUNNING_are_not_counted_against_startretries()
    {
        var spec = Spec("web") with { StartRetries = 0, StartTime = TimeSpan.Zero };
        Running(spec).Exit(1);
        for (var i = 0; i < 5; i++)
        {
            ExpectTransition("web", ProcessState.Exited);
            ExpectTransition("web", ProcessState.Starting);
            ExpectTransition("web", ProcessState.Running);
            Spawner.LastOf("web").Exit(1);
        }
        ExpectTransition("web", ProcessState.Exited);
        ExpectTransition("web", ProcessState.Starting);
    }
}
