namespace Taskmaster.Daemon;

/// <summary>The daemon's command line (DESIGN §6), parsed.</summary>
/// <param name="ConfigPath">File or directory; null means <c>./configs/</c>.</param>
public sealed record DaemonOptions(
    string? ConfigPath,
    bool NoDaemon,
    string? Socket,
    string? PidFile,
    string? LogLevel);
