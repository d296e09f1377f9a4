using System.Buffers;
using System.Collections.Concurrent;
using Taskmaster.Core.Processes.Native;

namespace Taskmaster.Core.Processes.Output;

/// <summary>
/// Drains every child's stdout and stderr pipe with one thread: all read ends (non-blocking) sit in one epoll set;
/// each wake-up reads up to 1 MiB per ready pipe and hands the chunk to its <see cref="LogFile"/> queue without
/// touching the disk. So no child waits on another child's disk, and a full or slow disk only costs dropped output
/// (counted and reported), never a blocked child. Pipes are enlarged to 1 MiB when the daemon runs as root
/// (fewer wake-ups at high rates; for a non-root daemon the per-user pipe quota makes that unwise).
/// </summary>
internal sealed class OutputPump
{
    public static OutputPump Shared { get; } = new();

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
        if (!epoll.Add(fd, id, Tmds.Linux.LibC.EPOLLIN))
        {
            stream.Close();
        }
    }

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
        while (true)
        {
            var n = epoll.Wait(ids, events, -1);
            for (var i = 0; i < n; i++)
            {
                if (!streams.TryGetValue(ids[i], out var stream)) continue;
                stream.Pump(scratch, out var spare);
                scratch = spare ?? scratch;
            }
        }
    }
}
