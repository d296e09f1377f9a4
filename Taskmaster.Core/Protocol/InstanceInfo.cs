using System.Text.Json.Serialization;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Core.Protocol;

/// <summary>
/// One instance as <c>status</c> sends it, and as <c>status --json</c> prints it (DESIGN §6): <c>pid</c> is always
/// present (null when there is no process), <c>state_since</c> is Unix time in milliseconds, <c>suspended</c> is
/// present (true) only while the process is stopped by a signal.
/// </summary>
public sealed record InstanceInfo(
    string Name,
    string Program,
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Pid,
    long StateSince,
    string Description,
    int? ExitCode = null,
    int? ExitSignal = null,
    string? StdoutPath = null,
    string? StderrPath = null,
    bool? Suspended = null)
{
    public static InstanceInfo From(InstanceStatus s) => new(
        s.Name, s.Program, s.State.Display(), s.Pid, s.Since.ToUnixTimeMilliseconds(), s.Description,
        s.ExitCode, s.ExitSignal, s.StdoutPath, s.StderrPath, s.Suspended ? true : null);

    [JsonIgnore]
    public bool IsRunning => State == "RUNNING";
}
