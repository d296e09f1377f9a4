namespace Taskmaster.Tests.Config;

/// <summary>One invalid value for each key not covered elsewhere: the error names the key and what is allowed.</summary>
public class InvalidValueTests
{
    [Theory]
    [InlineData("stdout: \"\"", "programs.web.stdout")]
    [InlineData("stdout: [a.log]", "programs.web.stdout")]
    [InlineData("stderr: {file: x}", "programs.web.stderr")]
    [InlineData("backoff_initial: -1", "programs.web.backoff_initial")]
    [InlineData("backoff_initial: soon", "programs.web.backoff_initial")]
    [InlineData("backoff_max: -3", "programs.web.backoff_max")]
    [InlineData("backoff_factor: [2]", "programs.web.backoff_factor")]
    [InlineData("user: \"\"", "programs.web.user")]
    [InlineData("user: [root]", "programs.web.user")]
    [InlineData("startretries: three", "programs.web.startretries")]
    [InlineData("umask:", "programs.web.umask")]
    [InlineData("cmd2: x", "programs.web.cmd2")]
    public void Invalid_program_value_names_its_key(string line, string keyPath)
    {
        var e = ConfigAssert.ProgramError("cmd: /bin/true\n" + line);
        Assert.Equal((keyPath, 4), (e.KeyPath, e.Line));
        Assert.Contains("; allowed: ", e.Message);
    }

    [Theory]
    [InlineData("socket: [a]", "taskmasterd.socket")]
    [InlineData("socket: \"\"", "taskmasterd.socket")]
    [InlineData("socket_group: {a: b}", "taskmasterd.socket_group")]
    [InlineData("logfile:", "taskmasterd.logfile")]
    [InlineData("logdir: [a, b]", "taskmasterd.logdir")]
    [InlineData("pidfile: {}", "taskmasterd.pidfile")]
    [InlineData("syslog: 5", "taskmasterd.syslog")]
    [InlineData("syslog: [dev, log]", "taskmasterd.syslog")]
    [InlineData("syslog: {socket: dev/log}", "taskmasterd.syslog.socket")]
    [InlineData("syslog: {sockt: /dev/log}", "taskmasterd.syslog.sockt")]
    [InlineData("socket_mode: 1777", "taskmasterd.socket_mode")]
    public void Invalid_daemon_value_names_its_key(string line, string keyPath)
    {
        var e = ConfigAssert.Error("taskmasterd:\n  " + line + "\nprograms:\n");
        Assert.Equal((keyPath, 2), (e.KeyPath, e.Line));
        Assert.Contains("; allowed: ", e.Message);
    }
}
