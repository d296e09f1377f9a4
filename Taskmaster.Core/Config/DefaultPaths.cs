namespace Taskmaster.Core.Config;

/// <summary>Default locations (DESIGN §3): system paths for root, per-user paths otherwise.</summary>
public static class DefaultPaths
{
    public const string ConfigDirectory = "configs";
    public const string SocketEnvironmentVariable = "TASKMASTER_SOCKET";

    private static bool IsRoot => Environment.UserName == "root" || Tmds.Linux.LibC.geteuid() == 0;

    /// <summary>Per-user runtime directory: <c>$XDG_RUNTIME_DIR/taskmaster</c> or <c>/tmp/taskmaster-$UID</c>.</summary>
    public static string UserRuntimeDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(xdg)
            ? $"/tmp/taskmaster-{Tmds.Linux.LibC.geteuid()}"
            : Path.Combine(xdg, "taskmaster");
    }

    /// <summary>The socket path when neither the config, a flag nor TASKMASTER_SOCKET names one.</summary>
    public static string Socket() =>
        IsRoot ? "/run/taskmaster/taskmasterd.sock" : Path.Combine(UserRuntimeDirectory(), "taskmasterd.sock");

    /// <summary>When neither a flag nor a config names the socket: <c>TASKMASTER_SOCKET</c>, else <see cref="Socket"/>.
    /// The daemon and the controller both end their lookup here, so they agree.</summary>
    public static string SocketFromEnvironmentOrDefault()
    {
        var env = Environment.GetEnvironmentVariable(SocketEnvironmentVariable);
        return string.IsNullOrEmpty(env) ? Socket() : env;
    }

    /// <summary>Directory for program output files whose stdout/stderr key is absent.</summary>
    public static string LogDirectory() =>
        IsRoot ? "/var/log/taskmaster" : Path.Combine(UserRuntimeDirectory(), "log");
}
