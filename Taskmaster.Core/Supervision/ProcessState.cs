namespace Taskmaster.Core.Supervision;

/// <summary>supervisord's process states (DESIGN §4), so users feel at home.</summary>
public enum ProcessState
{
    Stopped,
    Starting,
    Running,
    Backoff,
    Stopping,
    Exited,
    Fatal,
}

public static class ProcessStateNames
{
    /// <summary>Upper-case name as shown to users: <c>RUNNING</c>.</summary>
    public static string Display(this ProcessState state) => state switch
    {
        ProcessState.Stopped => "STOPPED",
        ProcessState.Starting => "STARTING",
        ProcessState.Running => "RUNNING",
        ProcessState.Backoff => "BACKOFF",
        ProcessState.Stopping => "STOPPING",
        ProcessState.Exited => "EXITED",
        ProcessState.Fatal => "FATAL",
        _ => state.ToString().ToUpperInvariant(),
    };

    public static bool TryParse(string text, out ProcessState state) =>
        Enum.TryParse(text, ignoreCase: true, out state);
}

/// <summary>
/// The legal transitions of an instance (DESIGN §4 plus the crash-loop throttle), the diagram as data. Every
/// transition is checked against it; the README's state diagram lists the same arrows (a test compares them).
/// </summary>
public static class Transitions
{
    public static readonly IReadOnlySet<(ProcessState From, ProcessState To)> Legal = new HashSet<(ProcessState, ProcessState)>
    {
        // start (a failed spawn goes to BACKOFF straight away)
        (ProcessState.Stopped, ProcessState.Starting), (ProcessState.Exited, ProcessState.Starting),
        (ProcessState.Fatal, ProcessState.Starting), (ProcessState.Backoff, ProcessState.Starting),
        (ProcessState.Stopped, ProcessState.Backoff), (ProcessState.Exited, ProcessState.Backoff),
        (ProcessState.Fatal, ProcessState.Backoff),
        // starttime elapsed, or a failed start
        (ProcessState.Starting, ProcessState.Running), (ProcessState.Starting, ProcessState.Backoff),
        // an exit after RUNNING
        (ProcessState.Running, ProcessState.Exited),
        // the last attempt failed
        (ProcessState.Backoff, ProcessState.Fatal),
        // stop
        (ProcessState.Starting, ProcessState.Stopping), (ProcessState.Running, ProcessState.Stopping),
        (ProcessState.Stopping, ProcessState.Stopped), (ProcessState.Backoff, ProcessState.Stopped),
    };

    public static bool IsLegal(ProcessState from, ProcessState to) => Legal.Contains((from, to));
}
