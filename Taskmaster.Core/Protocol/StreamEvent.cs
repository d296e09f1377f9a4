namespace Taskmaster.Core.Protocol;

/// <summary>
/// A line the daemon pushes on a subscribed connection: a state change (<see cref="Kinds.Transition"/>) or output
/// of an instance (<see cref="Kinds.Log"/>).
/// </summary>
public sealed record StreamEvent
{
    public static class Kinds
    {
        public const string Transition = "transition";
        public const string Log = "log";
    }

    public required string Kind { get; init; }
    public required string Name { get; init; }
    public string? Program { get; init; }
    /// <summary>Transition: the states as users see them (<c>RUNNING</c>).</summary>
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Reason { get; init; }
    public int? Pid { get; init; }
    public int? ExitCode { get; init; }
    public int? ExitSignal { get; init; }
    /// <summary>Unix time in milliseconds.</summary>
    public long? Time { get; init; }
    /// <summary>Log: <c>stdout</c> or <c>stderr</c>.</summary>
    public string? Stream { get; init; }
    /// <summary>Log: the new output, decoded as UTF-8.</summary>
    public string? Data { get; init; }
}
