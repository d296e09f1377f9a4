using Akka.Actor;
using Taskmaster.Actors.Instances;
using Taskmaster.Core.Config;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Actors.Programs;

/// <summary>
/// How a ProgramActor supervises its instance actors: the program's restart policy is the strategy.
/// <list type="bullet">
/// <item>An instance actor whose process failed (<see cref="InstanceFailedException"/>: it exited on its own, or could
/// not be spawned) is restarted, Akka's Restart directive, after the decider (<see cref="RestartDecider"/>, pure) has
/// said what the new incarnation does: start at once, BACKOFF for a delay, EXITED or FATAL. A delay is not an Akka
/// restart delay (Akka restarts at once): the new incarnation waits in BACKOFF with a timer, so that <c>status</c>
/// and commands keep working meanwhile, which BackoffSupervisor's stopped child could not offer.</item>
/// <item>Any other exception is a bug in the actor: it is stopped (its PostStop kills its process group), and the
/// ProgramActor recreates it after a backoff delay (stop, watch, timer, as BackoffSupervisor does), until
/// <c>startretries + 1</c> such failures in a row; the count starts again once the instance is RUNNING.</item>
/// </list>
/// </summary>
public static class InstanceSupervision
{
    /// <param name="policy">The policy to judge a failure by: the program's current one.</param>
    public static SupervisorStrategy Strategy(Func<InstanceFailedException, RestartPolicy> policy) =>
        new OneForOneStrategy(-1, -1, e => Decide(e, policy), loggingEnabled: false);

    /// <summary>The directive for a failure; for a process failure the decision is written into it first.</summary>
    public static Directive Decide(Exception failure, Func<InstanceFailedException, RestartPolicy> policy)
    {
        if (failure is not InstanceFailedException f) return Directive.Stop;
        f.Decision = RestartDecider.Decide(policy(f), f.Failure, f.Attempt, f.History, f.At, Random.Shared.NextDouble());
        return Directive.Restart;
    }

    /// <summary>Whether to recreate an instance actor that failed <paramref name="failures"/> times in a row.</summary>
    public static bool ShouldRecreate(ProgramSpec spec, int failures) => failures <= spec.StartRetries + 1;

    /// <summary>Delay before recreating it: the program's backoff schedule.</summary>
    public static TimeSpan RecreateDelay(ProgramSpec spec, int failures) => spec.Backoff.DelayFor(failures);

    /// <summary>How long to wait for instance outcomes: a stop (up to stoptime, then SIGKILL), then a start.</summary>
    public static TimeSpan OutcomeTimeout(IEnumerable<ProgramSpec> specs)
    {
        var list = specs.ToList();
        var stop = list.Count == 0 ? TimeSpan.Zero : list.Max(s => s.StopTime);
        var start = list.Count == 0 ? TimeSpan.Zero : list.Max(s => s.StartTime);
        return stop + start + TimeSpan.FromSeconds(10);
    }
}

/// <summary>
/// The user guardian's strategy where instance actors are created at the top (tests, tools): process failures are
/// judged by the instance's own program; anything else gets Akka's default (restart).
/// Configure with <c>akka.actor.guardian-supervisor-strategy = "Taskmaster.Actors.Programs.InstanceGuardianStrategy, Taskmaster.Actors"</c>.
/// </summary>
public sealed class InstanceGuardianStrategy : SupervisorStrategyConfigurator
{
    public override SupervisorStrategy Create() =>
        new OneForOneStrategy(-1, -1, e => e is InstanceFailedException
            ? InstanceSupervision.Decide(e, f => RestartPolicy.Of(f.Spec))
            : SupervisorStrategy.DefaultDecider.Decide(e), loggingEnabled: false);
}
