using System.Collections.Immutable;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;

namespace Taskmaster.Core.Supervision;

/// <summary>The part of a program's config that decides what follows a failure of one of its instances.</summary>
public sealed record RestartPolicy(
    AutoRestart AutoRestart,
    ImmutableArray<int> ExitCodes,
    int StartRetries,
    TimeSpan StartTime,
    BackoffSpec Backoff,
    RestartLimit Limit)
{
    public static RestartPolicy Of(ProgramSpec spec) =>
        new(spec.AutoRestart, spec.ExitCodes, spec.StartRetries, spec.StartTime, spec.Backoff, spec.RestartLimit);
}

/// <summary>What went wrong with an instance: its process exited on its own after running for a while, or it could
/// not be started at all.</summary>
public abstract record InstanceFailure
{
    private InstanceFailure() { }

    public sealed record Exited(ExitStatus Status, TimeSpan RanFor) : InstanceFailure;

    /// <param name="Reason">E.g. <c>spawn error: command not found: nope</c>.</param>
    public sealed record SpawnFailed(string Reason) : InstanceFailure;
}

/// <summary>What the decider says follows a failure.</summary>
public enum Verdict
{
    /// <summary>Start again at once (supervisord's restart after RUNNING).</summary>
    RestartNow,
    /// <summary>BACKOFF, then start again after <see cref="RestartDecision.Delay"/>.</summary>
    RestartLater,
    /// <summary>EXITED: the policy does not restart this exit.</summary>
    Exited,
    /// <summary>BACKOFF → FATAL: the last allowed start failed.</summary>
    Fatal,
}

/// <summary>The restarts after RUNNING an instance made recently (for the crash-loop throttle), and how many times in
/// a row it has been throttled. Empty for a new instance; carried from one decision to the next.</summary>
public sealed record RestartHistory(ImmutableArray<DateTimeOffset> Recent, int Throttled)
{
    public static readonly RestartHistory Empty = new([], 0);
}

/// <param name="NextAttempt">The attempt number the next start counts as (1 after RUNNING and after a throttle).</param>
/// <param name="Reason">For the transition: <c>exited too quickly: exit status 1 (attempt 1 of 4; next in 1 s)</c>.</param>
/// <param name="Expected">For an exit after RUNNING: the code is in <c>exitcodes</c>.</param>
/// <param name="Cause">What failed, without the attempt count or the throttle (<c>exited too quickly: exit status 1</c>,
/// <c>exit status 1 (unexpected)</c>): the reason of FATAL, and of EXITED after RUNNING.</param>
public sealed record RestartDecision(Verdict Verdict, TimeSpan Delay, int NextAttempt, string Reason, RestartHistory History,
    bool Expected = false, string Cause = "");

/// <summary>
/// The restart policy as one pure function: (policy, failure, attempt, history, now, jitter) → what follows
/// (DESIGN §4). A failure before <c>starttime</c> (or a spawn error) is a failed start, counted against
/// <c>startretries</c> and delayed by the backoff schedule; after the last allowed attempt the instance is FATAL.
/// An exit after <c>starttime</c> is judged by <c>autorestart</c> and <c>exitcodes</c>; a restart then is immediate and
/// the attempt count starts again, unless the instance is in a crash loop: more than <c>restart_burst</c> restarts
/// within <c>restart_interval</c> turn the next ones into backoff delays (<c>restart throttled: 21 in 10 s</c>) until
/// it has stayed up for <c>restart_interval</c>. Delays grow by <c>backoff_jitter</c> × a random fraction, so that
/// programs failing together do not retry together.
/// </summary>
public static class RestartDecider
{
    /// <param name="attempt">The attempt number of the start that failed (1-based).</param>
    /// <param name="jitter">A random number in [0, 1): the share of <c>backoff_jitter</c> added to the delay.</param>
    public static RestartDecision Decide(RestartPolicy policy, InstanceFailure failure, int attempt, RestartHistory history,
        DateTimeOffset now, double jitter)
    {
        var attempts = policy.StartRetries + 1;
        switch (failure)
        {
            case InstanceFailure.SpawnFailed spawn:
                return FailedStart(policy, spawn.Reason, attempt, attempts, history, jitter);
            case InstanceFailure.Exited { RanFor: var ran } exit when ran < policy.StartTime:
                return FailedStart(policy, $"exited too quickly: {exit.Status}", attempt, attempts, history, jitter);
            case InstanceFailure.Exited exit:
                return AfterRunning(policy, exit, history, now, jitter);
            default:
                throw new ArgumentOutOfRangeException(nameof(failure));
        }
    }

    private static RestartDecision FailedStart(RestartPolicy policy, string why, int attempt, int attempts,
        RestartHistory history, double jitter)
    {
        if (attempt >= attempts)
            return new RestartDecision(Verdict.Fatal, TimeSpan.Zero, attempt, $"{why} (attempt {attempt} of {attempts})", history, Cause: why);
        var delay = Jittered(policy.Backoff, policy.Backoff.DelayFor(attempt), jitter);
        return new RestartDecision(Verdict.RestartLater, delay, attempt + 1,
            $"{why} (attempt {attempt} of {attempts}; next in {Seconds(delay)} s)", history, Cause: why);
    }

    private static RestartDecision AfterRunning(RestartPolicy policy, InstanceFailure.Exited exit, RestartHistory history,
        DateTimeOffset now, double jitter)
    {
        var expected = exit.Status.Code is { } code && policy.ExitCodes.Contains(code);
        var what = $"{exit.Status} ({(expected ? "expected" : "unexpected")})";
        var restart = policy.AutoRestart switch
        {
            AutoRestart.Always => true,
            AutoRestart.Unexpected => !expected,
            _ => false,
        };
        var limit = policy.Limit;
        // Up for a whole interval: whatever loop there was is over.
        if (limit.Enabled && exit.RanFor >= limit.Interval) history = RestartHistory.Empty;
        if (!restart) return new RestartDecision(Verdict.Exited, TimeSpan.Zero, 1, what, history, expected, what);
        if (!limit.Enabled) return new RestartDecision(Verdict.RestartNow, TimeSpan.Zero, 1, what, history, expected, what);

        var since = now - limit.Interval;
        var recent = history.Recent.Where(t => t > since).Append(now).ToImmutableArray();
        if (recent.Length <= limit.Burst)
            return new RestartDecision(Verdict.RestartNow, TimeSpan.Zero, 1, what, history with { Recent = recent }, expected, what);
        var throttled = history.Throttled + 1;
        var delay = Jittered(policy.Backoff, policy.Backoff.DelayFor(throttled), jitter);
        return new RestartDecision(Verdict.RestartLater, delay, 1,
            $"restart throttled: {recent.Length} in {Seconds(limit.Interval)} s; next in {Seconds(delay)} s",
            new RestartHistory(recent, throttled), expected, what);
    }

    /// <summary><paramref name="delay"/> × (1 + jitter × <c>backoff_jitter</c>), still capped at <c>backoff_max</c>
    /// plus that share (so capped delays spread out too).</summary>
    private static TimeSpan Jittered(BackoffSpec backoff, TimeSpan delay, double jitter) =>
        backoff.Jitter <= 0 ? delay : TimeSpan.FromTicks((long)(delay.Ticks * (1 + backoff.Jitter * Math.Clamp(jitter, 0, 1))));

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
