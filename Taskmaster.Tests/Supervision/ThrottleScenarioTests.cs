using Taskmaster.Core.Config;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Tests.Supervision;

/// <summary>The crash-loop throttle and the failure-count reset through the instance actor, in virtual time.</summary>
public sealed class ThrottleScenarioTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    private static ProgramSpec Looping => Spec("loop") with
    {
        StartTime = TimeSpan.Zero,
        AutoRestart = AutoRestart.Always,
        RestartLimit = new RestartLimit(3, TimeSpan.FromSeconds(10)),
    };

    private void RunAndExit()
    {
        ExpectTransition("loop", ProcessState.Starting);
        ExpectTransition("loop", ProcessState.Running);
        Spawner.LastOf("loop").Exit(1);
        ExpectTransition("loop", ProcessState.Exited);
    }

    [Fact]
    public void An_instant_crash_loop_is_restarted_at_once_up_to_the_burst_then_backs_off_and_status_says_why()
    {
        var instance = StartInstance(Looping);
        for (var i = 0; i < 3; i++) RunAndExit(); // three restarts at once: the burst
        RunAndExit();
        var backoff = ExpectTransition("loop", ProcessState.Backoff);
        Assert.Equal(ProcessState.Exited, backoff.From);
        Assert.Contains("restart throttled: 4 in 10 s; next in 1 s", backoff.Reason);
        Assert.StartsWith("restart throttled", StatusOf(instance).Description);
        Assert.Equal(4, Spawner.SpawnCount("loop"));

        Clock.Advance(TimeSpan.FromMilliseconds(999));
        ExpectNoTransition();
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        RunAndExit();
        Assert.Contains("next in 2 s", ExpectTransition("loop", ProcessState.Backoff).Reason);
        Assert.Equal(5, Spawner.SpawnCount("loop"));
    }

    [Fact]
    public void A_start_during_a_throttle_delay_starts_at_once()
    {
        var instance = StartInstance(Looping);
        for (var i = 0; i < 4; i++) RunAndExit();
        ExpectTransition("loop", ProcessState.Backoff);
        instance.Tell(new Actors.Instances.InstanceProtocol.Start(TestActor), TestActor);
        ExpectTransition("loop", ProcessState.Starting);
        ExpectTransition("loop", ProcessState.Running);
        ExpectOutcome("loop", ok: true);
    }

    [Fact]
    public void Without_a_limit_a_crash_loop_is_never_throttled()
    {
        StartInstance(Looping with { RestartLimit = RestartLimit.None });
        for (var i = 0; i < 30; i++) RunAndExit();
        ExpectTransition("loop", ProcessState.Starting);
        Assert.Equal(31, Spawner.SpawnCount("loop"));
    }
}

/// <summary>The throttle through a real daemon with the config's defaults (50 restarts in 10 s): programs that exit
/// at once with <c>autorestart: always</c> and <c>starttime: 0</c> no longer restart without end.</summary>
public sealed class CrashLoopEndToEndTests
{
    [Fact]
    public async Task Instant_crash_loops_are_throttled_by_default()
    {
        await using var daemon = new Control.RealDaemon("""
              crash:
                cmd: /bin/sh -c "echo >> {dir}/starts; exit 1"
                numprocs: 4
                starttime: 0
                autorestart: always
            """);
        await daemon.StartAsync();
        await Support.Eventually.HoldsAsync(() =>
                daemon.StatusAsync().GetAwaiter().GetResult().All(i => i.State == "BACKOFF" && i.Description.Contains("restart throttled")),
            "every instance is throttled");
        // 51 starts each before the throttle (the first and 50 restarts), then one per growing delay.
        var starts = File.ReadAllLines(daemon.Dir.File("starts")).Length;
        Assert.InRange(starts, 4 * 51, 4 * 54);
    }
}
