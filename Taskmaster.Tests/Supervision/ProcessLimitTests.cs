using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Security;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// Out of processes for a <c>user</c> (here <c>games</c>; <c>RLIMIT_NPROC</c>, here 3 through <c>prlimit</c> on the daemon, which its
/// children inherit; 6 instances): the instances that cannot start say why, the others run, the daemon stays up and
/// <c>stop all</c> leaves nothing behind. The root daemon itself is not limited by it.
/// </summary>
public sealed class ProcessLimitTests
{
    [Fact]
    public async Task Running_out_of_processes_for_a_user_fails_those_spawns_with_the_reason()
    {
        // An account no other test runs processes as (the security tests use nobody, concurrently), so that the
        // limit counts only this test's processes.
        const string Account = "games";
        var uid = Core.Processes.UserAccount.Find(Account)?.Uid;
        if (!File.Exists("/usr/bin/prlimit") || !Nobody.Available || uid is null) Assert.Skip($"needs root, prlimit and the {Account} account");
        if (ProcessTable.All().Any(p => OwnerOf(p.Pid) == uid)) Assert.Skip($"{Account} already runs processes here");
        using var dir = new TempDir();
        var socket = dir.File("s.sock");
        var config = dir.Write("t.yaml", $"taskmasterd: {{socket: {socket}, syslog: false, logdir: {dir.File("log")}}}\n" +
            $"programs:\n  many: {{cmd: /bin/sleep 1000, user: {Account}, numprocs: 6, starttime: 0, startretries: 0}}\n");
        var daemonBinary = Binaries.Daemon;
        var psi = Binaries.StartInfo(("/usr/bin/prlimit", []), ["--nproc=3", daemonBinary.File, .. daemonBinary.Prefix, config, "-n"]);
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
                return instances.Count == 6 && instances.All(i => i.State is "RUNNING" or "FATAL");
            }, "every instance RUNNING or FATAL");
            // How many fit is the kernel's count (the limit is checked at execve against the user's processes).
            Assert.InRange(instances.Count(i => i.State == "RUNNING"), 1, 4);
            Assert.All(instances.Where(i => i.State == "FATAL"),
                i => Assert.Contains($"too many processes for user {Account} (RLIMIT_NPROC)", i.Description));

            var running = instances.Where(i => i.Pid is not null).Select(i => i.Pid!.Value).ToList();
            var stop = await Binaries.RunAsync(Binaries.Ctl, ["-s", socket, "stop", "all"], TimeSpan.FromSeconds(120));
            Assert.True(stop.ExitCode == 0, stop.Output);
            Assert.DoesNotContain(running, ProcessTable.IsAlive);
            Assert.False(daemon.HasExited, "the daemon died");
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

    private static uint OwnerOf(int pid)
    {
        try
        {
            var uid = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            return uint.Parse(uid, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
            return uint.MaxValue;
        }
    }
}
