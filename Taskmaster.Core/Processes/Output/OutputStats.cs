namespace Taskmaster.Core.Processes.Output;

/// <summary>Per-child output counters (thread-safe).</summary>
public sealed class OutputStats
{
    private long written, dropped;

    /// <summary>Bytes written to the log files.</summary>
    public long WrittenBytes => Interlocked.Read(ref written);

    /// <summary>Bytes read from the child but dropped (log file too slow to keep up, or not writable).</summary>
    public long DroppedBytes => Interlocked.Read(ref dropped);

    internal void AddWritten(long n) => Interlocked.Add(ref written, n);
    internal void AddDropped(long n) => Interlocked.Add(ref dropped, n);
}

/// <summary>A problem with an output file, reported once per episode (then output is dropped and counted until the
/// file takes writes again).</summary>
public sealed record OutputProblem(string Path, string Message);
