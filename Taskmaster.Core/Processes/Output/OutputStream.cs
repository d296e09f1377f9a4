namespace Taskmaster.Core.Processes.Output;

/// <summary>One pipe (a child's stdout or stderr) and the log file it drains into.</summary>
internal sealed class OutputStream
{
    private readonly object gate = new();
    private readonly TaskCompletionSource completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly OutputPump pump;
    private int fd;

    public OutputStream(OutputPump pump, int fd, LogFile? file, OutputStats stats)
    {
        this.pump = pump;
        this.fd = fd;
        File = file;
        Stats = stats;
    }

    public LogFile? File { get; }
    public OutputStats Stats { get; }
    public long Id { get; set; }

    /// <summary>Completes once the pipe is closed and its data is written (or dropped).</summary>
    public Task Completed => completed.Task;

    /// <summary>Reads once (under the stream's lock, so a concurrent Close cannot pull the fd away).
    /// Returns false at end of file or when the stream was closed.</summary>
    public unsafe bool Pump(byte[] scratch, out byte[]? spare)
    {
        spare = null;
        lock (gate)
        {
            if (fd < 0) return false;
            long n;
            fixed (byte* p = scratch)
            {
                n = Tmds.Linux.LibC.read(fd, p, scratch.Length);
            }
            if (n > 0)
            {
                spare = File?.Enqueue(scratch, (int)n, Stats) ?? scratch;
                return true;
            }
            if (n < 0 && Tmds.Linux.LibC.errno is var e && (e == Tmds.Linux.LibC.EAGAIN || e == Tmds.Linux.LibC.EINTR))
            {
                spare = scratch;
                return true;
            }
            CloseLocked();
            spare = scratch;
            return false;
        }
    }

    public void Close()
    {
        lock (gate) CloseLocked();
    }

    private void CloseLocked()
    {
        if (fd < 0) return;
        pump.Unregister(this, fd);
        Tmds.Linux.LibC.close(fd);
        fd = -1;
        if (File is { } f) f.Release(() => completed.TrySetResult());
        else completed.TrySetResult();
    }
}
