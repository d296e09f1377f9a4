using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// A process that outlives its SIGKILL (stuck in the kernel, state D) is visible, and neither a stop nor the daemon's
/// shutdown waits on it for ever. The test makes one for real: a cgroup v1 freezer holds the process in D state,
/// where SIGKILL waits until it is thawed.
/// </summary>
public sealed class StuckProcessTests : IDisposable
{
    private readonly string freezer = $"/sys/fs/cgroup/freezer/taskmaster-test-{Guid.NewGuid():N}";

    public void Dispose()
    {
        if (!Directory.Exists(freezer)) return;
        File.WriteAllText(Path.Join(freezer, "freezer.state"), "THAWED");
        for (var i = 0; i < 100 && File.ReadAllText(Path.Join(freezer, "cgroup.procs")).Trim().Length > 0; i++) Thread.Sleep(50);
        try { Directory.Delete(freezer); } catch (IOException) { }
    }

    private async Task Freeze(int pid)
    {
        if (!File.Exists("/sys/fs/cgroup/freezer/freezer.state") && !Directory.Exists("/sys/fs/cgroup/freezer"))
            Assert.Skip("needs the cgroup v1 freezer to make a process stuck");
        Directory.CreateDirectory(freezer);
        File.WriteAllText(Path.Join(freezer, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.WriteAllText(Path.Join(freezer, "freezer.state"), "FROZEN");
        await Eventually.HoldsAsync(() => File.ReadAllText($"/proc/{pid}/stat").Contains(") D "), "the process is in state D");
    }

    private void Thaw() => File.WriteAllText(Path.Join(freezer, "freezer.state"), "THAWED");

    [Fact]
    public async Task A_process_that_survives_SIGKILL_is_reported_stuck_and_the_stop_is_answered()
    {
        await using var daemon = new RealDaemon("  stuck: {cmd: /bin/sleep 1000, starttime: 0, stoptime: 1}\n");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("stuck", "RUNNING");
        var pid = (await daemon.StatusAsync()).Single().Pid!.Value;
        await Freeze(pid);

        var stop = await daemon.Ctl("stop", "stuck");
        Assert.NotEqual(0, stop.ExitCode);
        Assert.Contains("could not be stopped", stop.Output);
        Assert.Contains("D (uninterruptible sleep", stop.Output);
        var instance = (await daemon.StatusAsync()).Single();
        Assert.Equal("STOPPING", instance.State);
        Assert.StartsWith("stuck: ", instance.Description);
        Assert.Contains($"pid {pid} is still there", daemon.Output);

        // Once the kernel lets go, the SIGKILL lands and the exit is reaped as usual.
        Thaw();
        await daemon.WaitForStateAsync("stuck", "STOPPED");
    }

    [Fact]
    public async Task Shutdown_does_not_wait_for_ever_on_a_stuck_process()
    {
        await using var daemon = new RealDaemon("  stuck: {cmd: /bin/sleep 1000, starttime: 0, stoptime: 1}\n");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("stuck", "RUNNING");
        var pid = (await daemon.StatusAsync()).Single().Pid!.Value;
        await Freeze(pid);
        var process = daemon.Process!;
        Assert.Equal(0, RealDaemon.Signal(process.Id, 15));
        // Bounded: stoptime, then the stuck check, then the exit (the 30 s shutdown ceiling is not what ends it).
        await Eventually.HoldsAsync(() => process.HasExited, "the daemon exits", TimeSpan.FromSeconds(25));
        Assert.Contains("is still there", daemon.Output);
        Thaw();
        await Eventually.HoldsAsync(() => !ProcessTable.IsAlive(pid), "the thawed process is gone");
    }
}
