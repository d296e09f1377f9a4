using Akka.Actor;
using Taskmaster.Core.Config;

namespace Taskmaster.Actors.Instances;

/// <summary>
/// Messages a ProgramActor sends to its ProcessInstanceActors. Commands answer
/// <see cref="SupervisorProtocol.InstanceOutcome"/> to <c>ReplyTo</c> (which may be <see cref="ActorRefs.Nobody"/>);
/// <see cref="GetStatus"/> answers a <see cref="Taskmaster.Core.Supervision.InstanceStatus"/>.
/// </summary>
public static class InstanceProtocol
{
    /// <summary>Start (resetting the retry count); answers once RUNNING, or failed (BACKOFF, FATAL, stopped first).</summary>
    public sealed record Start(IActorRef ReplyTo);

    /// <summary>Stop gracefully; answers once STOPPED (at once when there is no process).</summary>
    public sealed record Stop(IActorRef ReplyTo);

    /// <summary>Stop if there is a process, then start; answers like <see cref="Start"/>.</summary>
    public sealed record Restart(IActorRef ReplyTo);

    /// <summary>Signal the process group; fails when there is no process.</summary>
    public sealed record Signal(int Number, IActorRef ReplyTo);

    public sealed record GetStatus(IActorRef ReplyTo);

    /// <summary>
    /// Take a new spec from a reload (the instance's name may change with numprocs). With
    /// <paramref name="RestartIfActive"/> (a change to what the process runs with) an instance that has a process,
    /// is in BACKOFF or is FATAL starts again under the new spec; the answer comes like <see cref="Start"/>'s.
    /// Otherwise the change applies live and the answer is immediate.
    /// </summary>
    public sealed record Reconfigure(ProgramSpec Spec, bool RestartIfActive, IActorRef ReplyTo);

    /// <summary>Stop the process if any, answer, then stop the actor (numprocs went down, or the program was removed).</summary>
    public sealed record Retire(IActorRef ReplyTo);

    public sealed record ReopenLogs
    {
        public static readonly ReopenLogs Instance = new();
    }
}
