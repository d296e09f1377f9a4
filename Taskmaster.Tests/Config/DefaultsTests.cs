using Taskmaster.Core.Config;

namespace Taskmaster.Tests.Config;

public class DefaultsTests
{
    [Fact]
    public void A_program_with_only_cmd_gets_supervisords_defaults()
    {
        var p = ConfigAssert.Program("cmd: /bin/sleep 1000");
        Assert.Equal(["/bin/sleep", "1000"], p.Argv);
        Assert.Equal(1, p.NumProcs);
        Assert.True(p.AutoStart);
        Assert.Equal(AutoRestart.Unexpected, p.AutoRestart);
        Assert.Equal([0], p.ExitCodes);
        Assert.Equal(3, p.StartRetries);
        Assert.Equal(TimeSpan.FromSeconds(1), p.StartTime);
        Assert.Equal(15, p.StopSignal);
        Assert.Equal(TimeSpan.FromSeconds(10), p.StopTime);
        Assert.Empty(p.Env);
        Assert.Null(p.WorkingDir);
        Assert.Null(p.Umask);
        Assert.Null(p.User);
        Assert.Equal(BackoffSpec.Default with { Jitter = 0.1 }, p.Backoff);
        Assert.Equal(new RestartLimit(50, TimeSpan.FromSeconds(10)), p.RestartLimit);
        Assert.Equal(Leftovers.Kill, p.Leftovers);
        Assert.Equal(50L * 1024 * 1024, p.Stdout.MaxBytes);
        Assert.Equal(10, p.Stderr.Backups);
        Assert.Equal(Path.Combine(DefaultPaths.LogDirectory(), "web-{n}.stdout.log"), p.Stdout.PathTemplate);
        Assert.Equal((ConfigAssert.FileName, 2), (p.SourceFile, p.SourceLine));
    }

    [Fact]
    public void No_taskmasterd_section_gives_default_daemon_settings()
    {
        var d = ConfigAssert.Valid("programs:\n  web: {cmd: /bin/true}\n").Daemon;
        Assert.Equal(DaemonSettings.Default, d);
        Assert.Null(d.Socket);
        Assert.Equal(Convert.ToInt32("700", 8), d.SocketMode);
        Assert.Equal("info", d.LogLevel);
        Assert.Equal(SyslogSettings.Default, d.Syslog);
        Assert.Null(d.LogDir);
    }

    [Theory]
    [InlineData("programs:\n")]
    [InlineData("programs: {}\n")]
    [InlineData("taskmasterd:\nprograms:\n")]
    [InlineData("taskmasterd:\n  loglevel: debug\n")]
    public void Zero_programs_is_a_valid_config(string yaml)
    {
        var config = ConfigAssert.Valid(yaml);
        Assert.Empty(config.Programs);
        Assert.Equal(0, config.InstanceCount);
    }

    [Fact]
    public void Instance_count_sums_numprocs()
    {
        var config = ConfigAssert.Valid("programs:\n  a: {cmd: x, numprocs: 3}\n  b: {cmd: y}\n");
        Assert.Equal(4, config.InstanceCount);
        Assert.Equal(["a", "b"], config.Programs.Keys);
        Assert.Equal("a:2", config.Programs["a"].InstanceName(2));
        Assert.Equal("b", config.Programs["b"].InstanceName(0));
    }
}
