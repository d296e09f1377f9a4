using Taskmaster.Core.Processes;
using Serilog;
using Serilog.Events;
using Taskmaster.Core.Config;

namespace Taskmaster.Daemon.Logging;

/// <summary>
/// Builds the daemon's Serilog logger (DESIGN §9): console in the foreground, <c>taskmasterd.logfile</c> if set,
/// and syslog through our own RFC 5424 sink unless <c>syslog: false</c>. A missing syslog socket is not fatal.
/// </summary>
public static class DaemonLogger
{
    public const string ConsoleTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u4} {Message:lj}{NewLine}{Exception}";

    public static ILogger Create(DaemonSettings settings, bool console, string? levelOverride)
    {
        var cfg = new LoggerConfiguration().MinimumLevel.Is(ParseLevel(levelOverride ?? settings.LogLevel));
        if (console)
            cfg = cfg.WriteTo.Console(outputTemplate: ConsoleTemplate, standardErrorFromLevel: null);
        if (settings.LogFile is { } file)
        {
            // Opened by us, without following a path another user controls (SafeFile), and not shared: the daemon is
            // the only writer (shared mode backs a named mutex with a world-writable file under /tmp/.dotnet/shm that
            // the daemon maps: anyone could truncate it and crash the daemon with SIGBUS). Throws IOException.
            var fd = SafeFile.OpenForWrite(file);
            var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 1);
            var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)) { AutoFlush = true };
            cfg = cfg.WriteTo.Sink(new FileSink(writer, new Serilog.Formatting.Display.MessageTemplateTextFormatter(ConsoleTemplate)));
        }
        if (settings.Syslog is { } syslog && SyslogFacility.TryParse(syslog.Facility, out var facility))
            cfg = cfg.WriteTo.Sink(new Rfc5424SyslogSink(syslog.Socket, facility));
        return cfg.CreateLogger();
    }

    /// <summary><c>debug</c>, <c>info</c>, <c>warn</c>/<c>warning</c>, <c>error</c>; anything else is info.</summary>
    public static LogEventLevel ParseLevel(string level) => level.ToLowerInvariant() switch
    {
        "debug" or "trace" => LogEventLevel.Debug,
        "warn" or "warning" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        "critical" or "fatal" => LogEventLevel.Fatal,
        _ => LogEventLevel.Information,
    };
}

/// <summary>The daemon's log file on a descriptor we opened ourselves; one writer, serialised, flushed per event.</summary>
internal sealed class FileSink(StreamWriter writer, Serilog.Formatting.ITextFormatter formatter) : Serilog.Core.ILogEventSink, IDisposable
{
    private readonly object _gate = new();

    public void Emit(Serilog.Events.LogEvent logEvent)
    {
        lock (_gate)
        {
            try
            {
                formatter.Format(logEvent, writer);
            }
            catch (IOException)
            {
                // Disk full or gone: logging must never take the daemon down.
            }
        }
    }

    public void Dispose()
    {
        lock (_gate) writer.Dispose();
    }
}
