using System.Collections.Concurrent;
using Taskmaster.Core.Processes.Native;

namespace Taskmaster.Core.Processes;

/// <summary>
/// Exit detection for any number of children with one thread: each child has a pidfd (readable once it has exited),
/// all pidfds sit in one epoll set, and this thread reaps exactly that child with <c>waitid(P_PIDFD)</c>.
/// No <c>waitpid(-1)</c>, so children started elsewhere (System.Diagnostics.Process) are never stolen, and no SIGCHLD
/// handler. <see cref="IChildProcess.OnExit"/> callbacks run on this thread (they only Tell an actor); the
/// <see cref="IChildProcess.Exited"/> task's continuations run asynchronously, never on this thread.
/// </summary>
internal sealed class ExitWatcher
{
    public static ExitWatcher Shared { get; } = new();

    private readonly Epoll epoll = new();
    private readonly ConcurrentDictionary<long, PosixChildProcess> watched = new();
    private long nextId;

    private ExitWatcher()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "taskmaster-exit-watcher" };
        thread.UnsafeStart();
    }

    public int Count => watched.Count;

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
        while (true)
        {
            var n = epoll.Wait(ids, events, -1);
            for (var i = 0; i < n; i++)
            {
                if (!watched.TryGetValue(ids[i], out var child)) continue;
                if (child.TryReap(epoll.Remove)) watched.TryRemove(ids[i], out _);
            }
        }
    }
}
