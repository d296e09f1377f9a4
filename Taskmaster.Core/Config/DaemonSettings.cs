namespace Taskmaster.Core.Config;

/// <summary>Where the daemon sends its own events through syslog; null in <see cref="DaemonSettings.Syslog"/> disables it.</summary>
public sealed record SyslogSettings(string Socket, string Facility)
{
    public static readonly SyslogSettings Default = new("/dev/log", "daemon");
}

/// <summary>The validated <c>taskmasterd:</c> section.</summary>
public sealed record DaemonSettings
{
    /// <summary>Control socket path; null means the per-user default (see <see cref="DefaultPaths"/>).</summary>
    public string? Socket { get; init; }
    /// <summary>Mode of the socket file (and its directory); default 0700.</summary>
    public int SocketMode { get; init; } = Convert.ToInt32("700", 8);
    /// <summary>Group allowed to use the socket besides root and the daemon's user.</summary>
    public string? SocketGroup { get; init; }
    /// <summary>The daemon's own log file; null means none.</summary>
    public string? LogFile { get; init; }
    /// <summary>Directory for program output files whose stdout/stderr key is absent; null means the default.</summary>
    public string? LogDir { get; init; }
    public string LogLevel { get; init; } = "info";
    public string? PidFile { get; init; }
    /// <summary>The daemon's umask (files it creates; the default for its programs); 022 unless configured.</summary>
    public int Umask { get; init; } = Convert.ToInt32("022", 8);
    public SyslogSettings? Syslog { get; init; } = SyslogSettings.Default;
    /// <summary><c>cgroups: auto</c> (default): a cgroup v2 per instance where the daemon can create one;
    /// <c>off</c>: process groups and a child subreaper.</summary>
    public bool Cgroups { get; init; } = true;
    /// <summary>The state file (what runs, what an operator stopped); null: <c>taskmasterd.state</c> beside the socket.</summary>
    public string? StateFile { get; init; }

    public static readonly DaemonSettings Default = new();
}
