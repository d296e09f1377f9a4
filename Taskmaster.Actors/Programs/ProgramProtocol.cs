using System.Collections.Immutable;
using Akka.Actor;
using Taskmaster.Core.Config;

namespace Taskmaster.Actors.Programs;

/// <summary>Messages from the ConfigActor to a ProgramActor.</summary>
public static class ProgramProtocol
{
    public enum CommandKind
    {
        Start,
        Stop,
        Restart,
        Signal,
        Status,
    }

    /// <summary>A command for some instances (by number). Each answers <c>ReplyTo</c> once: an
    /// <see cref="SupervisorProtocol.InstanceOutcome"/>, or an <see cref="Taskmaster.Core.Supervision.InstanceStatus"/>
    /// for <see cref="CommandKind.Status"/>.</summary>
    public sealed record Command(CommandKind Kind, ImmutableArray<int> Indices, IActorRef ReplyTo, int Signal = 0);

    /// <summary>Apply a reloaded spec: live policy, numprocs up/down at the end, and with
    /// <paramref name="Restart"/> a restart of the instances that were active. Answers <see cref="Applied"/>.</summary>
    public sealed record Apply(ProgramSpec Spec, bool Restart, IActorRef ReplyTo);

    /// <summary>Start the instances if the program is autostart (added by a reload). Answers <see cref="Applied"/>.</summary>
    public sealed record Launch(IActorRef ReplyTo);

    /// <summary>Stop every instance and then the program itself (removed by a reload). Answers <see cref="Applied"/>.</summary>
    public sealed record Remove(IActorRef ReplyTo);

    /// <summary>Stop every instance in parallel (shutdown). Answers <see cref="Applied"/> once all are STOPPED.</summary>
    public sealed record StopAll(IActorRef ReplyTo);

    /// <summary>From an instance actor that reached RUNNING: its slot's count of failed actors starts again.</summary>
    public sealed record InstanceHealthy(int Index);

    /// <summary>A program finished an <see cref="Apply"/>, <see cref="Remove"/> or <see cref="StopAll"/>.</summary>
    public sealed record Applied(string Program, ImmutableArray<SupervisorProtocol.InstanceOutcome> Outcomes);
}
