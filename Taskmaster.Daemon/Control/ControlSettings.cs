using Akka.Actor;

namespace Taskmaster.Daemon.Control;

/// <summary>What the control listener and its connections need from the host.</summary>
/// <param name="Supervisor">The root ConfigActor (SupervisorProtocol).</param>
/// <param name="Policy">Who may connect.</param>
/// <param name="RequestExit">Called once a <c>shutdown</c> request has stopped every program and been answered.</param>
public sealed record ControlSettings(IActorRef Supervisor, PeerPolicy Policy, Action? RequestExit = null)
{
    /// <summary>Ask timeout for queries (status, pid, tail, version).</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Ask timeout for commands that wait for processes (start, stop, restart, reload, shutdown).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A client whose unsent output grows past this is dropped (it does not read).</summary>
    public long MaxPendingBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>A client that takes longer than this to accept one write is dropped.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connections one uid may hold at once; more are refused with <c>too_many_connections</c>.</summary>
    public int MaxConnectionsPerUid { get; init; } = DefaultMaxConnectionsPerUid;

    /// <summary>Connections of all users other than root and the daemon's own user together (those two only have
    /// their per-uid limit, so that nobody else can lock them out).</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>A connection that sends no request for this long (between requests, not while one is served or
    /// while it streams events or a followed log) is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A request line must be complete this long after its first byte arrived, or the connection is closed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Refused connections logged one by one per <see cref="RefusalLogInterval"/>; the rest are counted in one line.</summary>
    public int RefusalsLoggedPerInterval { get; init; } = 5;

    public TimeSpan RefusalLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    public const int DefaultMaxConnectionsPerUid = 64;
    public const int DefaultMaxConnections = 256;

    /// <summary>How often followed log files are checked for new data.</summary>
    public TimeSpan FollowInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How programs' processes are tracked (cgroup v2 or process groups), for <c>version</c>.</summary>
    public string? ProcessTracking { get; init; }

    public string DaemonVersion { get; init; } =
        typeof(ControlSettings).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
