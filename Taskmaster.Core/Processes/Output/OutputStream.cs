using static Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes.Output;

/// <summary>One pipe (a child's stdout or stderr) and the log file it drains into. Reads happen under the stream's
/// lock (by the file's writer, or by the pump while that writer is stalled), so a concurrent Close never pulls the fd
/// away mid-read; no lock is held while writing to disk.</summary>
internal sealed class OutputStream
{
    public enum ReadOutcome { Data, Empty, Closed }

    private const int DropTurnBytes = 4 << 20;
    private readonly object gate = new();
    private readonly TaskCompletionSource completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly OutputPump pump;
    private int fd;
    private bool closeWhenEmpty;

    public OutputStream(OutputPump pump, int fd, LogFile file, OutputStats stats)
    {
        this.pump = pump;
        this.fd = fd;
        File = file;
        Stats = stats;
    }

    public LogFile File { get; }
    public OutputStats Stats { get; }
    public long Id { get; set; }

    /// <summary>Handed to the writer and not yet drained by it (its pipe is not armed in the pump meanwhile).</summary>
    public bool WaitingForWriter { get; set; }

    /// <summary>Completes once the pipe is closed and its data is written (or dropped).</summary>
    public Task Completed => completed.Task;

    /// <summary>Starts watching the pipe in the pump.</summary>
    public void Start()
    {
        lock (gate) if (fd >= 0) pump.Register(this, fd);
    }

    /// <summary>One read. Empty: the pipe is drained and re-armed in the pump. Closed: end of file (or closed).</summary>
    public unsafe ReadOutcome Read(byte[] buffer, out int count)
    {
        count = 0;
        lock (gate)
        {
            while (true)
            {
                if (fd < 0) return ReadOutcome.Closed;
                long n;
                fixed (byte* p = buffer) n = read(fd, p, buffer.Length);
                if (n > 0)
                {
                    count = (int)n;
                    return ReadOutcome.Data;
                }
                var error = n < 0 ? errno : 0;
                if (error == EINTR) continue;
                WaitingForWriter = false;
                if (error == EAGAIN && !closeWhenEmpty)
                {
                    pump.Arm(this, fd);
                    return ReadOutcome.Empty;
                }
                CloseLocked();
                return ReadOutcome.Closed;
            }
        }
    }

    /// <summary>The pump's fallback while the writer is stalled: read what is there, count it as dropped, re-arm.</summary>
    public void DropAvailable(byte[] scratch)
    {
        WaitingForWriter = false;
        var dropped = 0;
        while (dropped < DropTurnBytes)
        {
            var outcome = Read(scratch, out var n);
            if (outcome != ReadOutcome.Data) break;
            Stats.AddDropped(n);
            dropped += n;
        }
        if (dropped >= DropTurnBytes) lock (gate) if (fd >= 0) pump.Arm(this, fd);
        if (dropped > 0) File.ReportDropping();
    }

    /// <summary>Lets the writer take what is in the pipe now, then closes it (supervisord does the same when a
    /// process is done): what the child wrote before exiting is never lost, and descendants that keep the pipe
    /// open do not keep the log file open forever.</summary>
    public void CloseWhenDrained()
    {
        lock (gate)
        {
            if (fd < 0 || closeWhenEmpty) return;
            closeWhenEmpty = true;
            WaitingForWriter = true; // if that writer is stalled, the pump's sweep drains and closes instead
        }
        File.Schedule(this);
    }

    public void Close()
    {
        lock (gate) CloseLocked();
    }

    private void CloseLocked()
    {
        if (fd < 0) return;
        pump.Unregister(this, fd);
        close(fd);
        fd = -1;
        File.Release(() => completed.TrySetResult());
    }
}
