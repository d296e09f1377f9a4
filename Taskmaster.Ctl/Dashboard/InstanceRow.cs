using Taskmaster.Core.Protocol;
using Taskmaster.Ctl.Cli;

namespace Taskmaster.Ctl.Dashboard;

/// <summary>One line of the dashboard's table: an instance as the last status or transition described it.</summary>
public sealed record InstanceRow(
    string Name,
    string Program,
    string State,
    int? Pid,
    DateTimeOffset Since,
    string Description,
    int? ExitCode = null,
    int? ExitSignal = null,
    bool Suspended = false)
{
    public static InstanceRow From(InstanceInfo i) => new(
        i.Name, i.Program, i.State, i.Pid, DateTimeOffset.FromUnixTimeMilliseconds(i.StateSince), i.Description,
        i.ExitCode, i.ExitSignal, i.Suspended == true);

    /// <summary>The row after a transition event of this instance.</summary>
    public InstanceRow Apply(StreamEvent e) => this with
    {
        Program = e.Program ?? Program,
        State = e.To ?? State,
        Pid = e.Pid,
        Since = e.Time is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t) : Since,
        Description = e.Reason ?? "",
        ExitCode = e.ExitCode,
        ExitSignal = e.ExitSignal,
        Suspended = false,
    };

    /// <summary>The pid column: empty when there is no process.</summary>
    public string PidText => Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";

    /// <summary>The last column: the ticking uptime of a RUNNING instance, else what happened to it.</summary>
    public string Detail(DateTimeOffset now)
    {
        if (Suspended && Pid is not null) return StatusFormatter.SuspendedText;
        if (State == "RUNNING" && Pid is not null)
            return $"uptime {StatusFormatter.Uptime(now - Since)}";
        return StatusFormatter.Reason(Description, ExitSignal, ExitCode);
    }
}
