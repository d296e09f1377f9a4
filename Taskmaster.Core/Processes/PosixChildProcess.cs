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
/// reap; the supervisor signals the group before the leader's exit completes (stop: signal, then SIGKILL).</para>
/// </summary>
public sealed class PosixChildProcess : IChildProcess
{
    private readonly object gate = new();
    private readonly TaskCompletionSource<ExitStatus> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly OutputStream[] outputs;
    private int pidfd;
    private bool reaped;
    private int disposed;

    internal PosixChildProcess(int pid, int pidfd, OutputStream[] outputs, OutputStats stats)
    {
        Pid = pid;
        this.pidfd = pidfd;
        this.outputs = outputs;
        Output = stats;
        OutputCompleted = Task.WhenAll(outputs.Select(o => o.Completed));
    }

    public int Pid { get; }

    public Task<ExitStatus> Exited => exited.Task;

    /// <summary>Bytes of output dropped because a log file could not keep up or could not be written.</summary>
    public OutputStats Output { get; }

    /// <summary>Completes when both pipes reached end of file and everything read from them was written (or dropped).
    /// Never faults.</summary>
    public Task OutputCompleted { get; }

    public bool SignalGroup(int signal)
    {
        lock (gate)
        {
            if (reaped) return false;
            return Tmds.Linux.LibC.kill(-Pid, signal) == 0;
        }
    }

    public void ReopenLogs()
    {
        foreach (var o in outputs) o.File?.RequestReopen();
    }

    /// <summary>Closes the output pipes and releases the log files now. Does not signal the child; its exit is
    /// still reaped (no zombie), and it gets EPIPE or SIGPIPE if it writes afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        foreach (var o in outputs) o.Close();
    }

    /// <summary>Called by the exit watcher when the pidfd is readable. True once reaped (the pidfd is closed).</summary>
    internal unsafe bool TryReap(Action<int> unwatch)
    {
        ExitStatus status;
        lock (gate)
        {
            if (reaped) return true;
            var info = stackalloc byte[LibC.SigInfoSize];
            new Span<byte>(info, LibC.SigInfoSize).Clear();
            var rc = LibC.waitid(LibC.P_PIDFD, pidfd, info, LibC.WEXITED | LibC.WNOHANG);
            if (rc != 0)
            {
                // ECHILD: someone else reaped it (a waitpid(-1) elsewhere, or PID 1 semantics). Report it as lost.
                status = new ExitStatus(null, null, false);
            }
            else if (*(int*)(info + LibC.SiPidOffset) == 0)
            {
                return false; // not exited yet (spurious wake-up)
            }
            else
            {
                status = Decode(*(int*)(info + LibC.SiCodeOffset), *(int*)(info + LibC.SiStatusOffset));
            }
            reaped = true;
            unwatch(pidfd);
            Tmds.Linux.LibC.close(pidfd);
            pidfd = -1;
        }
        exited.TrySetResult(status);
        return true;
    }

    internal static ExitStatus Decode(int code, int status) => code switch
    {
        LibC.CLD_EXITED => ExitStatus.Exited(status),
        LibC.CLD_KILLED => ExitStatus.Killed(status),
        LibC.CLD_DUMPED => ExitStatus.Killed(status, core: true),
        _ => new ExitStatus(null, null, false),
    };
}
