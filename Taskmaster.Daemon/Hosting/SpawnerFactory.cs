using Serilog;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Processes.Families;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Daemon.Hosting;

/// <summary>What the supervision tree runs on: the process layer, and what the daemon recovered from its state file.</summary>
/// <param name="Spawner">The process layer.</param>
public sealed record DaemonProcesses(IProcessSpawner Spawner)
{
    /// <summary>Instances an operator stopped before the daemon restarted: not autostarted.</summary>
    public IReadOnlySet<string> HeldStopped { get; init; } = new HashSet<string>();

    /// <summary>Where the state file is kept; null: none (a test host).</summary>
    public string? StateFile { get; init; }

    /// <summary>The control socket (the state file names the daemon it belongs to).</summary>
    public string Socket { get; init; } = "";

    public CgroupTree? Cgroups { get; init; }

    /// <summary>How processes are tracked, for the log and <c>version</c>; null for a test host.</summary>
    public string? Tracking { get; init; }
}

/// <summary>The process layer the daemon uses: the spawn stub, one exit watcher, one output pump, and the family
/// tracking (a cgroup v2 per instance where possible; see <see cref="FamilyTracking"/>). Before anything starts,
/// the leftovers of a previous daemon on the same socket are stopped (<see cref="LeftoverRecovery"/>).</summary>
internal static class SpawnerFactory
{
    /// <param name="socketPath">Names the daemon's cgroup and its state file's default place, so that a daemon
    /// started again on the same socket finds what a crashed one left.</param>
    public static DaemonProcesses Create(TaskmasterConfig config, string socketPath)
    {
        var tracking = FamilyTracking.ForDaemon(socketPath, config.Daemon.Cgroups);
        Log.Information("process tracking: {Tracking}", tracking.Description);
        var spawner = new PosixSpawner(problem => Log.Warning("program output {Path}: {Problem}", problem.Path, problem.Message), tracking);
        var statePath = StatePath(config, socketPath);
        var snapshot = ReadState(statePath, socketPath);
        LeftoverRecovery.Run(snapshot, tracking.Cgroups,
            program => config.Programs.TryGetValue(program, out var spec) ? (spec.StopSignal, spec.StopTime) : null,
            line => Log.Warning("{Line}", line));
        return new DaemonProcesses(spawner)
        {
            HeldStopped = snapshot?.HeldStopped.Where(config.HasInstance).ToHashSet(StringComparer.Ordinal) ?? [],
            StateFile = statePath,
            Socket = socketPath,
            Cgroups = tracking.Cgroups,
            Tracking = tracking.Description,
        };
    }

    /// <summary><c>statefile:</c>, else <c>taskmasterd.state</c> in the socket's directory (which the daemon made or
    /// checked when it bound the socket).</summary>
    public static string StatePath(TaskmasterConfig config, string socketPath) =>
        config.Daemon.StateFile ?? Path.Join(Path.GetDirectoryName(socketPath) ?? "/", "taskmasterd.state");

    private static StateSnapshot? ReadState(string path, string socketPath)
    {
        byte[]? bytes;
        try
        {
            bytes = SafeFile.ReadTrusted(path, StateSnapshot.MaxBytes);
        }
        catch (IOException e)
        {
            Log.Warning("state file ignored: {Reason}", e.Message);
            return null;
        }
        if (bytes is null) return null;
        var snapshot = StateSnapshot.Parse(bytes, socketPath, out var problem);
        if (snapshot is null) Log.Warning("state file {Path} ignored: {Problem}", path, problem);
        return snapshot;
    }
}
