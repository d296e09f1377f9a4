using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// The restart policy as a table: (policy, failure, ran for, attempt) → verdict, delay and the attempt the next
/// start counts as. One row per line of the README's policy table; the throttle and the jitter below it.
/// </summary>
public sealed class RestartDeciderTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch.AddHours(1);

    private static RestartPolicy Policy(AutoRestart restart = AutoRestart.Unexpected, int retries = 3, double startTime = 1,
        RestartLimit? limit = null, double jitter = 0) =>
        new(restart, [0], retries, TimeSpan.FromSeconds(startTime), BackoffSpec.Default with { Jitter = jitter }, limit ?? RestartLimit.None);

    private static InstanceFailure Exit(int code, double ranFor) => new InstanceFailure.Exited(ExitStatus.Exited(code), TimeSpan.FromSeconds(ranFor));

    public static TheoryData<string, RestartPolicy, InstanceFailure, int, Verdict, double, int> Table => new()
    {
        // name, policy, failure, attempt → verdict, delay (s), next attempt
        { "exit before starttime backs off 1 s", Policy(), Exit(0, 0.5), 1, Verdict.RestartLater, 1, 2 },
        { "second failed start backs off 2 s", Policy(), Exit(1, 0.1), 2, Verdict.RestartLater, 2, 3 },
        { "third failed start backs off 4 s", Policy(), Exit(1, 0.1), 3, Verdict.RestartLater, 4, 4 },
        { "the fourth failed start of startretries 3 is FATAL", Policy(), Exit(1, 0.1), 4, Verdict.Fatal, 0, 4 },
        { "startretries 0: the first failed start is FATAL", Policy(retries: 0), Exit(1, 0.1), 1, Verdict.Fatal, 0, 1 },
        { "a spawn error is a failed start", Policy(), new InstanceFailure.SpawnFailed("spawn error: command not found: x"), 1, Verdict.RestartLater, 1, 2 },
        { "unexpected exit after RUNNING restarts at once", Policy(), Exit(1, 5), 1, Verdict.RestartNow, 0, 1 },
        { "expected exit after RUNNING is EXITED", Policy(), Exit(0, 5), 1, Verdict.Exited, 0, 1 },
        { "autorestart always restarts an expected exit", Policy(AutoRestart.Always), Exit(0, 5), 1, Verdict.RestartNow, 0, 1 },
        { "autorestart never leaves an unexpected exit EXITED", Policy(AutoRestart.Never), Exit(1, 5), 1, Verdict.Exited, 0, 1 },
        { "starttime 0: an instant exit counts as after RUNNING", Policy(startTime: 0), Exit(1, 0), 1, Verdict.RestartNow, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Policy_table(string row, RestartPolicy policy, InstanceFailure failure, int attempt, Verdict verdict, double delay, int next)
    {
        var d = RestartDecider.Decide(policy, failure, attempt, RestartHistory.Empty, T0, 0.5);
        Assert.True((verdict, TimeSpan.FromSeconds(delay), next) == (d.Verdict, d.Delay, d.NextAttempt), $"{row}: got {d}");
    }

    [Fact]
    public void Failed_start_reasons_say_the_attempt_and_the_delay()
    {
        var d = RestartDecider.Decide(Policy(), Exit(1, 0.1), 1, RestartHistory.Empty, T0, 0);
        Assert.Equal("exited too quickly: exit status 1 (attempt 1 of 4; next in 1 s)", d.Reason);
        var fatal = RestartDecider.Decide(Policy(), Exit(1, 0.1), 4, RestartHistory.Empty, T0, 0);
        Assert.Equal("exited too quickly: exit status 1", fatal.Cause);
    }

    [Fact]
    public void A_crash_loop_is_throttled_after_the_burst_and_the_delays_grow()
    {
        var policy = Policy(startTime: 0, limit: new RestartLimit(3, TimeSpan.FromSeconds(10)));
        var history = RestartHistory.Empty;
        var verdicts = new List<(Verdict, double)>();
        for (var i = 0; i < 6; i++)
        {
            var d = RestartDecider.Decide(policy, Exit(1, 0), 1, history, T0.AddMilliseconds(i * 10), 0);
            history = d.History;
            verdicts.Add((d.Verdict, d.Delay.TotalSeconds));
            if (d.Verdict == Verdict.RestartLater) Assert.Contains($"restart throttled: {i + 1} in 10 s", d.Reason);
        }
        Assert.Equal([(Verdict.RestartNow, 0), (Verdict.RestartNow, 0), (Verdict.RestartNow, 0),
            (Verdict.RestartLater, 1), (Verdict.RestartLater, 2), (Verdict.RestartLater, 4)], verdicts);
    }

    [Fact]
    public void The_throttle_forgets_once_the_instance_stayed_up_for_the_interval()
    {
        var policy = Policy(startTime: 0, limit: new RestartLimit(1, TimeSpan.FromSeconds(10)));
        var history = RestartHistory.Empty;
        history = RestartDecider.Decide(policy, Exit(1, 0), 1, history, T0, 0).History;
        var throttled = RestartDecider.Decide(policy, Exit(1, 0), 1, history, T0.AddSeconds(1), 0);
        Assert.Equal(Verdict.RestartLater, throttled.Verdict);
        var healthy = RestartDecider.Decide(policy, Exit(1, 10), 1, throttled.History, T0.AddSeconds(12), 0);
        Assert.Equal(Verdict.RestartNow, healthy.Verdict);
        Assert.Equal(0, healthy.History.Throttled);
    }

    [Fact]
    public void Restarts_outside_the_interval_do_not_count()
    {
        var policy = Policy(startTime: 0, limit: new RestartLimit(2, TimeSpan.FromSeconds(1)));
        var history = RestartHistory.Empty;
        for (var i = 0; i < 10; i++)
        {
            var d = RestartDecider.Decide(policy, Exit(1, 0), 1, history, T0.AddSeconds(i * 0.6), 0);
            Assert.Equal(Verdict.RestartNow, d.Verdict);
            history = d.History;
        }
    }

    [Fact]
    public void Jitter_makes_a_delay_up_to_its_share_longer()
    {
        var policy = Policy(jitter: 0.2);
        Assert.Equal(TimeSpan.FromSeconds(2), RestartDecider.Decide(policy, Exit(1, 0), 2, RestartHistory.Empty, T0, 0).Delay);
        Assert.Equal(TimeSpan.FromSeconds(2.2), RestartDecider.Decide(policy, Exit(1, 0), 2, RestartHistory.Empty, T0, 0.5).Delay);
        Assert.True(RestartDecider.Decide(policy, Exit(1, 0), 2, RestartHistory.Empty, T0, 0.999).Delay < TimeSpan.FromSeconds(2.4));
    }
}
