namespace Taskmaster.Core.Config;

/// <summary>RFC 5424 facility codes by their usual names: what <c>syslog.facility</c> accepts and what the daemon's
/// syslog sink sends.</summary>
public static class SyslogFacility
{
    /// <summary>The names in code order (kern = 0 … local7 = 23; codes 12–15 have no name here).</summary>
    public static readonly string[] Names =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    public static bool TryParse(string name, out int code)
    {
        var index = Array.FindIndex(Names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        code = index < 12 ? index : index + 4; // local0 is 16
        return index >= 0;
    }
}
