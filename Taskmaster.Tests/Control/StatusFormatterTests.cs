using Taskmaster.Core.Protocol;
using Taskmaster.Ctl.Cli;

namespace Taskmaster.Tests.Control;

/// <summary>The human status line: pid whenever there is a process, uptime when RUNNING, else the reason.</summary>
public class StatusFormatterTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    private static InstanceInfo Info(string state, int? pid, string description, TimeSpan ago = default) =>
        new("web:0", "web", state, pid, (Now - ago).ToUnixTimeMilliseconds(), description);

    [Fact]
    public void Running_shows_pid_and_uptime()
        => Assert.Equal("pid 42, uptime 1:02:03",
            StatusFormatter.Describe(Info("RUNNING", 42, "up for 1 s", new TimeSpan(1, 2, 3)), Now));

    [Theory]
    [InlineData("STARTING", "spawned", "pid 42, spawned")]
    [InlineData("STOPPING", "stop requested: sending SIGTERM", "pid 42, stop requested: sending SIGTERM")]
    public void States_with_a_process_show_its_pid_and_what_is_happening(string state, string description, string expected)
        => Assert.Equal(expected, StatusFormatter.Describe(Info(state, 42, description), Now));

    [Fact]
    public void States_without_a_process_show_the_reason()
        => Assert.Equal("gave up after 4 attempts: exit status 1",
            StatusFormatter.Describe(Info("FATAL", null, "gave up after 4 attempts: exit status 1"), Now));

    [Fact]
    public void Uptime_past_a_day_counts_days()
        => Assert.Equal("2 days, 3:04:05", StatusFormatter.Uptime(new TimeSpan(2, 3, 4, 5)));
}
