using System.Text.Json.Serialization;

namespace Taskmaster.Core.Protocol;

/// <summary>The one response line to a request. <see cref="Ok"/> false always comes with an <see cref="Error"/>.</summary>
public sealed record Response
{
    [JsonPropertyName("v")]
    public int Version { get; init; } = WireProtocol.Version;

    public bool Ok { get; init; }

    public ErrorInfo? Error { get; init; }

    /// <summary><c>status</c>: the instances, sorted by name.</summary>
    public IReadOnlyList<InstanceInfo>? Instances { get; init; }

    /// <summary><c>start</c>/<c>stop</c>/<c>restart</c>/<c>signal</c>: one outcome per instance.</summary>
    public IReadOnlyList<OutcomeInfo>? Outcomes { get; init; }

    /// <summary><c>reload</c>: the plan, applied unless <see cref="Applied"/> is false.</summary>
    public ReloadPlan? Plan { get; init; }

    public bool? Applied { get; init; }

    /// <summary><c>pid</c>: the daemon's pid or the instance's (null when it has no process).</summary>
    public int? Pid { get; init; }

    /// <summary><c>tail</c>: the last bytes of the file, decoded as UTF-8.</summary>
    public string? Text { get; init; }

    /// <summary><c>tail</c>: the file that was read.</summary>
    public string? Path { get; init; }

    /// <summary>A list of instances too long for one line comes in pages: every page but the last says
    /// <c>"more": true</c>, and the next line carries the following instances (<see cref="ControlClient"/> joins them).</summary>
    public bool? More { get; init; }

    /// <summary><c>version</c>: the daemon's version.</summary>
    public string? DaemonVersion { get; init; }
    /// <summary><c>version</c>: how the daemon tracks its programs' processes (e.g. <c>cgroup v2 (/sys/fs/cgroup/…)</c>).</summary>
    public string? ProcessTracking { get; init; }

    public static Response Success() => new() { Ok = true };

    public static Response Failure(string code, string message, IReadOnlyList<string>? names = null) =>
        new() { Ok = false, Error = new ErrorInfo(code, message, names) };
}

/// <summary>A typed error: <see cref="Code"/> is one of <see cref="ErrorCodes"/>.</summary>
public sealed record ErrorInfo(string Code, string Message, IReadOnlyList<string>? Names = null);

/// <summary>The outcome for one instance: <c>web:0: started</c> or <c>web:1: ERROR (spawn error: …)</c>.</summary>
public sealed record OutcomeInfo(string Name, bool Ok, string Message)
{
    public override string ToString() => Ok ? $"{Name}: {Message}" : $"{Name}: ERROR ({Message})";
}

/// <summary>numprocs of a program going from <see cref="From"/> to <see cref="To"/>.</summary>
public sealed record ScaleInfo(string Program, int From, int To);

/// <summary>What a reload does, program by program (DESIGN §5).</summary>
public sealed record ReloadPlan(
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Restarted,
    IReadOnlyList<string> Changed,
    IReadOnlyList<ScaleInfo> Scaled,
    IReadOnlyList<string> Unchanged)
{
    [JsonIgnore]
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Restarted.Count == 0 && Changed.Count == 0 && Scaled.Count == 0;

    public static ReloadPlan From(Config.ConfigDiff diff) => new(
        [.. diff.Added], [.. diff.Removed], [.. diff.Restarted], [.. diff.Changed],
        [.. diff.Scaled.Select(s => new ScaleInfo(s.Program, s.From, s.To))], [.. diff.Unchanged]);
}
