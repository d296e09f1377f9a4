using System.Text;
using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config.Validation;

/// <summary>Validates the <c>taskmasterd:</c> section into <see cref="DaemonSettings"/>.</summary>
internal static class DaemonSettingsValidator
{
    /// <summary>sun_path holds 108 bytes including the terminating NUL.</summary>
    public const int MaxSocketPathBytes = 107;

    public static DaemonSettings Validate(YNode node, Diagnostics d, string baseDirectory)
    {
        const string section = ConfigKeys.Daemon;
        var settings = DaemonSettings.Default;
        if (node is YScalar { IsNull: true }) return settings;
        if (!ValueReader.Mapping(node, section, d, "a mapping of daemon settings (" + string.Join(", ", ConfigKeys.DaemonKeys) + ")", out var map))
            return settings;

        ValueReader.RejectUnknownKeys(map, section, d, ConfigKeys.DaemonKeys);
        foreach (var (keyNode, value) in map.Entries)
        {
            var path = ValueReader.Join(section, keyNode.Value);
            switch (keyNode.Value)
            {
                case "socket":
                    if (PathReader.Path(value, path, d, baseDirectory, out var socket))
                    {
                        if (Encoding.UTF8.GetByteCount(socket) > MaxSocketPathBytes)
                            d.Add(value, path, $"the socket path is {Encoding.UTF8.GetByteCount(socket)} bytes long",
                                $"a path of at most {MaxSocketPathBytes} bytes (a Unix socket limit)");
                        else settings = settings with { Socket = socket };
                    }
                    break;
                case "socket_mode":
                    if (ValueReader.Octal(value, path, d, Convert.ToInt32("777", 8), "octal permission digits from 0 to 0777, e.g. 0700 or 0770", out var mode))
                        settings = settings with { SocketMode = mode };
                    break;
                case "socket_group":
                    if (ValueReader.Text(value, path, d, "a group name or number", out var group))
                        settings = settings with { SocketGroup = group.Trim() };
                    break;
                case "logfile":
                    if (PathReader.Path(value, path, d, baseDirectory, out var logFile))
                        settings = settings with { LogFile = logFile };
                    break;
                case "logdir":
                    if (PathReader.Path(value, path, d, baseDirectory, out var logDir, "a directory path (relative paths are resolved against the config file's directory)"))
                        settings = settings with { LogDir = logDir };
                    break;
                case "pidfile":
                    if (PathReader.Path(value, path, d, baseDirectory, out var pidFile))
                        settings = settings with { PidFile = pidFile };
                    break;
                case "umask":
                    if (ValueReader.Octal(value, path, d, Convert.ToInt32("777", 8), "octal digits from 0 to 0777, e.g. 022 or \"0077\"", out var umask))
                        settings = settings with { Umask = umask };
                    break;
                case "loglevel":
                    if (value is YScalar { IsNull: false } s && string.Equals(s.Value.Trim(), "warning", StringComparison.OrdinalIgnoreCase))
                        settings = settings with { LogLevel = "warn" };
                    else if (ValueReader.Choice(value, path, d, ConfigKeys.LogLevels, out var level))
                        settings = settings with { LogLevel = level };
                    break;
                case "statefile":
                    if (PathReader.Path(value, path, d, baseDirectory, out var stateFile))
                        settings = settings with { StateFile = stateFile };
                    break;
                case "cgroups":
                    if (ValueReader.Choice(value, path, d, ConfigKeys.CgroupModes, out var cgroups))
                        settings = settings with { Cgroups = cgroups == "auto" };
                    break;
                case "syslog":
                    if (Syslog(value, path, d, out var syslog))
                        settings = settings with { Syslog = syslog };
                    break;
            }
        }
        return settings;
    }

    private static bool Syslog(YNode node, string path, Diagnostics d, out SyslogSettings? syslog)
    {
        syslog = SyslogSettings.Default;
        const string allowed = "false, true, or a mapping {socket: /dev/log, facility: daemon}";
        if (node is YScalar)
        {
            if (!ValueReader.Bool(node, path, d, out var on)) return false;
            syslog = on ? SyslogSettings.Default : null;
            return true;
        }
        if (!ValueReader.Mapping(node, path, d, allowed, out var map)) return false;
        var before = d.Count;
        ValueReader.RejectUnknownKeys(map, path, d, ConfigKeys.SyslogKeys);
        var result = SyslogSettings.Default;
        foreach (var (keyNode, value) in map.Entries)
        {
            var keyPath = ValueReader.Join(path, keyNode.Value);
            if (keyNode.Value == "socket" && ValueReader.Text(value, keyPath, d, "an absolute path of a Unix datagram socket", out var socket))
            {
                if (socket.StartsWith('/')) result = result with { Socket = socket };
                else d.Add(value, keyPath, $"'{socket}' is not an absolute path", "an absolute path of a Unix datagram socket");
            }
            else if (keyNode.Value == "facility" && ValueReader.Choice(value, keyPath, d, SyslogFacility.Names, out var facility))
                result = result with { Facility = facility };
        }
        syslog = result;
        return d.Count == before;
    }
}
