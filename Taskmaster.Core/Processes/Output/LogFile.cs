using System.Buffers;
using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes.Output;

/// <summary>
/// One output file, shared by every stream that writes to the same path. The pump thread only queues chunks here
/// (never touches the disk); writing happens on a thread-pool work item, one at a time per file, so a slow or full
/// disk stalls only this file's writer. The queue is bounded: past <see cref="MaxQueuedBytes"/> chunks are dropped
/// and counted, and the problem is reported once, so the pump and the child never wait for the disk.
/// Size rotation: a write that would take the file past MaxBytes is cut after the last complete line that fits
/// (or at the limit when a single line is longer), then <c>path</c> → <c>path.1</c> → … → <c>path.N</c>
/// (Backups 0: the file is truncated instead). Nothing is lost at the boundary and no file exceeds MaxBytes.
/// </summary>
internal sealed class LogFile : IThreadPoolWorkItem
{
    public const int ReadSize = 1 << 20;
    private const int SmallChunk = 64 * 1024;
    public const long MaxQueuedBytes = 64L << 20;

    private readonly object gate = new();
    private readonly Queue<Entry> queue = new();
    private readonly Action<OutputProblem>? report;
    private long queuedBytes;
    private bool scheduled, reopenRequested, overflowing, failing, closed;
    private int fd;
    private long size;

    private readonly record struct Entry(byte[]? Buffer, int Length, OutputStats? Stats, Action? Done);

    private LogFile(string path, long maxBytes, int backups, Action<OutputProblem>? report)
    {
        Path = path;
        MaxBytes = maxBytes;
        Backups = backups;
        this.report = report;
        fd = OpenOrThrow(path);
        size = new FileInfo(path).Length;
    }

    public string Path { get; }
    public long MaxBytes { get; }
    public int Backups { get; }
    internal int References { get; set; }

    /// <summary>Opens (creating missing parent directories with mode 0755). Throws IOException with the reason.</summary>
    public static LogFile Open(OutputTarget target, Action<OutputProblem>? report) =>
        new(System.IO.Path.GetFullPath(target.Path!), target.MaxBytes, target.Backups, report);

    /// <summary>Queues a chunk read by the pump. Returns the buffer the pump should read into next.</summary>
    public byte[] Enqueue(byte[] buffer, int length, OutputStats stats)
    {
        lock (gate)
        {
            if (queuedBytes + length > MaxQueuedBytes)
            {
                stats.AddDropped(length);
                if (!overflowing)
                {
                    overflowing = true;
                    Report("the disk does not keep up; dropping output until it does");
                }
                return buffer;
            }
            overflowing = false;
            byte[] chunk, next;
            if (length >= SmallChunk)
            {
                chunk = buffer;
                next = ArrayPool<byte>.Shared.Rent(ReadSize);
            }
            else
            {
                chunk = ArrayPool<byte>.Shared.Rent(length);
                Buffer.BlockCopy(buffer, 0, chunk, 0, length);
                next = buffer;
            }
            queue.Enqueue(new Entry(chunk, length, stats, null));
            queuedBytes += length;
            ScheduleLocked();
            return next;
        }
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

    /// <summary>Runs <paramref name="done"/> once everything queued before it is written.</summary>
    public void Enqueue(Action done)
    {
        lock (gate)
        {
            queue.Enqueue(new Entry(null, 0, null, done));
            ScheduleLocked();
        }
    }

    /// <summary>Closes the file once everything queued is written.</summary>
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
        while (true)
        {
            Entry entry = default;
            bool reopen;
            lock (gate)
            {
                reopen = reopenRequested && !closed;
                reopenRequested = false;
                if (!reopen)
                {
                    if (!queue.TryDequeue(out entry))
                    {
                        scheduled = false;
                        return;
                    }
                    queuedBytes -= entry.Length;
                }
            }
            if (reopen)
            {
                CloseFd();
                TryOpen();
                continue;
            }
            if (entry.Buffer is { } buffer)
            {
                Write(buffer, entry.Length, entry.Stats!);
                ArrayPool<byte>.Shared.Return(buffer);
            }
            entry.Done?.Invoke();
        }
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
                long n = write(fd, p + offset, count);
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
                failing = false;
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
            if (Backups > 0)
            {
                for (var i = Backups - 1; i >= 1; i--)
                {
                    var from = $"{Path}.{i}";
                    if (File.Exists(from)) File.Move(from, $"{Path}.{i + 1}", overwrite: true);
                }
                if (File.Exists(Path)) File.Move(Path, Path + ".1", overwrite: true);
            }
            else
            {
                File.WriteAllBytes(Path, []);
            }
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
            fd = OpenOrThrow(Path);
            size = new FileInfo(Path).Length;
            return true;
        }
        catch (IOException e)
        {
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

    private void Report(string message) => report?.Invoke(new OutputProblem(Path, message));

    private static unsafe int OpenOrThrow(string path)
    {
        try
        {
            var dir = System.IO.Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create its directory ({e.Message})", e);
        }
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = bytes)
            fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0x1a4 /* 0644 */);
        if (fd < 0) throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        return fd;
    }
}
