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
        await using var daemon = LimitedDaemon.Start(dir, "--nproc=3",
            $"  many: {{cmd: /bin/sleep 1000, user: {Account}, numprocs: 6, starttime: 0, startretries: 0}}\n");
        var instances = await daemon.SettledAsync(6, "RUNNING", "FATAL");
        // How many fit is the kernel's count (the limit is checked at execve against the user's processes).
        Assert.InRange(instances.Count(i => i.State == "RUNNING"), 1, 4);
        Assert.All(instances.Where(i => i.State == "FATAL"),
            i => Assert.Contains($"too many processes for user {Account} (RLIMIT_NPROC)", i.Description));

        var running = instances.Where(i => i.Pid is not null).Select(i => i.Pid!.Value).ToList();
        var stop = await Binaries.RunAsync(Binaries.Ctl, ["-s", daemon.Socket, "stop", "all"], TimeSpan.FromSeconds(120));
        Assert.True(stop.ExitCode == 0, stop.Output);
        Assert.DoesNotContain(running, ProcessTable.IsAlive);
        Assert.False(daemon.HasExited, "the daemon died");
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
