using Taskmaster.Core.Config;

namespace Taskmaster.Tests.Config;

public class DaemonSectionTests
{
    private static DaemonSettings D(string body) =>
        ConfigAssert.Valid("taskmasterd:\n" + ConfigAssert.Indent(body, 2) + "programs:\n").Daemon;

    private static ConfigError E(string body) =>
        ConfigAssert.Error("taskmasterd:\n" + ConfigAssert.Indent(body, 2) + "programs:\n");

    [Fact]
    public void All_daemon_keys_are_read()
    {
        var d = D("""
            socket: /run/tm/tm.sock
            socket_mode: "0770"
            socket_group: staff
            logfile: /var/log/tm.log
            logdir: /var/log/tm
            loglevel: debug
            pidfile: /run/tm.pid
            syslog: {socket: /dev/log, facility: local3}
            """);
        Assert.Equal("/run/tm/tm.sock", d.Socket);
        Assert.Equal(Convert.ToInt32("770", 8), d.SocketMode);
        Assert.Equal("staff", d.SocketGroup);
        Assert.Equal("/var/log/tm.log", d.LogFile);
        Assert.Equal("/var/log/tm", d.LogDir);
        Assert.Equal("debug", d.LogLevel);
        Assert.Equal("/run/tm.pid", d.PidFile);
        Assert.Equal(new SyslogSettings("/dev/log", "local3"), d.Syslog);
    }

    [Fact]
    public void Relative_daemon_paths_resolve_against_the_config_directory()
    {
        var d = D("socket: run/tm.sock\nlogfile: tm.log");
        Assert.Equal("/etc/taskmaster/run/tm.sock", d.Socket);
        Assert.Equal("/etc/taskmaster/tm.log", d.LogFile);
    }

    [Fact]
    public void Syslog_false_disables_it() => Assert.Null(D("syslog: false").Syslog);

    [Fact]
    public void Syslog_with_an_unknown_facility_is_an_error()
    {
        var e = E("syslog: {facility: locl3}");
        Assert.Equal("taskmasterd.syslog.facility", e.KeyPath);
        Assert.Contains("did you mean 'local3'?", e.Message);
        Assert.Contains("daemon", e.Message);
    }

    [Theory]
    [InlineData("WARN", "warn")]
    [InlineData("warning", "warn")]
    [InlineData("error", "error")]
    public void Loglevel_is_case_insensitive(string text, string expected) => Assert.Equal(expected, D($"loglevel: {text}").LogLevel);

    [Fact]
    public void Loglevel_unknown_is_an_error()
    {
        var e = E("loglevel: verbose");
        Assert.Equal(("taskmasterd.loglevel", 2), (e.KeyPath, e.Line));
        Assert.Contains("allowed: debug, info, warn, error", e.Message);
    }

    [Fact]
    public void Socket_mode_must_be_octal() => Assert.Equal("taskmasterd.socket_mode", E("socket_mode: 0789").KeyPath);

    [Fact]
    public void Socket_path_longer_than_a_unix_socket_allows_is_an_error() =>
        Assert.Contains("at most 107 bytes", E("socket: /" + new string('s', 120)).Message);

    [Fact]
    public void Unknown_daemon_key_suggests_the_closest() =>
        Assert.Contains("did you mean 'logfile'?", E("log_file: /tmp/x").Message);

    [Fact]
    public void Taskmasterd_that_is_a_list_is_an_error() =>
        Assert.Equal("taskmasterd", ConfigAssert.Error("taskmasterd: [a]\n").KeyPath);
}
