using System.Globalization;
using System.Text;
using Taskmaster.Core.Protocol;
using Taskmaster.Ctl.Cli;

namespace Taskmaster.Ctl.Dashboard;

/// <summary>What the bottom pane shows.</summary>
public enum PaneKind
{
    None,
    /// <summary>The followed output of one instance.</summary>
    Log,
    /// <summary>The plan of the last reload.</summary>
    Plan,
}

/// <summary>
/// The dashboard's state, without a terminal: the instances (from the subscription's first answer, then its
/// transitions), the connection, the last outcome line and the bottom pane. The UI only renders it; everything
/// here is called on the UI thread.
/// </summary>
public sealed class DashboardModel(string socketPath, int logCapacity = 1000)
{
    /// <summary>The states in the order the header counts them (DESIGN §4).</summary>
    public static readonly string[] StateOrder =
        ["RUNNING", "STARTING", "BACKOFF", "STOPPING", "STOPPED", "EXITED", "FATAL"];

    private readonly List<InstanceRow> _rows = [];

    public string SocketPath { get; } = socketPath;

    /// <summary>The instances sorted by program, then instance number (<c>web:2</c> before <c>web:10</c>).</summary>
    public IReadOnlyList<InstanceRow> Rows => _rows;

    public bool Connected { get; private set; }

    /// <summary>Why the daemon cannot be reached, while it cannot.</summary>
    public string? ConnectionProblem { get; private set; } = "connecting";

    /// <summary>The outcome of the last action (start, stop, reload …), shown in the status bar.</summary>
    public string StatusLine { get; private set; } = "";

    public PaneKind Pane { get; private set; }

    /// <summary>The instance and stream the log pane follows, while it is open.</summary>
    public string? LogInstance { get; private set; }
    public string LogStream { get; private set; } = "stdout";
    public LogBuffer Log { get; } = new(logCapacity);
    private string _planText = "";

    /// <summary>The subscription answered: these are all the instances now.</summary>
    public void Load(IReadOnlyList<InstanceInfo> instances)
    {
        _rows.Clear();
        _rows.AddRange(instances.Select(InstanceRow.From));
        _rows.Sort(ByName);
        Connected = true;
        ConnectionProblem = null;
    }

    /// <summary>Apply a pushed event; returns whether anything shown changed.</summary>
    public bool Apply(StreamEvent e)
    {
        if (e.Kind == StreamEvent.Kinds.Log)
        {
            if (e.Data is null) return false;
            return AppendLog(e.Name, e.Stream ?? "stdout", e.Data);
        }
        if (e.Kind != StreamEvent.Kinds.Transition) return false;
        var index = IndexOf(e.Name);
        if (index >= 0)
        {
            // A transition older than what the row shows was overtaken by the snapshot it raced with.
            if (e.Time is { } t && t < _rows[index].Since.ToUnixTimeMilliseconds()) return false;
            _rows[index] = _rows[index].Apply(e);
            return true;
        }
        // An instance we did not know: added by a reload.
        var program = e.Program ?? (e.Name.LastIndexOf(':') is var colon and > 0 ? e.Name[..colon] : e.Name);
        var row = new InstanceRow(e.Name, program, "STOPPED", null, DateTimeOffset.UnixEpoch, "").Apply(e);
        var at = _rows.BinarySearch(row, ByName);
        _rows.Insert(at < 0 ? ~at : at, row);
        return true;
    }

    /// <summary>The subscription is gone; the rows stay, marked stale by the header, until it is back.</summary>
    public void Disconnected(string reason)
    {
        Connected = false;
        ConnectionProblem = reason;
    }

    public int IndexOf(string name) => _rows.FindIndex(r => r.Name == name);

    /// <summary>How many instances are in each state, in <see cref="StateOrder"/> (unknown states last), none omitted.</summary>
    public IReadOnlyList<(string State, int Count)> Counts =>
        [.. _rows.GroupBy(r => r.State)
            .Select(g => (State: g.Key, Count: g.Count()))
            .OrderBy(c => Array.IndexOf(StateOrder, c.State) is var i and >= 0 ? i : int.MaxValue)
            .ThenBy(c => c.State, StringComparer.Ordinal)];

    public const string KeyHelp = "s start  x stop  r restart  l/Enter log  e stderr  R reload  q quit";

    /// <summary>The first header line: whether we hear the daemon and the counts by state, then where it is (last,
    /// so a long socket path is what a narrow terminal cuts, not the state).</summary>
    public string Header()
    {
        var sb = new StringBuilder();
        if (!Connected)
            sb.Append("DISCONNECTED (").Append(ConnectionProblem).Append("; retrying)");
        else
        {
            sb.Append(_rows.Count).Append(_rows.Count == 1 ? " instance" : " instances");
            var counts = Counts;
            if (counts.Count > 0)
                sb.Append(": ").Append(string.Join(", ", counts.Select(c => $"{c.Count} {c.State}")));
        }
        return sb.Append("  taskmasterd ").Append(SocketPath).ToString();
    }

    // ---- Actions ----

    public void ReportPending(string verb, string name) => StatusLine = $"{verb} {name} ...";

    /// <summary>The daemon's answer to start/stop/restart: one outcome per instance, or its error.</summary>
    public void ReportOutcomes(string verb, Response response)
    {
        if (!response.Ok)
        {
            StatusLine = $"{verb}: ERROR ({response.Error?.Message ?? "unknown error"})";
            return;
        }
        var outcomes = response.Outcomes ?? [];
        StatusLine = outcomes.Count == 0 ? $"{verb}: done" : string.Join("; ", outcomes.Select(o => o.ToString()));
    }

    public void ReportFailure(string verb, string message) => StatusLine = $"{verb}: {message}";

    /// <summary>The answer to reload: the plan goes to the pane, a summary to the status bar.</summary>
    public void ReportReload(Response response)
    {
        if (!response.Ok)
        {
            StatusLine = $"reload: ERROR ({response.Error?.Message ?? "unknown error"})";
            if (response.Error is { Code: ErrorCodes.InvalidConfig } error) ShowPlan(error.Message + "\n");
            return;
        }
        var text = PlanFormatter.Format(response.Plan!, response.Applied == true);
        var outcomes = response.Outcomes ?? [];
        if (outcomes.Count > 0) text += string.Join("\n", outcomes.Select(o => o.ToString())) + "\n";
        ShowPlan(text);
        var failed = outcomes.Count(o => !o.Ok);
        StatusLine = response.Plan!.IsEmpty ? "reload: no changes"
            : failed > 0 ? string.Create(CultureInfo.InvariantCulture, $"reload: applied, {failed} failed")
            : "reload: applied";
    }

    private void ShowPlan(string text)
    {
        _planText = text.TrimEnd('\n');
        Pane = PaneKind.Plan;
        LogInstance = null;
    }

    // ---- Log pane ----

    /// <summary>Follow the output of <paramref name="name"/> from now on (the pane starts empty).</summary>
    public void OpenLog(string name, string stream)
    {
        Pane = PaneKind.Log;
        LogInstance = name;
        LogStream = stream;
        Log.Clear();
    }

    public void ClosePane()
    {
        Pane = PaneKind.None;
        LogInstance = null;
        Log.Clear();
    }

    /// <summary>Output of an instance; kept only when the pane follows that instance and stream.</summary>
    public bool AppendLog(string name, string stream, string data)
    {
        if (Pane != PaneKind.Log || name != LogInstance || stream != LogStream) return false;
        Log.Append(data);
        return true;
    }

    public string PaneTitle => Pane switch
    {
        PaneKind.Log => $"{LogInstance} {LogStream}",
        PaneKind.Plan => "reload plan",
        _ => "",
    };

    public string PaneText => Pane switch
    {
        PaneKind.Log => Log.Text,
        PaneKind.Plan => _planText,
        _ => "",
    };

    // ---- Sorting ----

    /// <summary>Program name first, then the instance number as a number.</summary>
    public static readonly IComparer<InstanceRow> ByName = Comparer<InstanceRow>.Create((a, b) => CompareNames(a.Name, b.Name));

    public static int CompareNames(string a, string b)
    {
        var (pa, na) = Split(a);
        var (pb, nb) = Split(b);
        var c = string.CompareOrdinal(pa, pb);
        if (c != 0) return c;
        c = na.CompareTo(nb);
        return c != 0 ? c : string.CompareOrdinal(a, b);
    }

    private static (string Program, long Number) Split(string name)
    {
        var colon = name.LastIndexOf(':');
        if (colon > 0 && long.TryParse(name.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return (name[..colon], n);
        return (name, -1);
    }
}
