using Taskmaster.Core.Processes;
using Taskmaster.Tests.Support;
using static Taskmaster.Tests.Processes.SpawnFixture;

namespace Taskmaster.Tests.Processes;

public sealed class ScaleTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly PosixSpawner spawner = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Five_hundred_children_spawned_and_reaped_leave_no_zombie()
    {
        var children = new List<PosixChildProcess>();
        for (var i = 0; i < 500; i++)
            children.Add(spawner.Start(Request("/bin/true") with { Stdout = To(dir.File($"out{i % 10}.log")) }));
        var statuses = await Task.WhenAll(children.Select(c => c.WaitAsync()));
        Assert.All(statuses, s => Assert.Equal(ExitStatus.Exited(0), s));
        foreach (var c in children) c.Dispose();
        var pids = children.Select(c => c.Pid).ToHashSet();
        Assert.DoesNotContain(OurZombies(), pids.Contains);
    }

    [Fact]
    public async Task Five_hundred_sleeping_children_killed_at_once_are_all_reaped()
    {
        var children = Enumerable.Range(0, 500).Select(_ => spawner.Start(Request("/bin/sleep", "1000"))).ToList();
        foreach (var c in children) Assert.True(c.SignalGroup(Signals.SIGKILL));
        var statuses = await Task.WhenAll(children.Select(c => c.WaitAsync()));
        Assert.All(statuses, s => Assert.Equal(ExitStatus.Killed(Signals.SIGKILL), s));
        var pids = children.Select(c => c.Pid).ToHashSet();
        Assert.DoesNotContain(OurZombies(), pids.Contains);
    }

    [Fact]
    public async Task Spawning_from_many_threads_at_once_works()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var ok = 0;
            for (var i = 0; i < 25; i++)
            {
                var request = Shell($"echo {t}-{i}") with { Stdout = To(dir.File($"t{t}.log")), Umask = i % 2 == 0 ? 18 : null };
                using var child = spawner.Start(request);
                if (await child.WaitAsync() == ExitStatus.Exited(0)) ok++;
            }
            return ok;
        })));
        Assert.All(results, ok => Assert.Equal(25, ok));
        for (var t = 0; t < 8; t++)
            Assert.Equal(Enumerable.Range(0, 25).Select(i => $"{t}-{i}"), File.ReadAllLines(dir.File($"t{t}.log")));
    }

    [Fact]
    public async Task Spawning_while_another_thread_allocates_heavily_never_hangs()
    {
        using var stop = new CancellationTokenSource();
        var allocator = new Thread(() =>
        {
            var keep = new List<byte[]>();
            while (!stop.IsCancellationRequested)
            {
                keep.Add(new byte[Random.Shared.Next(100, 100_000)]);
                if (keep.Count > 2000) keep.Clear();
            }
        }) { IsBackground = true };
        allocator.Start();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var request = Request("/bin/true") with { Umask = i % 2 == 0 ? 63 : null, Stdout = To(dir.File("alloc.log")) };
                using var child = spawner.Start(request);
                Assert.Equal(ExitStatus.Exited(0), await child.WaitAsync());
            }
        }
        finally
        {
            await stop.CancelAsync();
            allocator.Join();
        }
    }
}
