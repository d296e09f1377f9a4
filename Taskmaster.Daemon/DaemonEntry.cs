namespace Taskmaster.Daemon;

/// <summary>Runs the daemon: foreground (<c>-n</c>) or detached. Built by the supervision-core and control-plane issues.</summary>
public static class DaemonEntry
{
    /// <summary>Both modes run in the foreground until detaching is built.</summary>
    public static int Run(DaemonOptions options) => Hosting.ForegroundDaemon.Run(options);
}
