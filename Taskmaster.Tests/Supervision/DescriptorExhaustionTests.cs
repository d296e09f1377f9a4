using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// Out of file descriptors (a daemon started under <c>prlimit --nofile=200</c>, a program of 100 instances): spawns
/// that would eat into the descriptors kept for the control socket and logging fail with that reason, the daemon
/// stays up and answers, and <c>stop all</c> leaves nothing behind. Before, the runtime aborted the daemon.
/// </summary>
public sealed class DescriptorExhaustionTests
{
    [Fact]
    public async Task Running_out_of_descriptors_fails_spawns_not_the_daemon()
    {
        if (!File.Exists("/usr/bin/prlimit")) Assert.Skip("needs prlimit (util-linux)");
        using var dir = new TempDir();
        await using var daemon = LimitedDaemon.Start(dir, "--nofile=200",
            "  many: {cmd: /bin/sleep 1000, numprocs: 100, starttime: 0, startretries: 0}\n");
        var instances = await daemon.SettledAsync(100, "RUNNING", "FATAL");

        var fatal = instances.Where(i => i.State == "FATAL").ToList();
        Assert.NotEmpty(fatal);
        Assert.All(fatal, i => Assert.Contains("too many open files", i.Description));
        Assert.False(daemon.HasExited, "the daemon died");

        var running = instances.Where(i => i.Pid is not null).Select(i => i.Pid!.Value).ToList();
        var stop = await Binaries.RunAsync(Binaries.Ctl, ["-s", daemon.Socket, "stop", "all"], TimeSpan.FromSeconds(120));
        Assert.True(stop.ExitCode == 0, stop.Output);
        Assert.DoesNotContain(running, ProcessTable.IsAlive);
        Assert.True(RealDaemon.Answers(daemon.Socket), "the daemon stopped answering");
    }
}
