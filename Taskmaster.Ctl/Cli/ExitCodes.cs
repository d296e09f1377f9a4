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
    public const int Interrupted = 130;
}
