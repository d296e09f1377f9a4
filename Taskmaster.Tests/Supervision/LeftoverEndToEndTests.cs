using System.Globalization;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// The whole family goes with the leader, through a real daemon: with a cgroup per instance (<c>cgroups: auto</c>,
/// the default, where this machine has a writable cgroup v2 hierarchy) and with process groups plus the daemon as
/// child subreaper (<c>cgroups: off</c>). The programs write the pids of what they leave behind to a file.
/// </summary>
public sealed class LeftoverEndToEndTests
{
    private static bool CgroupsWritable => Directory.Exists("/sys/fs/cgroup/unified") || File.Exists("/sys/fs/cgroup/cgroup.procs");

    private static string DaemonYaml(string cgroups) => $"  cgroups: {cgroups}\n";

    private static List<int> Pids(string file) =>
        File.Exists(file)
            ? [.. File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture))]
            : [];

    [Theory]
    [InlineData("auto")]
    [InlineData("off")]
    public async Task A_background_child_goes_with_its_leader_across_restarts(string cgroups)
    {
        await using var daemon = new RealDaemon("""
              flap:
                cmd: /bin/sh {dir}/flap.sh
                starttime: 0
                autorestart: unexpected
                startretries: 100
                backoff_initial: 0.1
                backoff_max: 0.2
                stoptime: 5
            """, DaemonYaml(cgroups));
        var list = daemon.Dir.File("bg");
        // Each run leaves a sleep in the background and exits 1 (unexpected: restarted at once).
        daemon.Dir.Write("flap.sh", $"sleep 1000 &\necho $! >> {list}\nsleep 0.2\nexit 1\n");
        await daemon.StartAsync();
        await Eventually.HoldsAsync(() => Pids(list).Count >= 6, "six runs");
        // Every run but the current one has been cleaned up: no accumulation.
        await Eventually.HoldsAsync(() => Pids(list).SkipLast(1).All(p => !ProcessTable.IsAlive(p)),
            "the background sleeps of the earlier runs are gone");
        Assert.Contains("stopped 1 leftover process", daemon.Output);
        var stop = await daemon.Ctl("stop", "flap");
        Assert.True(stop.ExitCode == 0, stop.Output);
        await Eventually.HoldsAsync(() => Pids(list).All(p => !ProcessTable.IsAlive(p)), "nothing is left after stop");
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("off")]
    public async Task A_setsid_double_fork_goes_with_its_leader(string cgroups)
    {
        await using var daemon = new RealDaemon("""
              escape:
                cmd: /bin/sh {dir}/escape.sh
                starttime: 0
                autorestart: never
                stoptime: 5
            """, DaemonYaml(cgroups));
        var list = daemon.Dir.File("escaped");
        daemon.Dir.Write("inner.sh", $"sleep 1000 &\necho $! >> {list}\n");
        // setsid: a new session and group; the inner shell exits at once, so the sleep is an orphan.
        daemon.Dir.Write("escape.sh", $"setsid /bin/sh {daemon.Dir.File("inner.sh")} &\nwait\nsleep 0.3\nexit 2\n");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("escape", "EXITED");
        var escaped = Assert.Single(Pids(list));
        Assert.False(ProcessTable.IsAlive(escaped), "the setsid grandchild outlived its instance");
        var instance = Assert.Single(await daemon.StatusAsync());
        Assert.Contains("stopped 1 leftover process", instance.Description);
        if (cgroups == "off")
        {
            // Re-parented to the daemon (the subreaper) and reaped by it: no zombie either.
            await Eventually.HoldsAsync(() => !File.Exists($"/proc/{escaped}/stat"), "the orphan is reaped");
        }
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("off")]
    public async Task Version_and_the_start_up_log_say_which_tracking_is_used(string cgroups)
    {
        if (cgroups == "auto" && !CgroupsWritable) Assert.Skip("no cgroup v2 hierarchy here");
        await using var daemon = new RealDaemon("  idle: {cmd: /bin/sleep 1000, starttime: 0}\n", DaemonYaml(cgroups));
        await daemon.StartAsync();
        var version = await daemon.Ctl("version");
        Assert.True(version.ExitCode == 0, version.Output);
        var expected = cgroups == "auto" ? "process tracking: cgroup v2 (" : "process tracking: process groups and a child subreaper";
        Assert.Contains(expected, version.Output);
        Assert.Contains(expected, daemon.Output);
        if (cgroups == "auto")
        {
            var pid = (await daemon.StatusAsync()).Single().Pid!.Value;
            var cgroup = File.ReadAllLines($"/proc/{pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal));
            Assert.EndsWith("/idle@0", cgroup);
        }
    }
}
