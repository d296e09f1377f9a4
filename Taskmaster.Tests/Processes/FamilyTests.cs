using Taskmaster.Core.Processes;
using Taskmaster.Core.Processes.Families;
using Taskmaster.Tests.Support;
using static Taskmaster.Tests.Processes.SpawnFixture;
using TestProcs = Taskmaster.Tests.Support.ProcessTable;

namespace Taskmaster.Tests.Processes;

/// <summary>
/// An instance's family goes with its leader: what the leader leaves running gets the stop signal, then SIGKILL
/// after the grace time, before the exit is reported. In a cgroup of its own (nothing escapes, not even a
/// <c>setsid</c> double fork) and with process groups (the test host is no subreaper, so there only the group and
/// the leader's descendants count). Real processes; the pids of the leftovers are written to files by the programs.
/// </summary>
public sealed class FamilyTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly CgroupTree? tree = CgroupTree.Create("family-tests-" + Guid.NewGuid(), out _);

    public void Dispose()
    {
        tree?.RemoveEmpty();
        dir.Dispose();
    }

    private PosixSpawner Spawner(bool cgroups)
    {
        if (cgroups) Assert.SkipWhen(tree is null, "no writable cgroup v2 hierarchy here");
        return new PosixSpawner(tracking: cgroups ? FamilyTracking.InCgroups(tree!) : FamilyTracking.ProcessGroups);
    }

    private static SpawnRequest Leaving(string script, TimeSpan grace) =>
        Shell(script) with { Name = "fam:0", Slot = "fam@" + Guid.NewGuid().ToString("N")[..8], Leftovers = new LeftoverPolicy(true, Signals.SIGTERM, grace) };

    private async Task<int> PidFrom(string file)
    {
        var path = dir.File(file);
        await Eventually.HoldsAsync(() => File.Exists(path) && File.ReadAllText(path).EndsWith('\n'), $"{file} written");
        return int.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_background_child_is_stopped_before_the_exit_is_reported(bool cgroups)
    {
        var spawner = Spawner(cgroups);
        using var child = spawner.Start(Leaving($"sleep 1000 & echo $! > {dir.File("bg")}; exit 3", TimeSpan.FromSeconds(30)));
        var background = await PidFrom("bg");
        Assert.Equal(ExitStatus.Exited(3), await child.WaitAsync());
        Assert.False(TestProcs.IsAlive(background), "the background sleep outlived the reported exit");
        Assert.Equal(1, child.LeftoversStopped);
    }

    [Fact]
    public async Task A_setsid_double_fork_does_not_escape_its_cgroup()
    {
        var spawner = Spawner(cgroups: true);
        var script = $"setsid sh -c 'sleep 1000 & echo $! > {dir.File("escaped")}' & wait; exit 1";
        using var child = spawner.Start(Leaving(script, TimeSpan.FromSeconds(30)));
        var escaped = await PidFrom("escaped");
        Assert.NotEqual(child.Pid, TestProcs.All().FirstOrDefault(p => p.Pid == escaped).Pgid);
        Assert.Equal(ExitStatus.Exited(1), await child.WaitAsync());
        Assert.False(TestProcs.IsAlive(escaped), "the setsid grandchild outlived the reported exit");
        Assert.Equal(1, child.LeftoversStopped);
        Assert.False(Directory.Exists(child.Cgroup), "the instance's cgroup is removed once empty");
    }

    /// <summary>A leader that exits once its child ignores SIGTERM (the child writes its pid only after the trap is
    /// set, and keeps its pid and the ignored signal across the exec).</summary>
    private string Stubborn()
    {
        var file = dir.File("stubborn");
        return $"sh -c 'trap \"\" TERM; echo $$ > {file}.tmp; mv {file}.tmp {file}; exec sleep 1000' & while [ ! -s {file} ]; do sleep 0.05; done; exit 0";
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_leftover_ignoring_the_stop_signal_gets_SIGKILL_after_the_grace_time(bool cgroups)
    {
        var spawner = Spawner(cgroups);
        using var child = spawner.Start(Leaving(Stubborn(), TimeSpan.FromMilliseconds(300)));
        var stubborn = await PidFrom("stubborn");
        Assert.Equal(ExitStatus.Exited(0), await child.WaitAsync());
        Assert.False(TestProcs.IsAlive(stubborn));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task While_leftovers_are_stopped_the_child_can_still_be_signalled_and_a_stop_kills_them_at_once(bool cgroups)
    {
        var spawner = Spawner(cgroups);
        using var child = spawner.Start(Leaving(Stubborn(), TimeSpan.FromMinutes(5)));
        var stubborn = await PidFrom("stubborn");
        await Eventually.HoldsAsync(() => RunsIgnoringTerm(stubborn, "sleep"), "the stubborn sleep ignores SIGTERM");
        await Eventually.HoldsAsync(() => !TestProcs.IsAlive(child.Pid), "the leader exited");
        Assert.False(child.Exited.IsCompleted, "the exit is reported only once the family is gone");
        Assert.True(child.SignalGroup(Signals.SIGCONT), "the leftover can still be signalled");
        child.KillRestOfGroupOnExit(); // what a stop does
        Assert.Equal(ExitStatus.Exited(0), await child.WaitAsync());
        Assert.False(TestProcs.IsAlive(stubborn));
    }

    [Fact]
    public async Task With_keep_the_leftovers_are_left_running()
    {
        var spawner = Spawner(cgroups: tree is not null);
        var request = Shell($"sleep 1000 & echo $! > {dir.File("bg")}; exit 0") with { Leftovers = LeftoverPolicy.Keep };
        using var child = spawner.Start(request);
        var background = await PidFrom("bg");
        try
        {
            Assert.Equal(ExitStatus.Exited(0), await child.WaitAsync());
            Assert.True(TestProcs.IsAlive(background));
            Assert.Equal(0, child.LeftoversStopped);
            Assert.Null(child.Cgroup);
        }
        finally
        {
            Tmds.Linux.LibC.kill(background, Signals.SIGKILL);
        }
    }

    [Fact]
    public async Task Every_child_is_told_its_instance_name()
    {
        var spawner = Spawner(cgroups: false);
        var output = await spawner.RunAsync(dir, Shell("echo \"$TASKMASTER_PROCESS_NAME\"") with { Name = "web:4" });
        Assert.Equal("web:4\n", output);
    }

    [Fact]
    public void Stat_lines_are_parsed_from_after_the_command()
    {
        var entry = Core.Processes.Families.ProcTable.Parse(42, "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10 18446744073709551615");
        Assert.Equal(new ProcEntry(42, 1, 42, 42, 'S', 123456), entry);
        Assert.Null(Core.Processes.Families.ProcTable.Parse(1, "1 (x) S 0"));
    }
}
