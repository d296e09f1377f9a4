namespace Taskmaster.Core.Processes.Output;

/// <summary>
/// Open output files by full path, reference-counted: instances that share a path (no <c>{n}</c> in it) share one
/// <see cref="LogFile"/>, so their writes and rotations are serialised on one descriptor instead of racing.
/// The first opener's rotation settings apply while the file is open.
/// </summary>
internal sealed class LogFiles(Action<OutputProblem>? report)
{
    private readonly object gate = new();
    private readonly Dictionary<string, LogFile> open = new(StringComparer.Ordinal);

    /// <summary>Opens or shares the file. Throws IOException with the reason.</summary>
    public LogFile Acquire(OutputTarget target)
    {
        var path = Path.GetFullPath(target.Path!);
        lock (gate)
        {
            if (!open.TryGetValue(path, out var file))
            {
                file = LogFile.Open(target, report);
                file.Releaser = done => Release(file, done);
                open[path] = file;
            }
            file.References++;
            return file;
        }
    }

    private void Release(LogFile file, Action done)
    {
        lock (gate)
        {
            if (--file.References > 0)
            {
                file.Enqueue(done);
                return;
            }
            open.Remove(file.Path);
        }
        file.CloseWhenDrained(done);
    }

    public int Count
    {
        get { lock (gate) return open.Count; }
    }
}
