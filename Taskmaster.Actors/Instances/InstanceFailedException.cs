using Akka.Actor;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Actors.Instances;

/// <summary>
/// How an instance actor fails when the process it owns fails ("let it crash"): its process exited on its own, or
/// could not be started. The supervisor's strategy (<see cref="Programs.InstanceSupervision"/>) decides what follows
/// from the program's policy and writes its <see cref="Decision"/> here, then restarts the actor; the new incarnation
/// reads what the old one knew (<see cref="Carried"/>) and enters the state the decision names. A stop asked for by a
/// user is not a failure and never gets here.
/// </summary>
public sealed class InstanceFailedException : Exception
{
    internal InstanceFailedException(InstanceFailure failure, int attempt, DateTimeOffset at, CarriedState carried)
        : base($"{carried.Status.Name}: {Describe(failure)}")
    {
        Failure = failure;
        Attempt = attempt;
        At = at;
        Carried = carried;
    }

    public InstanceFailure Failure { get; }

    /// <summary>The attempt number of the start that failed.</summary>
    public int Attempt { get; }

    /// <summary>When it failed (the actor system's clock, virtual in tests).</summary>
    public DateTimeOffset At { get; }

    /// <summary>The program as the instance last knew it (a reload may have changed it since it was created).</summary>
    public ProgramSpec Spec => Carried.Spec;

    public RestartHistory History => Carried.History;

    /// <summary>Set by the supervisor's strategy before it restarts the actor.</summary>
    public RestartDecision? Decision { get; set; }

    internal CarriedState Carried { get; }

    private static string Describe(InstanceFailure failure) => failure switch
    {
        InstanceFailure.Exited e => $"{e.Status} after {e.RanFor.TotalSeconds:0.###} s",
        InstanceFailure.SpawnFailed s => s.Reason,
        _ => failure.ToString(),
    };
}

/// <summary>What an instance actor hands to its next incarnation: its program, status, restart history, the
/// commands still waiting for an outcome, and what to say about the process that ended.</summary>
internal sealed record CarriedState(
    ProgramSpec Spec,
    InstanceStatus Status,
    RestartHistory History,
    IReadOnlyList<IActorRef> StartWaiters,
    IReadOnlyList<IActorRef> StopWaiters,
    ExitStatus? Exit,
    int? Pid,
    string Leftovers);
