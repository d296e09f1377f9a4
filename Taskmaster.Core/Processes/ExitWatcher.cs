using System.Collections.Concurrent;
using Taskmaster.Core.Processes.Families;
using Taskmaster.Core.Processes.Native;

namespace Taskmaster.Core.Processes;

/// <summary>
/// Exit detection for any number of children with one thread: each child has a pidfd (readable once it has exited),
/// all pidfds sit in one epoll set, and this thread reaps exactly that child with <c>waitid(P_PIDFD)</c>.
/// No <c>waitpid(-1)</c>, so children started elsewhere (System.Diagnostics.Process) are never stolen, and no SIGCHLD
/// handler. <see cref="IChildProcess.OnExit"/> callbacks run on this thread (they only Tell an actor); the
/// <see cref="IChildProcess.Exited"/> task's continuations run asynchronously, never on this thread.
/// <para>A child whose leader has exited while the rest of its family is being stopped leaves the epoll set and is
/// polled every <see cref="CleaningPollMs"/> until nothing is left. When the daemon is a child subreaper
/// (<see cref="FamilyTracking.Subreaper"/>), orphans re-parented to it are reaped every <see cref="OrphanPollMs"/>:
/// only zombies whose pid is none of the watched leaders, each by its own pid.</para>
/// </summary>
internal sealed class ExitWatcher
{
    public const int CleaningPollMs = 100, OrphanPollMs = 5000;

    public static ExitWatcher Shared { get; } = new();

    private readonly Epoll epoll = new();
    private readonly ConcurrentDictionary<long, PosixChildProcess> watched = new();
    private readonly List<long> cleaning = []; // the watcher thread's own
    private long nextId;
    private volatile bool reapOrphans;

    private ExitWatcher()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "taskmaster-exit-watcher" };
        thread.UnsafeStart();
    }

    public int Count => watched.Count;

    /// <summary>The daemon became a child subreaper: reap the orphans it inherits.</summary>
    public void ReapOrphans() => reapOrphans = true;

    /// <summary>True when <paramref name="pid"/> is the leader of a child being watched (linear: for rare checks).</summary>
    public bool IsLeader(int pid) => watched.Values.Any(c => c.Pid == pid);

    /// <summary>Starts watching; false if the pidfd could not be added (then the caller reaps).</summary>
    public bool Watch(PosixChildProcess child, int pidfd)
    {
        var id = Interlocked.Increment(ref nextId);
        watched[id] = child;
        if (epoll.Add(pidfd, id, Tmds.Linux.LibC.EPOLLIN)) return true;
        watched.TryRemove(id, out _);
        return false;
    }

    private void Loop()
    {
        Span<long> ids = stackalloc long[128];
        Span<int> events = stackalloc int[128];
        long lastOrphanScan = 0, lastCleaning = 0;
        while (true)
        {
            var timeout = cleaning.Count > 0 ? CleaningPollMs : reapOrphans ? OrphanPollMs : -1;
            var n = epoll.Wait(ids, events, timeout);
            for (var i = 0; i < n; i++)
            {
                var id = ids[i];
                if (!watched.TryGetValue(id, out var child)) continue;
                if (child.TryReap(epoll.Remove, () => cleaning.Add(id))) watched.TryRemove(id, out _);
            }
            if (cleaning.Count > 0 && Environment.TickCount64 - lastCleaning >= CleaningPollMs)
            {
                lastCleaning = Environment.TickCount64;
                for (var i = cleaning.Count - 1; i >= 0; i--)
                {
                    var id = cleaning[i];
                    if (!watched.TryGetValue(id, out var child) || child.TryReap(epoll.Remove, () => { }))
                    {
                        watched.TryRemove(id, out _);
                        cleaning.RemoveAt(i);
                    }
                }
            }
            if (reapOrphans && Environment.TickCount64 - lastOrphanScan >= OrphanPollMs)
            {
                lastOrphanScan = Environment.TickCount64;
                ReapZombieOrphans();
            }
        }
    }

    /// <summary>Zombies among the daemon's children that no watched child owns: re-parented orphans.</summary>
    private unsafe void ReapZombieOrphans()
    {
        var self = Environment.ProcessId;
        HashSet<int>? leaders = null;
        var info = stackalloc byte[LibC.SigInfoSize];
        foreach (var p in ProcTable.All())
        {
            if (p.Ppid != self || p.State != 'Z') continue;
            leaders ??= watched.Values.Select(c => c.Pid).ToHashSet();
            if (leaders.Contains(p.Pid)) continue;
            LibC.waitid(LibC.P_PID, p.Pid, info, LibC.WEXITED | LibC.WNOHANG);
        }
    }
}
