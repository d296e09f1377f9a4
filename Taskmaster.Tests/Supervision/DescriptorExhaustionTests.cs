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
        var socket = dir.File("s.sock");
        var config = dir.Write("t.yaml", $"taskmasterd: {{socket: {socket}, syslog: false, logdir: {dir.File("log")}}}\n" +
            "programs:\n  many: {cmd: /bin/sleep 1000, numprocs: 100, starttime: 0, startretries: 0}\n");
        var daemonBinary = Binaries.Daemon;
        var psi = Binaries.StartInfo(("/usr/bin/prlimit", []), ["--nofile=200", daemonBinary.File, .. daemonBinary.Prefix, config, "-n"]);
        psi.Environment[RealDaemon.MarkerVariable] = dir.Path;
        using var daemon = System.Diagnostics.Process.Start(psi)!;
        daemon.StandardInput.Close();
        var output = daemon.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = daemon.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            IReadOnlyList<InstanceInfo> instances = [];
            await Eventually.HoldsAsync(() =>
            {
                if (daemon.HasExited || !RealDaemon.Answers(socket)) return false;
                instances = ControlClient.RequestAsync(socket, Request.For(Commands.Status)).GetAwaiter().GetResult().Instances ?? [];
                return instances.Count == 100 && instances.All(i => i.State is "RUNNING" or "FATAL");
            }, "every instance RUNNING or FATAL, and the daemon answering");

            var fatal = instances.Where(i => i.State == "FATAL").ToList();
            Assert.NotEmpty(fatal);
            Assert.All(fatal, i => Assert.Contains("too many open files", i.Description));
            Assert.False(daemon.HasExited, "the daemon died");

            var running = instances.Where(i => i.Pid is not null).Select(i => i.Pid!.Value).ToList();
            var stop = await Binaries.RunAsync(Binaries.Ctl, ["-s", socket, "stop", "all"], TimeSpan.FromSeconds(120));
            Assert.True(stop.ExitCode == 0, stop.Output);
            Assert.DoesNotContain(running, ProcessTable.IsAlive);
            Assert.True(RealDaemon.Answers(socket), "the daemon stopped answering");
        }
        finally
        {
            if (!daemon.HasExited)
            {
                RealDaemon.Signal(daemon.Id, 15);
                await daemon.WaitForExitAsync(TestContext.Current.CancellationToken);
            }
            _ = await output;
        }
    }
}
