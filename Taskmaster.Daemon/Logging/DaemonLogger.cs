using Serilog;
using Taskmaster.Core.Config;

namespace Taskmaster.Daemon.Logging;

/// <summary>
/// Builds the daemon's Serilog logger (DESIGN §9): console in the foreground, <c>taskmasterd.logfile</c> if set,
/// and syslog through our own RFC 5424 sink unless <c>syslog: false</c>.
/// </summary>
public static class DaemonLogger
{
    public static ILogger Create(DaemonSettings settings, bool console, string? levelOverride)
    {
        // Placeholder until the logging work lands: console only.
        var cfg = new LoggerConfiguration().MinimumLevel.Information();
        if (console) cfg = cfg.WriteTo.Console();
        return cfg.CreateLogger();
    }
}
