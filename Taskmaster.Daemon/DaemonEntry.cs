namespace Taskmaster.Daemon;

/// <summary>Runs the daemon: foreground (<c>-n</c>) or detached. Built by the supervision-core and control-plane issues.</summary>
public static class DaemonEntry
{
    public static int Run(DaemonOptions options)
    {
        // Without -n: re-exec ourselves detached and wait for "ready" (Hosting/Daemonizer.cs).
        if (!options.NoDaemon) return Hosting.Daemonizer.Detach(options);
        Hosting.Daemonizer.EnterSessionIfDetached();
        Console.Error.WriteLine("taskmasterd: the daemon is not built yet (only --check works)");
        return 1;
    }
}
