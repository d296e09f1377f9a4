using System.Runtime.InteropServices;
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

    public long DroppedOutputBytes => Output.DroppedBytes;

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

    public void KillRestOfGroupOnExit() => killRestOfGroup = true;

    /// <summary>The state letter of <c>/proc/PID/stat</c> (the field after the command's closing parenthesis) is
    /// <c>T</c>. The pid is still this child's: it is not reaped before <see cref="Exited"/> completes.</summary>
    public bool IsSuspended
    {
        get
        {
            if (exited.Task.IsCompleted) return false;
            try
            {
                var stat = File.ReadAllText($"/proc/{Pid}/stat");
                var close = stat.LastIndexOf(')');
                return close >= 0 && close + 2 < stat.Length && stat[close + 2] == 'T';
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }
    }

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
        const int WNOWAIT = 0x01000000;
        var info = stackalloc byte[LibC.SigInfoSize];
        while (LibC.waitid(LibC.P_PIDFD, pidfd, info, LibC.WEXITED | WNOWAIT) != 0 && Marshal.GetLastPInvokeError() == 4 /* EINTR */)
        {
        }
        TryReap(_ => { });
    }

    internal unsafe bool TryReap(Action<int> unwatch)
    {
        ExitStatus status;
        Action<ExitStatus>? callbacks;
        lock (gate)
        {
            if (reaped) return true;
            var info = stackalloc byte[LibC.SigInfoSize];
            new Span<byte>(info, LibC.SigInfoSize).Clear();
            // The leader is a zombie now (its pidfd is readable), so its pid still names our group: last safe moment.
            if (killRestOfGroup) Tmds.Linux.LibC.kill(-Pid, Signals.SIGKILL);
            var rc = LibC.waitid(LibC.P_PIDFD, pidfd, info, LibC.WEXITED | LibC.WNOHANG);
            if (rc != 0)
            {
                // ECHILD: someone else reaped it (a waitpid(-1) elsewhere, or PID 1 semantics). Report it as lost.
                status = ExitStatus.Unknown;
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
            exitStatus = status;
            callbacks = onExit;
            onExit = null;
            unwatch(pidfd);
            Tmds.Linux.LibC.close(pidfd);
            pidfd = -1;
        }
        Notify(callbacks, status);
        exited.TrySetResult(status);
        return true;
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
