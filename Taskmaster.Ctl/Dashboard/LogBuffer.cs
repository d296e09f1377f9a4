namespace Taskmaster.Ctl.Dashboard;

/// <summary>
/// The last lines of one output stream, at most <see cref="Capacity"/> of them: output arrives in arbitrary chunks,
/// a line is complete at its newline, and the unfinished tail is shown as the last line until it ends.
/// </summary>
public sealed class LogBuffer(int capacity)
{
    private readonly Queue<string> _lines = new();
    private string _partial = "";

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    /// <summary>Lines dropped from the front to stay within the capacity.</summary>
    public long Dropped { get; private set; }

    public void Append(string data)
    {
        var start = 0;
        while (start < data.Length)
        {
            var newline = data.IndexOf('\n', start);
            if (newline < 0)
            {
                _partial += data[start..];
                return;
            }
            Push(_partial + data[start..newline].TrimEnd('\r'));
            _partial = "";
            start = newline + 1;
        }
    }

    private void Push(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Capacity)
        {
            _lines.Dequeue();
            Dropped++;
        }
    }

    /// <summary>The complete lines, oldest first, then the unfinished one if any (never more than the capacity).</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            var lines = new List<string>(_lines.Count + 1);
            lines.AddRange(_partial.Length > 0 ? _lines.Skip(_lines.Count == Capacity ? 1 : 0) : _lines);
            if (_partial.Length > 0) lines.Add(_partial);
            return lines;
        }
    }

    public string Text => string.Join('\n', Lines);

    public void Clear()
    {
        _lines.Clear();
        _partial = "";
        Dropped = 0;
    }
}
