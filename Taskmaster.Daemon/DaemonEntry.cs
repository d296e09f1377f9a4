namespace Taskmaster.Daemon;

/// <summary>Runs the daemon: foreground (<c>-n</c>) or detached. Built by the supervision-core and control-plane issues.</summary>
public static class DaemonEntry
{
    public static int Run(DaemonOptions options)
    {
        Console.Error.WriteLine("taskmasterd: the daemon is not built yet (only --check works)");
        return 1;
    }
}
