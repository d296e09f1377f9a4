using Akka.Actor;
using Taskmaster.Core.Config;

namespace Taskmaster.Actors.Programs;

/// <summary>
/// How a ProgramActor supervises its instance actors, built from the program's policy (pure, tested on its own).
/// An Akka restart is not a process restart: it would be immediate, lose the failing message and keep the actor's
/// fields. So a failing instance actor is stopped (its PostStop kills its process group), the ProgramActor watches
/// it and recreates it after a delay from the program's backoff schedule, the way BackoffOnRestartSupervisor
/// does (stop, watch, timer). After <c>startretries + 1</c> failures in a row the slot stays down until a user
/// starts it.
/// </summary>
public static class InstanceSupervision
{
    public static Directive Decide(Exception failure) => Directive.Stop;

    public static SupervisorStrategy Strategy() => new OneForOneStrategy(Decide);

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
