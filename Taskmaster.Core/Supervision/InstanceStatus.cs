namespace Taskmaster.Core.Supervision;

/// <summary>A snapshot of one instance, as <c>status</c> shows it.</summary>
/// <param name="Name">Instance name (<c>web</c> or <c>web:0</c>).</param>
/// <param name="Program">Program name.</param>
/// <param name="Pid">Only in STARTING, RUNNING and STOPPING; null otherwise.</param>
/// <param name="Since">Time of the last transition.</param>
/// <param name="Description">Free text: exit reason, spawn error, retry count.</param>
/// <param name="ExitCode">Last exit code, if the last exit was an exit.</param>
/// <param name="ExitSignal">Last terminating signal, if the last exit was a signal.</param>
/// <param name="Suspended">The process exists but is stopped by a signal (SIGSTOP, SIGTSTP; SIGCONT resumes it).</param>
public sealed record InstanceStatus(
    string Name,
    string Program,
    ProcessState State,
    int? Pid,
    DateTimeOffset Since,
    string Description,
    int? ExitCode = null,
    int? ExitSignal = null,
    string? StdoutPath = null,
    string? StderrPath = null,
    bool Suspended = false);

/// <summary>One state change of one instance (DESIGN §4); published on the event stream.</summary>
public sealed record InstanceTransition(
    string Name,
    string Program,
    ProcessState From,
    ProcessState To,
    string Reason,
    int? Pid,
    int? ExitCode,
    int? ExitSignal,
    DateTimeOffset Time);
