using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes.Native;

/// <summary>A level-triggered epoll set keyed by 64-bit registration ids (never by fd numbers, which get reused).</summary>
internal sealed unsafe class Epoll
{
    private readonly int fd;

    public Epoll()
    {
        fd = epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0) throw new InvalidOperationException($"epoll_create1 failed: errno {errno}");
    }

    public bool Add(int target, long id, int events)
    {
        var ev = new epoll_event { events = events };
        ev.data.u64 = (ulong)id;
        return epoll_ctl(fd, EPOLL_CTL_ADD, target, &ev) == 0;
    }

    public bool Modify(int target, long id, int events)
    {
        var ev = new epoll_event { events = events };
        ev.data.u64 = (ulong)id;
        return epoll_ctl(fd, EPOLL_CTL_MOD, target, &ev) == 0;
    }

    public void Remove(int target)
    {
        var ev = default(epoll_event);
        epoll_ctl(fd, EPOLL_CTL_DEL, target, &ev);
    }

    /// <summary>Blocks until events arrive; fills ids and event masks; returns how many.</summary>
    public int Wait(Span<long> ids, Span<int> events, int timeoutMs)
    {
        var max = Math.Min(ids.Length, 256);
        var buffer = stackalloc epoll_event[max];
        while (true)
        {
            var n = epoll_wait(fd, buffer, max, timeoutMs);
            if (n < 0)
            {
                if (errno == EINTR) continue;
                throw new InvalidOperationException($"epoll_wait failed: errno {errno}");
            }
            for (var i = 0; i < n; i++)
            {
                ids[i] = (long)buffer[i].data.u64;
                events[i] = buffer[i].events;
            }
            return n;
        }
    }
}
