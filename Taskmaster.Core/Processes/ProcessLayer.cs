using Taskmaster.Core.Processes.Native;

namespace Taskmaster.Core.Processes;

/// <summary>Process-wide setup the daemon does first thing in Main, before any thread or child exists.</summary>
public static class ProcessLayer
{
    private const nint SIG_DFL = 0, SIG_IGN = 1;

    /// <summary>
    /// Resets SIGCHLD to its default disposition if it is ignored (a daemon started with SIGCHLD ignored would
    /// otherwise have every child discarded by the kernel, and waitid would never see an exit status); a handler
    /// (the .NET runtime's, once Console or Process is used) is left alone. Does the same for the signals the daemon
    /// acts on (SIGHUP, SIGINT, SIGTERM, SIGUSR2): the .NET runtime never installs a handler over an inherited
    /// SIG_IGN, so a daemon started from a script's background job (SIGINT ignored) or under nohup (SIGHUP ignored)
    /// would silently do nothing on them instead of what DESIGN §6 promises. Must run before the daemon registers its
    /// handlers. Makes sure fds 0–2 are open (on /dev/null) so that no pipe or log file ever lands on them, and starts
    /// the exit watcher and output pump threads.
    /// </summary>
    public static unsafe void InitializeForDaemon()
    {
        var old = stackalloc byte[LibC.SigActionSize];
        foreach (var signal in (ReadOnlySpan<int>)[Signals.SIGCHLD, Signals.SIGHUP, Signals.SIGINT, Signals.SIGTERM, Signals.SIGUSR2])
            if (LibC.sigaction(signal, null, old) == 0 && *(nint*)old == SIG_IGN)
                LibC.signal(signal, SIG_DFL);
        for (var fd = 0; fd <= 2; fd++)
        {
            if (Tmds.Linux.LibC.fcntl(fd, Tmds.Linux.LibC.F_GETFD) >= 0) continue;
            var devNull = "/dev/null\0"u8;
            fixed (byte* p = devNull)
            {
                var opened = Tmds.Linux.LibC.open(p, Tmds.Linux.LibC.O_RDWR, 0);
                if (opened >= 0 && opened != fd)
                {
                    Tmds.Linux.LibC.close(opened);
                }
            }
        }
        _ = ExitWatcher.Shared;
        _ = Output.OutputPump.Shared;
    }
}
