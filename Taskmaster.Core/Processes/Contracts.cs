using System.Collections.Immutable;

namespace Taskmaster.Core.Processes;

/// <summary>Where one output stream of a running instance goes (a concrete path, not a template).</summary>
/// <param name="Path">File appended to; null discards the stream.</param>
/// <param name="MaxBytes">Rotate past this size; 0 disables rotation.</param>
/// <param name="Backups">Rotated files kept (<c>path.1</c> … <c>path.N</c>).</param>
/// <param name="Owner">Who a new file is created for (a <c>user</c> program's account); null: the daemon.</param>
public sealed record OutputTarget(string? Path, long MaxBytes, int Backups, FileOwner? Owner = null)
{
    public static readonly OutputTarget Discard = new(null, 0, 0);
}

/// <summary>Everything needed to start one instance. Built from a ProgramSpec by the caller.</summary>
public sealed record SpawnRequest
{
    /// <summary>Instance name, for messages (<c>web:0</c>).</summary>
    public required string Name { get; init; }
    /// <summary>argv[0] is the program (a path, or a name looked up in the child's PATH).</summary>
    public required ImmutableArray<string> Argv { get; init; }
    /// <summary>Added to, and overriding, the inherited or clean environment (see <see cref="ChildEnvironment"/>).</summary>
    public ImmutableSortedDictionary<string, string> Env { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary>What the child takes from the daemon's environment.</summary>
    public EnvInheritance InheritEnv { get; init; } = EnvInheritance.All;
    public string? WorkingDir { get; init; }
    /// <summary>A relative command path is resolved against <see cref="WorkingDir"/>, else this (the config
    /// file's directory); never against the daemon's own working directory.</summary>
    public string? BaseDirectory { get; init; }
    public int? Umask { get; init; }
    public string? User { get; init; }
    public OutputTarget Stdout { get; init; } = OutputTarget.Discard;
    public OutputTarget Stderr { get; init; } = OutputTarget.Discard;
    /// <summary>What happens to the rest of the instance's processes when the leader exits.</summary>
    public LeftoverPolicy Leftovers { get; init; } = LeftoverPolicy.Default;
    /// <summary>Names the instance's slot for the process tracking (its cgroup): stable across renames, e.g.
    /// <c>web@0</c>; null: <see cref="Name"/>.</summary>
    public string? Slot { get; init; }
}

/// <summary>
/// What happens to an instance's other processes when its leader exits (the <c>leftovers</c> key): with
/// <see cref="Kill"/>, they get <see cref="Signal"/>, then SIGKILL after <see cref="Grace"/>, before the exit is
/// reported; else they are left running, outside any tracking (the behaviour before families were tracked).
/// </summary>
public sealed record LeftoverPolicy(bool Kill, int Signal, TimeSpan Grace)
{
    public static readonly LeftoverPolicy Default = new(true, Signals.SIGTERM, TimeSpan.FromSeconds(10));
    public static readonly LeftoverPolicy Keep = new(false, Signals.SIGTERM, TimeSpan.Zero);
}

/// <summary>Why a spawn failed, as a category the supervisor can act on.</summary>
public enum SpawnErrorKind
{
    CommandNotFound,
    NotExecutable,
    WorkingDirectoryMissing,
    UnknownUser,
    NotRoot,
    LogFileUnavailable,
    Other,
}

/// <summary>Result of a spawn: a running child, or a failure with a reason a person understands.</summary>
public abstract record SpawnResult
{
    private SpawnResult() { }

    public sealed record Started(IChildProcess Process) : SpawnResult;

    /// <param name="Message">E.g. <c>spawn error: command not found: /usr/bin/nope</c>.</param>
    public sealed record Failed(SpawnErrorKind Kind, string Message) : SpawnResult;
}

/// <summary>How a process ended: an exit code, or a signal (possibly with a core dump).</summary>
public readonly record struct ExitStatus(int? Code, int? Signal, bool CoreDumped)
{
    public static ExitStatus Exited(int code) => new(code, null, false);
    public static ExitStatus Killed(int signal, bool core = false) => new(null, signal, core);

    /// <summary>The status could not be read (the child was reaped by someone else, e.g. a daemon running as PID 1).</summary>
    public static ExitStatus Unknown => new(null, null, false);

    public override string ToString() =>
        Code is { } c ? $"exit status {c}"
        : Signal is { } s ? $"terminated by {Signals.Name(s)}{(CoreDumped ? " (core dumped)" : "")}"
        : "exit status unknown";
}

/// <summary>A spawned child: its own session and process group (pgid == pid).</summary>
public interface IChildProcess : IDisposable
{
    int Pid { get; }

    /// <summary>Completes once the child has exited and been reaped. Never faults. Its continuations run on the
    /// thread pool; the supervisor uses <see cref="OnExit"/> instead, which does not wait for the pool.</summary>
    Task<ExitStatus> Exited { get; }

    /// <summary>
    /// Calls <paramref name="callback"/> once the child has exited and been reaped (at once if it already has), on
    /// the thread that reaped it: keep it short and never block in it (a Tell to an actor). The real process layer
    /// calls it from its exit watcher thread, so an exit is noticed even when the thread pool is saturated.
    /// </summary>
    void OnExit(Action<ExitStatus> callback) =>
        Exited.ContinueWith(t => callback(t.Result), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Send a signal to the child's whole process group. False if nothing was there to signal.</summary>
    bool SignalGroup(int signal);

    /// <summary>Reopen the output files (after logrotate moved them; SIGUSR2).</summary>
    void ReopenLogs();

    /// <summary>
    /// When the leader exits, SIGKILL whatever is left in its process group (descendants that ignored the stop
    /// signal) before the leader is reaped, while its pid still safely names the group. Call it when stopping.
    /// </summary>
    void KillRestOfGroupOnExit() { }

    /// <summary>How many processes besides the leader were still running when it exited and were stopped with it;
    /// known once <see cref="OnExit"/> callbacks run.</summary>
    int LeftoversStopped => 0;

    /// <summary>Of those, how many were still there a few seconds after SIGKILL (stuck in the kernel).</summary>
    int LeftoversStuck => 0;

    /// <summary>The leader's process state from <c>/proc</c> in words (<c>D (uninterruptible sleep: …)</c>), or
    /// null when it has exited. Read when asked.</summary>
    string? KernelState => null;

    /// <summary>Output bytes dropped because a log file could not be written or its disk hung (0 when nothing was).</summary>
    long DroppedOutputBytes => 0;

    /// <summary>Why its output is being dropped now (a full disk, an unwritable file), or null.</summary>
    string? OutputProblem => null;

    /// <summary>Completes once both output pipes reached end of file and what was read is written. Never faults.</summary>
    Task OutputCompleted => Task.CompletedTask;

    /// <summary>True while the process is stopped by a signal (SIGSTOP, SIGTSTP, …; SIGCONT resumes it). Read when
    /// asked, so cheap enough for a status request but not for a tight loop.</summary>
    bool IsSuspended => false;
}

/// <summary>The OS seam the supervisor uses to start processes. Real: <see cref="PosixSpawner"/>; tests: a fake.</summary>
public interface IProcessSpawner
{
    /// <summary>Start one instance. Failures are synchronous and typed; never throws for an OS error.</summary>
    SpawnResult Spawn(SpawnRequest request);
}
