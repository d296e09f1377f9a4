using System.Runtime.InteropServices;
using Taskmaster.Core.Processes.Families;
using Taskmaster.Core.Processes.Native;
using Taskmaster.Core.Processes.Output;

namespace Taskmaster.Core.Processes;

/// <summary>
/// A child started by <see cref="PosixSpawner"/>: session and process group leader (pgid == pid), watched through a
/// pidfd, its output drained by the <see cref="OutputPump"/>.
/// <para>Signals and pid reuse: a pid (and so the group id) cannot be reused while the leader is unreaped, and only
/// <see cref="ExitWatcher"/> reaps it, under the same lock that <see cref="SignalGroup"/> holds while calling
/// <c>kill(-pid)</c>. So a signal is either sent while the number still names our group, or not at all:
/// once the leader is reaped, <see cref="SignalGroup"/> returns false and sends nothing, because the number may
/// already belong to a stranger. Descendants that outlive the leader are therefore not reachable by number after the
/// reap, unless <see cref="KillRestOfGroupOnExit"/> was called: then the watcher SIGKILLs the group just before
/// reaping the leader, while the zombie still pins the number.</para>
/// <para>The family (<see cref="ChildFamily"/>: a cgroup, or the group plus what left it): when the leader exits and
/// the program's policy is to kill leftovers, the leader is not reaped yet. Its status is read (<c>WNOWAIT</c>), the
/// rest of the family gets the stop signal, SIGKILL once the stop time is up, and only when nothing is left is the
/// leader reaped and the exit reported (<see cref="OnExit"/>, <see cref="LeftoversStopped"/>). The zombie keeps the
/// pid, and so the group id, from being reused meanwhile.</para>
/// </summary>
public sealed class PosixChildProcess : IChildProcess
{
    private readonly object gate = new();
    private readonly TaskCompletionSource<ExitStatus> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly OutputStream[] outputs;
    private int pidfd;
    private bool reaped;
    private ExitStatus exitStatus;
    private Action<ExitStatus>? onExit;
    private volatile bool killRestOfGroup;
    private int disposed;
    private readonly ChildFamily? family;
    private readonly LeftoverPolicy leftovers;
    // Cleaning up after the leader exited: its status (the zombie is kept until the family is gone).
    private bool leaderExited, finalKillSent;
    private long killAt;

    internal PosixChildProcess(int pid, int pidfd, OutputStream[] outputs, OutputStats stats,
        ChildFamily? family = null, LeftoverPolicy? leftovers = null)
    {
        Pid = pid;
        this.family = family;
        this.leftovers = leftovers ?? LeftoverPolicy.Keep;
        this.pidfd = pidfd;
        this.outputs = outputs;
        Output = stats;
        OutputCompleted = Task.WhenAll(outputs.Select(o => o.Completed));
    }

    public int Pid { get; }

    public Task<ExitStatus> Exited => exited.Task;

    /// <summary>Bytes of output dropped because a log file could not keep up or could not be written.</summary>
    public OutputStats Output { get; }

    public long DroppedOutputBytes => Output.DroppedBytes;

    public string? OutputProblem => outputs.Select(o => o.File.Problem).FirstOrDefault(p => p is not null);

    /// <summary>Completes when both pipes reached end of file and everything read from them was written (or dropped).
    /// Never faults.</summary>
    public Task OutputCompleted { get; }

    public bool SignalGroup(int signal)
    {
        lock (gate)
        {
            if (reaped) return false;
            if (family is null) return Tmds.Linux.LibC.kill(-Pid, signal) == 0;
            return family.Signal(Pid, signal) > 0 || !leaderExited;
        }
    }

    /// <summary>How many processes besides the leader were still running when it exited and were stopped with it
    /// (0 when none were, or when the program keeps its leftovers). Set before <see cref="OnExit"/> callbacks run.</summary>
    public int LeftoversStopped { get; private set; }

    /// <summary>The cgroup the instance runs in, or null (process-group tracking).</summary>
    public string? Cgroup => (family as CgroupFamily)?.Directory;

    public void KillRestOfGroupOnExit() => killRestOfGroup = true;

    /// <summary>The state letter of <c>/proc/PID/stat</c> (the field after the command's closing parenthesis) is
    /// <c>T</c>. The pid is still this child's: it is not reaped before <see cref="Exited"/> completes.</summary>
    public bool IsSuspended => !exited.Task.IsCompleted && ProcTable.Read(Pid) is { State: 'T' };

    public void OnExit(Action<ExitStatus> callback)
    {
        lock (gate)
        {
            if (!reaped)
            {
                onExit += callback;
                return;
            }
        }
        callback(exitStatus);
    }

    public void ReopenLogs()
    {
        foreach (var o in outputs) o.File.RequestReopen();
    }

    /// <summary>Writes what is in the output pipes now, then closes them and releases the log files
    /// (<see cref="OutputCompleted"/> tells when). Does not signal the child; its exit is still reaped (no zombie),
    /// and whatever still holds the pipes gets EPIPE or SIGPIPE if it writes afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        foreach (var o in outputs) o.CloseWhenDrained();
    }

    /// <summary>Called by the exit watcher when the pidfd is readable. True once reaped (the pidfd is closed).</summary>
    /// <summary>Fallback when the pidfd could not join the watcher's epoll set: wait (without reaping, and without
    /// the lock, so SignalGroup stays usable) until the child exits, then reap it.</summary>
    internal unsafe void WaitThenReap()
    {
        var info = stackalloc byte[LibC.SigInfoSize];
        while (LibC.waitid(LibC.P_PIDFD, pidfd, info, LibC.WEXITED | LibC.WNOWAIT) != 0 && Marshal.GetLastPInvokeError() == 4 /* EINTR */)
        {
        }
        while (!TryReap(_ => { }, () => { })) Thread.Sleep(100);
    }

    /// <param name="unwatch">Takes the pidfd out of the watcher's epoll set.</param>
    /// <param name="cleaning">Tells the watcher to call again every so often: the leader has exited and the rest of
    /// its family is being stopped.</param>
    internal unsafe bool TryReap(Action<int> unwatch, Action cleaning)
    {
        lock (gate)
        {
            if (reaped) return true;
            var info = stackalloc byte[LibC.SigInfoSize];
            if (!leaderExited)
            {
                new Span<byte>(info, LibC.SigInfoSize).Clear();
                if (family is null)
                {
                    // The leader is a zombie now (its pidfd is readable), so its pid still names our group: last safe moment.
                    if (killRestOfGroup) Tmds.Linux.LibC.kill(-Pid, Signals.SIGKILL);
                }
                var rc = LibC.waitid(LibC.P_PIDFD, pidfd, info, LibC.WEXITED | LibC.WNOHANG | (family is null ? 0 : LibC.WNOWAIT));
                if (rc != 0) exitStatus = ExitStatus.Unknown; // ECHILD: reaped by someone else (PID 1 semantics)
                else if (*(int*)(info + LibC.SiPidOffset) == 0) return false; // not exited yet (spurious wake-up)
                else exitStatus = Decode(*(int*)(info + LibC.SiCodeOffset), *(int*)(info + LibC.SiStatusOffset));
                leaderExited = true;
                if (family is not null && rc == 0 && (leftovers.Kill || killRestOfGroup) && family.Leftovers(Pid) is var left and > 0)
                {
                    LeftoversStopped = left;
                    var signal = killRestOfGroup ? Signals.SIGKILL : leftovers.Signal;
                    family.Signal(Pid, signal);
                    if (signal != Signals.SIGKILL && signal != Signals.SIGCONT) family.Signal(Pid, Signals.SIGCONT);
                    finalKillSent = signal == Signals.SIGKILL;
                    killAt = Environment.TickCount64 + (long)leftovers.Grace.TotalMilliseconds;
                    unwatch(pidfd); // level-triggered: a readable pidfd would wake the watcher without end
                    cleaning();
                    return false;
                }
                if (family is not null && rc == 0)
                    LibC.waitid(LibC.P_PIDFD, pidfd, info, LibC.WEXITED | LibC.WNOHANG);
            }
            else
            {
                if (family!.Leftovers(Pid) is var left and > 0)
                {
                    if (!finalKillSent && (killRestOfGroup || Environment.TickCount64 >= killAt))
                    {
                        family.Signal(Pid, Signals.SIGKILL);
                        finalKillSent = true;
                        killAt = Environment.TickCount64 + StuckAfterMs;
                    }
                    else if (finalKillSent && Environment.TickCount64 >= killAt)
                    {
                        // Still there after SIGKILL: stuck in the kernel (state D). The exit is reported anyway, so
                        // that the instance can move on; what is stuck goes once the kernel lets it.
                        LeftoversStuck = left;
                    }
                    if (LeftoversStuck == 0) return false;
                }
                LibC.waitid(LibC.P_PIDFD, pidfd, info, LibC.WEXITED | LibC.WNOHANG);
            }
        }
        return Finish(unwatch);
    }

    /// <summary>After the leader is reaped: closes the pidfd, releases the family and runs the exit callbacks.</summary>
    private bool Finish(Action<int> unwatch)
    {
        ExitStatus status;
        Action<ExitStatus>? callbacks;
        lock (gate)
        {
            status = exitStatus;
            reaped = true;
            callbacks = onExit;
            onExit = null;
            unwatch(pidfd);
            Tmds.Linux.LibC.close(pidfd);
            pidfd = -1;
            if (LeftoversStuck == 0) family?.Release();
        }
        Notify(callbacks, status);
        exited.TrySetResult(status);
        return true;
    }

    /// <summary>How long a process may stay after SIGKILL before it counts as stuck in the kernel.</summary>
    public const int StuckAfterMs = 5000;

    /// <summary>Leftovers still there <see cref="StuckAfterMs"/> after their SIGKILL (stuck in the kernel): the exit
    /// was reported without them.</summary>
    public int LeftoversStuck { get; private set; }

    /// <summary>The leader's state as <c>/proc</c> shows it, in words (<c>D (uninterruptible sleep)</c>), or null
    /// when it is gone.</summary>
    public string? KernelState
    {
        get
        {
            if (exited.Task.IsCompleted || Families.ProcTable.Read(Pid) is not { } e) return null;
            return e.State switch
            {
                'R' => "R (running)",
                'S' => "S (sleeping)",
                'D' => "D (uninterruptible sleep: waiting in the kernel, e.g. on a hung disk or NFS server)",
                'T' => "T (stopped by a signal)",
                't' => "t (stopped by a debugger)",
                'Z' => "Z (exited, waiting to be reaped)",
                var c => c.ToString(),
            };
        }
    }

    /// <summary>On the watcher thread, which must survive whatever a callback does.</summary>
    private void Notify(Action<ExitStatus>? callbacks, ExitStatus status)
    {
        if (callbacks is null) return;
        foreach (var callback in callbacks.GetInvocationList().Cast<Action<ExitStatus>>())
        {
            try
            {
                callback(status);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"taskmasterd: exit callback for pid {Pid} failed: {e}");
            }
        }
    }

    internal static ExitStatus Decode(int code, int status) => code switch
    {
        LibC.CLD_EXITED => ExitStatus.Exited(status),
        LibC.CLD_KILLED => ExitStatus.Killed(status),
        LibC.CLD_DUMPED => ExitStatus.Killed(status, core: true),
        _ => ExitStatus.Unknown,
    };
}
