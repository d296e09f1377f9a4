using System.Collections.Frozen;

namespace Taskmaster.Core.Config.Validation;

/// <summary>The keys the config accepts, and the supervisord spellings we point users from.</summary>
internal static class ConfigKeys
{
    public const string Daemon = "taskmasterd", Programs = "programs";

    public static readonly string[] TopLevel = [Daemon, Programs];

    public static readonly string[] DaemonKeys =
        ["socket", "socket_mode", "socket_group", "logfile", "logdir", "loglevel", "pidfile", "umask", "syslog", "cgroups", "statefile"];

    public static readonly string[] SyslogKeys = ["socket", "facility"];

    public static readonly string[] ProgramKeys =
    [
        "cmd", "numprocs", "autostart", "autorestart", "exitcodes", "startretries", "starttime", "stopsignal",
        "stoptime", "stdout", "stderr", "stdout_maxbytes", "stdout_backups", "stderr_maxbytes", "stderr_backups",
        "env", "inherit_env", "workingdir", "umask", "user", "backoff_initial", "backoff_factor", "backoff_max",
        "leftovers", "backoff_jitter", "restart_burst", "restart_interval",
    ];

    public static readonly string[] LeftoverModes = ["kill", "keep"];

    public static readonly string[] CgroupModes = ["auto", "off"];

    /// <summary>supervisord's names (and other common ones) for our keys.</summary>
    public static readonly FrozenDictionary<string, string> ProgramAliases = new Dictionary<string, string>
    {
        ["command"] = "cmd",
        ["startsecs"] = "starttime",
        ["stopwaitsecs"] = "stoptime",
        ["stdout_logfile"] = "stdout",
        ["stderr_logfile"] = "stderr",
        ["stdout_logfile_maxbytes"] = "stdout_maxbytes",
        ["stdout_logfile_backups"] = "stdout_backups",
        ["stderr_logfile_maxbytes"] = "stderr_maxbytes",
        ["stderr_logfile_backups"] = "stderr_backups",
        ["environment"] = "env",
        ["directory"] = "workingdir",
        ["cwd"] = "workingdir",
        ["workdir"] = "workingdir",
        ["working_dir"] = "workingdir",
        ["exitcode"] = "exitcodes",
        ["exit_codes"] = "exitcodes",
        ["pass_environment"] = "inherit_env",
        ["passenvironment"] = "inherit_env",
    }.ToFrozenDictionary();

    public static readonly FrozenDictionary<string, string> TopLevelAliases = new Dictionary<string, string>
    {
        ["supervisord"] = Daemon,
        ["daemon"] = Daemon,
        ["program"] = Programs,
    }.ToFrozenDictionary();

    public static readonly string[] LogLevels = ["debug", "info", "warn", "error"];
}
