using System.Text.Json.Serialization;

namespace Taskmaster.Core.Protocol;

/// <summary>One request line from a client. Only the members the command uses are set.</summary>
public sealed record Request
{
    [JsonPropertyName("v")]
    public int Version { get; init; } = WireProtocol.Version;

    /// <summary>One of <see cref="Commands"/>.</summary>
    public required string Command { get; init; }

    /// <summary>Instance names, program names or <c>all</c>; absent or empty means all (status, subscribe).</summary>
    public IReadOnlyList<string>? Targets { get; init; }

    /// <summary><c>signal</c>: the signal number.</summary>
    public int? Signal { get; init; }

    /// <summary><c>reload</c>: compute and return the plan without applying it.</summary>
    public bool? DryRun { get; init; }

    /// <summary><c>tail</c>: <c>stdout</c> (default) or <c>stderr</c>.</summary>
    public string? Stream { get; init; }

    /// <summary><c>tail</c>: how many bytes from the end (default <see cref="WireProtocol.DefaultTailBytes"/>).</summary>
    public int? Bytes { get; init; }

    /// <summary><c>tail</c>: after the response, stream what is appended as <see cref="StreamEvent"/> lines.</summary>
    public bool? Follow { get; init; }

    /// <summary><c>subscribe</c>: also stream the output of the targets, not only their state changes.</summary>
    public bool? Logs { get; init; }

    public static Request For(string command, IEnumerable<string>? targets = null) =>
        new() { Command = command, Targets = targets?.ToArray() };
}
