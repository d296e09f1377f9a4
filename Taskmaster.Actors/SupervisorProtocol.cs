using System.Collections.Immutable;
using Taskmaster.Core.Config;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Actors;

/// <summary>
/// The messages the rest of the daemon (signal handling, the socket listener's connection actors) sends to the
/// root ConfigActor, and the replies it gets. Targets are instance names (<c>web:0</c>), program names (all
/// their instances) or <c>all</c>; an empty list means all. Any request naming an unknown target is answered
/// with <see cref="SupervisorProtocol.UnknownTargets"/> and changes nothing.
/// </summary>
public static class SupervisorProtocol
{
    // ---- Requests (to the ConfigActor) ----

    /// <summary>Replies <see cref="StatusReply"/> (instances sorted by name) or <see cref="UnknownTargets"/>.</summary>
    public sealed record GetStatus(ImmutableArray<string> Targets);

    /// <summary>Start the targets and reply once each reached RUNNING or failed (BACKOFF/FATAL, spawn error).</summary>
    public sealed record StartTargets(ImmutableArray<string> Targets);

    /// <summary>Stop the targets and reply once each is STOPPED (after SIGKILL if needed).</summary>
    public sealed record StopTargets(ImmutableArray<string> Targets);

    /// <summary>Stop then start each target; replies like <see cref="StartTargets"/>.</summary>
    public sealed record RestartTargets(ImmutableArray<string> Targets);

    /// <summary>Send a signal to each target's process group; instances without a process fail.</summary>
    public sealed record SignalTargets(int Signal, ImmutableArray<string> Targets);

    /// <summary>Re-read the config from where the daemon loaded it, diff, and (unless dry run) apply.
    /// Replies <see cref="ReloadReply"/> once applied: removed/changed instances stopped, added/changed started.</summary>
    public sealed record Reload(bool DryRun);

    /// <summary>Stop every program in parallel (each within its stoptime); replies <see cref="ShutdownComplete"/>.</summary>
    public sealed record Shutdown
    {
        public static readonly Shutdown Instance = new();
    }

    /// <summary>Reopen every instance's output files (SIGUSR2, logrotate). No reply.</summary>
    public sealed record ReopenLogs
    {
        public static readonly ReopenLogs Instance = new();
    }

    // ---- Events (published on the actor system's event stream) ----

    /// <summary>A reload (not a dry run) began: the config is being re-read.</summary>
    public sealed record ReloadStarted
    {
        public static readonly ReloadStarted Instance = new();
    }

    /// <summary>That reload ended: applied, or rejected with the running config kept.</summary>
    public sealed record ReloadFinished(bool Applied);

    /// <summary>A new config is in force (after a reload was applied).</summary>
    public sealed record ConfigApplied(TaskmasterConfig Config);

    /// <summary>An operator asked to stop (<see cref="Stopped"/>) or to start or restart these instances: what the
    /// daemon keeps across its own restarts.</summary>
    public sealed record OperatorIntent(ImmutableArray<string> Instances, bool Stopped);

    // ---- Replies ----

    public sealed record StatusReply(ImmutableArray<InstanceStatus> Instances);

    /// <summary>Names that match no instance or program. Nothing was done.</summary>
    public sealed record UnknownTargets(ImmutableArray<string> Names);

    /// <summary>Outcome for one instance: <c>web:0: started</c>, <c>web:1: ERROR (spawn error: …)</c>.</summary>
    public sealed record InstanceOutcome(string Name, bool Ok, string Message);

    public sealed record CommandReply(ImmutableArray<InstanceOutcome> Outcomes)
    {
        public bool AllOk => Outcomes.All(o => o.Ok);
    }

    /// <summary>The plan (applied unless dry run), or the errors of the new config (then nothing changed).</summary>
    public sealed record ReloadReply(ConfigDiff? Plan, ImmutableArray<ConfigError> Errors, bool Applied)
    {
        public bool Ok => Plan is not null && Errors.IsEmpty;

        /// <summary>What happened to each instance the applied plan touched (stopped, removed, started, or why it
        /// did not start); empty for a dry run or a rejected config.</summary>
        public ImmutableArray<InstanceOutcome> Outcomes { get; init; } = [];
    }

    public sealed record ShutdownComplete
    {
        public static readonly ShutdownComplete Instance = new();
    }
}
