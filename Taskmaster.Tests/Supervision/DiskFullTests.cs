using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>A program whose log cannot be written (disk full: <c>/dev/full</c> answers every write with ENOSPC):
/// the instance keeps running and <c>status</c> says its output is being dropped and why; the others are
/// untouched.</summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task A_full_disk_shows_in_status_and_changes_nothing_else()
    {
        await using var daemon = new RealDaemon("""
              chatty:
                cmd: /bin/sh -c "while :; do echo line; sleep 0.05; done"
                starttime: 0
                stdout: /dev/full
              quiet: {cmd: /bin/sleep 1000, starttime: 0}
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("chatty", "RUNNING");
        await Eventually.HoldsAsync(() => daemon.StatusAsync().GetAwaiter().GetResult()
                .Single(i => i.Name == "chatty").Description.Contains("output dropped: /dev/full: write failed (No space left on device)"),
            "status says why chatty's output is dropped");
        var all = await daemon.StatusAsync();
        Assert.All(all, i => Assert.Equal("RUNNING", i.State));
        Assert.DoesNotContain("output dropped", all.Single(i => i.Name == "quiet").Description);
        Assert.Contains("program output /dev/full", daemon.Output);
    }
}
