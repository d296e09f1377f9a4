using Taskmaster.Daemon.Hosting;

namespace Taskmaster.Daemon.Control;

/// <summary>
/// Plugs the control plane into <see cref="ForegroundDaemon"/>: the socket is bound before any program starts (a
/// live daemon on it, a bad directory or group stop the start-up with the reason on stderr), and the listener starts
/// once the ConfigActor exists; <c>shutdown</c> asks for the same graceful stop as SIGTERM.
/// </summary>
public static class ControlHooks
{
    public static DaemonHooks For(DaemonOptions options)
    {
        BoundControlSocket? bound = null;
        return new DaemonHooks
        {
            BeforeStart = config =>
            {
                try
                {
                    return bound = ControlPlane.Bind(options.Socket, config.Daemon);
                }
                catch (Exception e) when (e is AlreadyRunningException or ControlSocketException)
                {
                    Console.Error.WriteLine($"taskmasterd: {e.Message}");
                    throw;
                }
            },
            Started = (system, configActor, requestShutdown) =>
                bound?.Start(system, configActor, options.PidFile, requestShutdown),
        };
    }
}
