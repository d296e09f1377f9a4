namespace Taskmaster.Daemon;

/// <summary>Runs the daemon: foreground (<c>-n</c>) or detached (re-exec of itself, see Hosting/Daemonizer.cs).</summary>
public static class DaemonEntry
{
    public static int Run(DaemonOptions options)
    {
        // Without -n: re-exec ourselves detached and wait for "ready" (Hosting/Daemonizer.cs).
        if (!options.NoDaemon) return Hosting.Daemonizer.Detach(options);
        Hosting.Daemonizer.EnterSessionIfDetached();
        return Hosting.ForegroundDaemon.Run(options);
    }
}
