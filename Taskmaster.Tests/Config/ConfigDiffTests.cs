using Taskmaster.Core.Config;

namespace Taskmaster.Tests.Config;

/// <summary><see cref="ConfigDiff.Compute"/> on configs produced by the real loader.</summary>
public class ConfigDiffTests
{
    private const string Base = """
        programs:
          web: {cmd: /bin/sleep 100, numprocs: 2, autorestart: unexpected}
          api: {cmd: /bin/sleep 200}
          old: {cmd: /bin/sleep 300}
        """;

    private static ConfigDiff Diff(string before, string after) =>
        ConfigDiff.Compute(ConfigAssert.Valid(before), ConfigAssert.Valid(after));

    [Fact]
    public void The_same_config_is_all_unchanged()
    {
        var diff = Diff(Base, Base);
        Assert.True(diff.IsEmpty);
        Assert.Equal(["api", "old", "web"], diff.Unchanged.Order());
    }

    [Fact]
    public void Reformatting_and_reordering_change_nothing()
    {
        var diff = Diff(Base, """
            programs:
              old:
                cmd: '/bin/sleep 300'
              api: {cmd: "/bin/sleep 200", stopsignal: SIGTERM, exitcodes: [0, 0]}
              web: {numprocs: 2, cmd: /bin/sleep 100}
            """);
        Assert.Empty(diff.Restarted);
        Assert.Empty(diff.Changed);
        Assert.Equal(["api", "old", "web"], diff.Unchanged.Order());
    }

    [Fact]
    public void Respacing_cmd_to_the_same_argv_restarts_nothing()
    {
        var diff = Diff(Base, Base.Replace("api: {cmd: /bin/sleep 200}", "api: {cmd: '/bin/sleep    \"200\"'}"));
        Assert.Empty(diff.Restarted);
        Assert.Contains("api", diff.Unchanged);
    }

    [Fact]
    public void Added_and_removed_programs_are_listed()
    {
        var diff = Diff(Base, Base.Replace("  old: {cmd: /bin/sleep 300}", "  new: {cmd: /bin/sleep 400}"));
        Assert.Equal(["new"], diff.Added);
        Assert.Equal(["old"], diff.Removed);
        Assert.Equal(["api", "web"], diff.Unchanged.Order());
    }

    [Theory]
    [InlineData("cmd: /bin/sleep 201")]
    [InlineData("env: {A: 1}")]
    [InlineData("workingdir: /tmp")]
    [InlineData("umask: 077")]
    [InlineData("stdout: /tmp/api.out")]
    [InlineData("stderr: none")]
    public void A_change_to_what_runs_restarts_the_program(string change)
    {
        var diff = Diff(Base, Base.Replace("api: {cmd: /bin/sleep 200}", $"api: {{cmd: /bin/sleep 200, {change}}}")
            .Replace("cmd: /bin/sleep 200, cmd: /bin/sleep 201", "cmd: /bin/sleep 201"));
        Assert.Equal(["api"], diff.Restarted);
        Assert.Empty(diff.Changed);
        Assert.Equal(["old", "web"], diff.Unchanged.Order());
    }

    [Theory]
    [InlineData("autorestart: always")]
    [InlineData("exitcodes: [0, 2]")]
    [InlineData("stoptime: 3")]
    [InlineData("stopsignal: INT")]
    [InlineData("autostart: false")]
    [InlineData("startretries: 9")]
    public void A_policy_change_applies_live(string change)
    {
        var diff = Diff(Base, Base.Replace("api: {cmd: /bin/sleep 200}", $"api: {{cmd: /bin/sleep 200, {change}}}"));
        Assert.Equal(["api"], diff.Changed);
        Assert.Empty(diff.Restarted);
    }

    [Fact]
    public void A_numprocs_change_scales_without_restarting()
    {
        var diff = Diff(Base, Base.Replace("numprocs: 2", "numprocs: 5"));
        Assert.Equal([new ScaleChange("web", 2, 5)], diff.Scaled);
        Assert.Empty(diff.Restarted);
        Assert.Empty(diff.Changed);
        // A scaled program is listed once, as scaled: the plan must not also call it unchanged.
        Assert.DoesNotContain("web", diff.Unchanged);
        Assert.False(diff.IsEmpty);
    }

    [Fact]
    public void A_numprocs_change_with_a_policy_change_is_scaled_and_changed()
    {
        var diff = Diff(Base, Base.Replace("numprocs: 2, autorestart: unexpected", "numprocs: 1, autorestart: always"));
        Assert.Equal([new ScaleChange("web", 2, 1)], diff.Scaled);
        Assert.Equal(["web"], diff.Changed);
    }
}
