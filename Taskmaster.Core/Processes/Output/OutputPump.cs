using System.Buffers;
using System.Collections.Concurrent;
using Taskmaster.Core.Processes.Native;

namespace Taskmaster.Core.Processes.Output;

/// <summary>
/// Watches every child's stdout and stderr pipe with one thread: all read ends (non-blocking) sit in one epoll set,
/// one-shot. A readable pipe is handed to its <see cref="LogFile"/>'s writer, which drains it and re-arms it; so the
/// pump itself never touches the disk, and no child waits on another child's file. When a file's writer is stalled
/// (stuck in a write for over a second: a hung disk), the pump reads that file's pipes itself and drops the data
/// (counted, reported once), so no child ever blocks on a hung disk. Pipes are enlarged to 1 MiB when the daemon
/// runs as root (fewer wake-ups at high rates; for a non-root daemon the per-user pipe quota makes that unwise).
/// </summary>
internal sealed class OutputPump
{
    public static OutputPump Shared { get; } = new();

    private const int SweepMs = 250;
    private static readonly int Armed = Tmds.Linux.LibC.EPOLLIN | Tmds.Linux.LibC.EPOLLONESHOT;
    private readonly Epoll epoll = new();
    private readonly ConcurrentDictionary<long, OutputStream> streams = new();
    private long nextId;

    private OutputPump()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "taskmaster-output-pump" };
        thread.UnsafeStart();
    }

    public int Count => streams.Count;

    public void Register(OutputStream stream, int fd)
    {
        var id = Interlocked.Increment(ref nextId);
        stream.Id = id;
        streams[id] = stream;
        if (!epoll.Add(fd, id, Armed)) stream.Close();
    }

    /// <summary>Watch the pipe again (called with the stream's lock held).</summary>
    public void Arm(OutputStream stream, int fd) => epoll.Modify(fd, stream.Id, Armed);

    /// <summary>Stop watching (called with the stream's lock held, before the fd is closed).</summary>
    public void Unregister(OutputStream stream, int fd)
    {
        epoll.Remove(fd);
        streams.TryRemove(stream.Id, out _);
    }

    private void Loop()
    {
        Span<long> ids = stackalloc long[256];
        Span<int> events = stackalloc int[256];
        var scratch = ArrayPool<byte>.Shared.Rent(LogFile.ReadSize);
        var nextSweep = Environment.TickCount64 + SweepMs;
        while (true)
        {
            var n = epoll.Wait(ids, events, SweepMs);
            for (var i = 0; i < n; i++)
            {
                if (!streams.TryGetValue(ids[i], out var stream)) continue;
                if (stream.File.Stalled)
                {
                    stream.DropAvailable(scratch);
                }
                else
                {
                    stream.WaitingForWriter = true;
                    stream.File.Schedule(stream);
                }
            }
            if (Environment.TickCount64 >= nextSweep)
            {
                nextSweep = Environment.TickCount64 + SweepMs;
                foreach (var (_, stream) in streams)
                    if (stream.WaitingForWriter && stream.File.Stalled) stream.DropAvailable(scratch);
            }
        }
    }
}
