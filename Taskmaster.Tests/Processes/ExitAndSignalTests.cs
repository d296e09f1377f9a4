using Taskmaster.Core.Processes;
using Taskmaster.Tests.Support;
using static Taskmaster.Tests.Processes.SpawnFixture;

namespace Taskmaster.Tests.Processes;

public sealed class ExitAndSignalTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly PosixSpawner spawner = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Exit_code_is_decoded()
    {
        using var child = spawner.Start(Shell("exit 3"));
        Assert.Equal(ExitStatus.Exited(3), await child.WaitAsync());
    }

    [Fact]
    public async Task Death_by_signal_is_decoded()
    {
        using var child = spawner.Start(Shell("kill -TERM $$"));
        var status = await child.WaitAsync();
        Assert.Null(status.Code);
        Assert.Equal(Signals.SIGTERM, status.Signal);
        Assert.Equal("terminated by SIGTERM", status.ToString());
    }

    [Fact]
    public async Task Core_dump_is_decoded_when_the_kernel_writes_one()
    {
        using var child = spawner.Start(Shell("ulimit -c unlimited; kill -QUIT $$") with { WorkingDir = dir.Path });
        var status = await child.WaitAsync();
        Assert.Equal(Signals.SIGQUIT, status.Signal);
        var cored = Directory.EnumerateFiles(dir.Path, "core*").Any();
        Assert.Equal(cored, status.CoreDumped);
    }

    [Fact]
    public void Exit_status_reads_like_supervisord_and_says_when_it_is_unknown()
    {
        Assert.Equal("exit status 3", ExitStatus.Exited(3).ToString());
        Assert.Equal("terminated by SIGSEGV (core dumped)", ExitStatus.Killed(11, core: true).ToString());
        Assert.Equal("exit status unknown", ExitStatus.Unknown.ToString());
        Assert.Equal(ExitStatus.Exited(2), PosixChildProcess.Decode(1, 2));
        Assert.Equal(ExitStatus.Killed(9), PosixChildProcess.Decode(2, 9));
        Assert.Equal(ExitStatus.Killed(6, core: true), PosixChildProcess.Decode(3, 6));
    }

    [Fact]
    public async Task Signal_reaches_the_child_and_exit_completes()
    {
        using var child = spawner.Start(Request("/bin/sleep", "1000"));
        Assert.True(child.SignalGroup(Signals.SIGKILL));
        Assert.Equal(ExitStatus.Killed(Signals.SIGKILL), await child.WaitAsync());
    }

    [Fact]
    public async Task Group_kill_also_ends_grandchildren()
    {
        using var child = spawner.Start(Shell("sleep 1000 & sleep 1000"));
        await Eventually.HoldsAsync(() => LiveMembersOfGroup(child.Pid).Count == 3, "sh and both sleeps in the child's group");
        Assert.True(child.SignalGroup(Signals.SIGTERM));
        Assert.Equal(ExitStatus.Killed(Signals.SIGTERM), await child.WaitAsync());
        await Eventually.HoldsAsync(() => LiveMembersOfGroup(child.Pid).Count == 0, "no process left in the group");
    }

    private const string LeaderWithAStubbornChild = "(trap '' TERM; exec sleep 1000) & sleep 1000";

    [Fact]
    public async Task Descendants_that_ignore_the_stop_signal_are_killed_with_the_leader_when_asked()
    {
        using var child = spawner.Start(Shell(LeaderWithAStubbornChild));
        await Eventually.HoldsAsync(() => LiveMembersOfGroup(child.Pid).Count(p => RunsIgnoringTerm(p, "sleep")) == 1,
            "the stubborn sleep ignores SIGTERM");
        child.KillRestOfGroupOnExit();
        Assert.True(child.SignalGroup(Signals.SIGTERM));
        Assert.Equal(ExitStatus.Killed(Signals.SIGTERM), await child.WaitAsync());
        await Eventually.HoldsAsync(() => LiveMembersOfGroup(child.Pid).Count == 0, "the stubborn sleep is gone too");
    }

    [Fact]
    public async Task Descendants_outliving_the_leader_are_left_alone_with_leftovers_keep()
    {
        using var child = spawner.Start(Shell(LeaderWithAStubbornChild) with { Leftovers = LeftoverPolicy.Keep });
        await Eventually.HoldsAsync(() => LiveMembersOfGroup(child.Pid).Count(p => RunsIgnoringTerm(p, "sleep")) == 1,
            "the stubborn sleep ignores SIGTERM");
        Assert.True(child.SignalGroup(Signals.SIGTERM));
        await child.Exited.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        var left = new List<int>();
        try
        {
            await Eventually.HoldsAsync(() =>
            {
                left = LiveMembersOfGroup(child.Pid);
                return left.Count == 1 && RunsIgnoringTerm(left[0], "sleep");
            }, "only the stubborn sleep is left");
            Assert.False(child.SignalGroup(Signals.SIGKILL)); // reaped: the number is not ours to signal any more
        }
        finally
        {
            foreach (var pid in left) Tmds.Linux.LibC.kill(pid, Signals.SIGKILL);
        }
    }

    [Fact]
    public async Task Signal_after_the_child_was_reaped_is_not_sent()
    {
        using var child = spawner.Start(Request("/bin/true"));
        await child.WaitAsync();
        Assert.False(child.SignalGroup(Signals.SIGKILL));
    }

    [Fact]
    public async Task Exited_continuations_do_not_run_on_the_watcher_thread()
    {
        using var child = spawner.Start(Request("/bin/true"));
        var thread = await child.Exited.ContinueWith(_ => Thread.CurrentThread.Name, TaskContinuationOptions.ExecuteSynchronously);
        Assert.NotEqual("taskmaster-exit-watcher", thread);
    }

    [Fact]
    public async Task Dispose_does_not_kill_and_the_exit_is_still_reaped()
    {
        var child = spawner.Start(Request("/bin/sleep", "1000") with { Stdout = To(dir.File("out.log")) });
        child.Dispose();
        Assert.Equal(0, Tmds.Linux.LibC.kill(child.Pid, 0));
        Assert.False(child.Exited.IsCompleted);
        Assert.True(child.SignalGroup(Signals.SIGKILL));
        Assert.Equal(ExitStatus.Killed(Signals.SIGKILL), await child.Exited.WaitAsync(Deadline, TestContext.Current.CancellationToken));
        await Eventually.HoldsAsync(() => !OurZombies().Contains(child.Pid), "the child is not left a zombie");
    }
}
