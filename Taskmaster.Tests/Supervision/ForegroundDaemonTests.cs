using Akka.Actor;
using Taskmaster.Core.Processes;
using Taskmaster.Daemon;
using Taskmaster.Daemon.Hosting;
using Taskmaster.Tests.Support;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Supervision;

/// <summary>The foreground daemon in-process (fake spawner): its hooks for the control plane and its graceful exit.</summary>
public sealed class ForegroundDaemonTests
{
    private sealed class Disposer(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    [Fact]
    public async Task Hooks_run_before_any_program_starts_and_the_exit_action_stops_every_program_gracefully()
    {
        using var dir = new TempDir();
        dir.Write("conf/taskmaster.yaml", """
            taskmasterd:
              syslog: false
            programs:
              web:
                cmd: /bin/web
                numprocs: 2
                starttime: 0
            """);
        var spawner = new FakeSpawner();
        var spawnsWhenBound = -1;
        var disposed = false;
        var started = new TaskCompletionSource<(IActorRef Root, Action Exit)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hooks = new DaemonHooks
        {
            BeforeStart = _ =>
            {
                spawnsWhenBound = spawner.Requests.Count;
                return new Disposer(() => disposed = true);
            },
            Started = (_, root, exit) => started.SetResult((root, exit)),
        };
        var options = new DaemonOptions(dir.File("conf"), NoDaemon: true, Socket: null, PidFile: null, LogLevel: null);
        var run = Task.Run(() => ForegroundDaemon.Run(options, _ => new DaemonProcesses(spawner), hooks), TestContext.Current.CancellationToken);

        var (root, exit) = await started.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(0, spawnsWhenBound);
        await Eventually.HoldsAsync(() => spawner.Alive.Count == 2, "both instances started");
        var status = await root.Ask<StatusReply>(new GetStatus([]), TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(["web:0", "web:1"], status.Instances.Select(i => i.Name));

        exit();
        Assert.Equal(ForegroundDaemon.Ok, await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Empty(spawner.Alive);
        Assert.All(spawner.Children, c => Assert.Equal([Signals.SIGTERM], c.SignalsReceived));
        Assert.True(disposed);
    }
}
