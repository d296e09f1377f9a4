using System.Collections.Concurrent;
using Akka.Actor;
using Taskmaster.Actors.Instances;
using Taskmaster.Actors.Scheduling;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;
using Taskmaster.Tests.Support;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Supervision;

/// <summary>Tests that tie up the test host's thread pool on purpose run alone, after every parallel test.</summary>
[CollectionDefinition(nameof(PoolStarvation), DisableParallelization = true)]
public sealed class PoolStarvation;

/// <summary>
/// The supervisor does not depend on the .NET thread pool: with every pool thread blocked (and work queued behind
/// them), a real instance actor on the daemon's threading config (<see cref="ThreadingConfig"/>) still gets its
/// <c>starttime</c> timer, reaches RUNNING, notices its process being killed and restarts it. With Akka's default
/// scheduler and dispatcher none of that happens until the pool frees up.
/// </summary>
[Collection(nameof(PoolStarvation))]
public sealed class PoolStarvationTests
{
    private static readonly TimeSpan FewSeconds = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Starttime_timer_and_exit_are_served_while_the_thread_pool_is_saturated()
    {
        using var system = ActorSystem.Create("starved", ThreadingConfig.Hocon);
        var transitions = new BlockingCollection<InstanceTransition>();
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new Forwarder(transitions))), typeof(InstanceTransition));
        var spawner = new TrackingSpawner();
        using var release = new ManualResetEventSlim();
        try
        {
            Saturate(release);
            var spec = new ProgramSpec
            {
                Name = "starved",
                Command = "/bin/sleep 1000",
                Argv = ["/bin/sleep", "1000"],
                StartTime = TimeSpan.FromSeconds(1),
                Stdout = OutputSpec.Discard,
                Stderr = OutputSpec.Discard,
            };
            system.ActorOf(ProcessInstanceActor.Props(spec, 0, spawner, autoStart: true));

            var first = Await(transitions, ProcessState.Running);
            Assert.True(ThreadPool.PendingWorkItemCount > 0, "the thread pool was not saturated when RUNNING came");

            Tmds.Linux.LibC.kill(first.Pid!.Value, Signals.SIGKILL);
            Await(transitions, ProcessState.Exited);
            var second = Await(transitions, ProcessState.Running);
            Assert.NotEqual(first.Pid, second.Pid);
            Assert.True(ThreadPool.PendingWorkItemCount > 0, "the thread pool was not saturated when the restart came");
        }
        finally
        {
            release.Set();
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
        Assert.True(SpinWait.SpinUntil(() => spawner.Children.All(c => c.Exited.IsCompleted), TimeSpan.FromSeconds(20)),
            "a child outlived the actor system");
    }

    /// <summary>Blocks every pool thread and queues many more blocking items behind them (released at the end, or
    /// after 60 s at the latest).</summary>
    private static void Saturate(ManualResetEventSlim release)
    {
        var items = ThreadPool.ThreadCount + 64;
        for (var i = 0; i < items; i++)
            ThreadPool.UnsafeQueueUserWorkItem(_ => release.Wait(TimeSpan.FromSeconds(60)), null);
        Assert.True(SpinWait.SpinUntil(() => ThreadPool.PendingWorkItemCount > 0, TimeSpan.FromSeconds(10)),
            "could not saturate the thread pool");
    }

    private static InstanceTransition Await(BlockingCollection<InstanceTransition> transitions, ProcessState state)
    {
        var seen = new List<string>();
        var deadline = DateTime.UtcNow + FewSeconds;
        while (DateTime.UtcNow < deadline)
        {
            if (!transitions.TryTake(out var t, deadline - DateTime.UtcNow)) break;
            if (t.To == state) return t;
            seen.Add($"{t.From.Display()} -> {t.To.Display()}");
        }
        Assert.Fail($"no {state.Display()} within {FewSeconds.TotalSeconds} s with the thread pool saturated; saw [{string.Join(", ", seen)}]");
        return null!;
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(BlockingCollection<InstanceTransition> into) => Receive<InstanceTransition>(into.Add);
    }

    /// <summary>The real spawner, remembering its children for the leak guard.</summary>
    private sealed class TrackingSpawner : IProcessSpawner
    {
        private readonly PosixSpawner _inner = new();
        public ConcurrentBag<PosixChildProcess> Children { get; } = [];

        public SpawnResult Spawn(SpawnRequest request)
        {
            var result = _inner.Spawn(request);
            if (result is SpawnResult.Started { Process: PosixChildProcess child })
            {
                Children.Add(child);
                NoChildLeftBehindAttribute.Track(child);
            }
            return result;
        }
    }
}
