namespace Taskmaster.Ctl.Cli;

/// <summary>taskmasterctl's exit status (DESIGN §6).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A target failed, or the daemon is unreachable (the message names the socket path).</summary>
    public const int Failed = 1;
    public const int Usage = 2;
    /// <summary><c>status</c>: a listed instance is not RUNNING.</summary>
    public const int NotRunning = 3;
    /// <summary>The process listening on the socket is neither root nor our own user: nothing was sent to it.</summary>
    public const int UntrustedDaemon = 4;
    public const int Interrupted = 130;
}
