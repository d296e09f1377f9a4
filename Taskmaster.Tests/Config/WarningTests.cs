using Taskmaster.Core.Config;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Config;

public class WarningTests
{
    [Fact]
    public void A_missing_workingdir_is_a_warning_not_an_error()
    {
        var result = ConfigLoader.LoadText("programs:\n  web:\n    cmd: /bin/true\n    workingdir: /nonexistent/dir\n", "w.yaml");
        Assert.True(result.IsValid);
        var w = Assert.Single(result.Warnings);
        Assert.Equal(("programs.web.workingdir", 4), (w.KeyPath, w.Line));
        Assert.StartsWith("w.yaml:4:17: programs.web.workingdir: warning: directory /nonexistent/dir does not exist", w.ToString());
    }

    [Fact]
    public void An_existing_workingdir_gives_no_warning() =>
        Assert.Empty(ConfigLoader.LoadText("programs:\n  web: {cmd: /bin/true, workingdir: /tmp}\n", "w.yaml").Warnings);

    [Fact]
    public void User_warns_only_when_the_check_does_not_run_as_root()
    {
        var result = ConfigLoader.LoadText("programs:\n  web: {cmd: /bin/true, user: nobody}\n", "w.yaml");
        Assert.True(result.IsValid);
        if (Tmds.Linux.LibC.geteuid() == 0) Assert.Empty(result.Warnings);
        else Assert.Contains("needs a daemon started as root", Assert.Single(result.Warnings).Message);
    }

    [Fact]
    public void Warnings_are_kept_next_to_errors()
    {
        var result = ConfigLoader.LoadText("programs:\n  web: {cmd: /bin/true, workingdir: /nonexistent, numprocs: 0}\n", "w.yaml");
        Assert.False(result.IsValid);
        Assert.Single(result.Errors);
        Assert.Single(result.Warnings);
    }

    [Fact]
    public async Task Check_prints_warnings_and_still_exits_0()
    {
        using var dir = new TempDir();
        var file = dir.Write("w.yaml", "programs:\n  web:\n    cmd: /bin/true\n    workingdir: /nonexistent/dir\n");
        var r = await Binaries.RunDaemonAsync("--check", file);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"{file}:4:17: programs.web.workingdir: warning:", r.Stderr);
        Assert.Equal("OK: 1 programs, 1 instances", r.Stdout.Split('\n')[0]);
    }
}
