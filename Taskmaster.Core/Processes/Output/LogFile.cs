using System.Buffers;
using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes.Output;

/// <summary>
/// One output file, shared by every stream that writes to the same path. Its writer (a thread-pool work item, one at
/// a time per file) reads the ready pipes itself and writes what it read, on the same thread: the data is still in that
/// core's cache (handing 1 MiB chunks from the pump thread to a writer thread cost 2–5× the CPU per GB, measured).
/// The pipe is the buffer: while the writer is busy the pipe fills and the child waits, so a disk slower than the
/// program paces it the way writing the file itself would, and nothing is lost. A writer stuck in one write or open for
/// <see cref="StallMs"/> (a hung disk) is <see cref="Stalled"/>: then the pump reads those pipes and drops the data
/// (counted, reported once), so no child ever waits on a hung disk. Write errors (a full disk) drop the chunk.
/// Size rotation: a write that would take the file past MaxBytes is cut after the last complete line that fits
/// (or at the limit when a single line is longer), then <c>path</c> → <c>path.1</c> → … → <c>path.N</c>
/// (Backups 0: the file is truncated instead). Nothing is lost at the boundary and no file exceeds MaxBytes.
/// </summary>
internal sealed class LogFile : IThreadPoolWorkItem
{
    public const int ReadSize = 1 << 20;
    /// <summary>Bytes moved from one stream before the writer turns to the next stream of the same file.</summary>
    private const int TurnBytes = 4 << 20;
    /// <summary>A writer stuck in one system call for this long is stalled.</summary>
    public const long StallMs = 1000;

    private readonly object gate = new();
    private readonly Queue<Entry> queue = new();
    private readonly Action<OutputProblem>? report;
    private bool scheduled, reopenRequested, failing, closed, overflowing;
    private long busySince;
    private int fd;
    private long size;

    private readonly record struct Entry(OutputStream? Stream, Action? Done);

    private LogFile(string path, long maxBytes, int backups, FileOwner? owner, Action<OutputProblem>? report)
    {
        Path = path;
        MaxBytes = maxBytes;
        Backups = backups;
        Owner = owner;
        this.report = report;
        fd = LogFileOps.Open(path, owner);
        size = LogFileOps.Size(fd);
    }

    /// <summary>Who new files (and rotated ones) are created for; null: the daemon.</summary>
    public FileOwner? Owner { get; }

    public string Path { get; }
    public long MaxBytes { get; }
    public int Backups { get; }
    internal int References { get; set; }

    /// <summary>Opens (creating missing parent directories with mode 0755). Throws IOException with the reason.</summary>
    public static LogFile Open(OutputTarget target, Action<OutputProblem>? report) =>
        new(System.IO.Path.GetFullPath(target.Path!), target.MaxBytes, target.Backups, target.Owner, report);

    /// <summary>True while the writer has been stuck in one write or open for more than <see cref="StallMs"/>.</summary>
    public bool Stalled => Interlocked.Read(ref busySince) is var since and not 0 && Environment.TickCount64 - since > StallMs;

    /// <summary>The pump saw the stream's pipe readable: the writer drains it.</summary>
    public void Schedule(OutputStream stream)
    {
        lock (gate)
        {
            queue.Enqueue(new Entry(stream, null));
            ScheduleLocked();
        }
    }

    /// <summary>Called by the pump when it drops a stalled file's output: reported once per stall.</summary>
    public void ReportDropping()
    {
        lock (gate)
        {
            if (overflowing) return;
            overflowing = true;
        }
        Report("the disk does not keep up (a write has been stuck for over a second); dropping output until it does");
    }

    /// <summary>Asks the writer to reopen the file (after logrotate moved it; SIGUSR2).</summary>
    public void RequestReopen()
    {
        lock (gate)
        {
            if (closed) return;
            reopenRequested = true;
            ScheduleLocked();
        }
    }

    /// <summary>Runs <paramref name="done"/> once everything scheduled before it is written.</summary>
    public void Enqueue(Action done)
    {
        lock (gate)
        {
            queue.Enqueue(new Entry(null, done));
            ScheduleLocked();
        }
    }

    /// <summary>Closes the file once everything scheduled is written.</summary>
    public void CloseWhenDrained(Action? done) => Enqueue(() =>
    {
        lock (gate) closed = true;
        CloseFd();
        done?.Invoke();
    });

    /// <summary>Set by the registry: the stream that used it is done.</summary>
    public Action<Action> Releaser { get; set; } = _ => { };

    public void Release(Action done) => Releaser(done);

    private void ScheduleLocked()
    {
        if (scheduled) return;
        scheduled = true;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute()
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                Entry entry = default;
                bool reopen;
                lock (gate)
                {
                    reopen = reopenRequested && !closed;
                    reopenRequested = false;
                    if (!reopen && !queue.TryDequeue(out entry))
                    {
                        scheduled = false;
                        return;
                    }
                }
                if (reopen)
                {
                    CloseFd();
                    TryOpen();
                    continue;
                }
                if (entry.Stream is { } stream)
                {
                    buffer ??= ArrayPool<byte>.Shared.Rent(ReadSize);
                    if (Drain(stream, buffer) == OutputStream.ReadOutcome.Data)
                        lock (gate) queue.Enqueue(entry); // turn used up: let the file's other streams go first
                }
                entry.Done?.Invoke();
            }
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads and writes until the pipe is empty (then re-armed), closed, or the turn is used up (Data).</summary>
    private OutputStream.ReadOutcome Drain(OutputStream stream, byte[] buffer)
    {
        var moved = 0;
        while (moved < TurnBytes)
        {
            var outcome = stream.Read(buffer, out var n);
            if (outcome != OutputStream.ReadOutcome.Data) return outcome;
            Write(buffer, n, stream.Stats);
            moved += n;
        }
        return OutputStream.ReadOutcome.Data;
    }

    private void Write(byte[] buffer, int length, OutputStats stats)
    {
        var offset = 0;
        while (offset < length)
        {
            if (fd < 0 && !TryOpen())
            {
                stats.AddDropped(length - offset);
                return;
            }
            var remaining = length - offset;
            if (MaxBytes > 0 && size + remaining > MaxBytes)
            {
                var room = (int)Math.Max(0, Math.Min(remaining, MaxBytes - size));
                var cut = 0;
                if (room > 0)
                {
                    var newline = buffer.AsSpan(offset, room).LastIndexOf((byte)'\n');
                    cut = newline >= 0 ? newline + 1 : size == 0 ? room : 0;
                }
                if (cut > 0)
                {
                    if (!WriteAll(buffer, offset, cut, stats))
                    {
                        stats.AddDropped(length - offset - cut);
                        return;
                    }
                    offset += cut;
                }
                Rotate();
                continue;
            }
            WriteAll(buffer, offset, remaining, stats);
            return;
        }
    }

    private unsafe bool WriteAll(byte[] buffer, int offset, int count, OutputStats stats)
    {
        fixed (byte* p = buffer)
        {
            while (count > 0)
            {
                Interlocked.Exchange(ref busySince, Environment.TickCount64);
                long n = write(fd, p + offset, count);
                Interlocked.Exchange(ref busySince, 0);
                if (n < 0)
                {
                    var e = errno;
                    if (e == EINTR) continue;
                    stats.AddDropped(count);
                    if (!failing)
                    {
                        failing = true;
                        Report($"write failed ({Marshal.GetPInvokeErrorMessage(e)}); dropping output until writes succeed");
                    }
                    return false;
                }
                if (failing) problem = null;
                failing = false;
                if (overflowing) lock (gate) overflowing = false;
                offset += (int)n;
                count -= (int)n;
                size += n;
                stats.AddWritten(n);
            }
        }
        return true;
    }

    private void Rotate()
    {
        CloseFd();
        try
        {
            LogFileOps.ShiftBackups(Path, Backups, Owner);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report($"rotation failed: {e.Message}");
        }
        TryOpen();
    }

    private bool TryOpen()
    {
        try
        {
            Interlocked.Exchange(ref busySince, Environment.TickCount64);
            fd = LogFileOps.Open(Path, Owner);
            size = LogFileOps.Size(fd);
            Interlocked.Exchange(ref busySince, 0);
            return true;
        }
        catch (IOException e)
        {
            Interlocked.Exchange(ref busySince, 0);
            if (!failing)
            {
                failing = true;
                Report(e.Message);
            }
            return false;
        }
    }

    private void CloseFd()
    {
        if (fd >= 0) close(fd);
        fd = -1;
    }

    private void Report(string message)
    {
        problem = $"{Path}: {message}";
        report?.Invoke(new OutputProblem(Path, message));
    }

    private volatile string? problem;

    /// <summary>Why output to this file is being dropped now (<c>PATH: write failed (No space left on device) …</c>),
    /// or null while writes succeed.</summary>
    public string? Problem => problem;
}
