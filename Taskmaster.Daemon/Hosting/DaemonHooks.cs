using Akka.Actor;
using Taskmaster.Core.Config;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// Where parts of the daemon built elsewhere (the control plane) plug into <see cref="ForegroundDaemon"/>.
/// </summary>
public sealed record DaemonHooks
{
    public static readonly DaemonHooks None = new();

    /// <summary>Runs after the config is loaded and before any program starts (e.g. bind the control socket). What it
    /// returns is disposed when the daemon exits. A <see cref="DaemonStartupException"/> here stops the start-up:
    /// its message is printed (<c>taskmasterd: …</c>) and the daemon exits 1.</summary>
    public Func<TaskmasterConfig, IDisposable?>? BeforeStart { get; init; }

    /// <summary>Runs once the ConfigActor exists: the actor system, the ConfigActor, and an action that asks for the
    /// same graceful shutdown as SIGTERM (every program stopped, then exit 0).</summary>
    public Action<ActorSystem, IActorRef, Action>? Started { get; init; }
}

/// <summary>A start-up failure a person can act on (socket in use, bad socket directory): printed, exit 1.</summary>
public class DaemonStartupException(string message, Exception? inner = null) : Exception(message, inner);
