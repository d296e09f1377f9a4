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
