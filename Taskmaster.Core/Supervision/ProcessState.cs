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
