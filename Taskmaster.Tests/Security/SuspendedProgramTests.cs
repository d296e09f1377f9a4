using Taskmaster.Core.Processes;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Security;

/// <summary>
/// A program stopped with SIGSTOP (by its own user, or anyone allowed to signal it) is not doing its work: status
/// says so instead of a plain RUNNING, and stopping it does not wait out its stoptime, because the stop signal is
/// followed by SIGCONT.
/// </summary>
public sealed class SuspendedProgramTests
{
    [Fact]
    public async Task A_stopped_process_is_shown_as_such_and_still_stops_gracefully()
    {
        await using var daemon = await new RealDaemon("""
              paused:
                cmd: /bin/sleep 1000
                starttime: 0
                stoptime: 600
            """).StartAsync();
        await daemon.WaitForStateAsync("paused", "RUNNING");
        var pid = (await daemon.StatusAsync()).Single().Pid!.Value;
        Assert.Null((await daemon.StatusAsync()).Single().Suspended);

        Assert.Equal(0, RealDaemon.Signal(pid, Signals.SIGSTOP));
        await Eventually.HoldsAsync(() => File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('T'), "the child is stopped");

        var info = (await daemon.StatusAsync()).Single();
        Assert.Equal(("RUNNING", true), (info.State, info.Suspended));
        var status = await daemon.Ctl("status", "paused");
        Assert.Contains("stopped by a signal", status.Stdout);
        var json = await daemon.Ctl("status", "--json");
        Assert.Contains("\"suspended\": true", json.Stdout);

        // stoptime is 600 s: without SIGCONT the pending SIGTERM would not act before the SIGKILL at its end.
        var stop = await daemon.Ctl("stop", "paused");
        Assert.True(stop.ExitCode == 0, stop.Output);
        info = (await daemon.StatusAsync()).Single();
        Assert.Equal("STOPPED", info.State);
        Assert.Null(info.Suspended);
    }
}
