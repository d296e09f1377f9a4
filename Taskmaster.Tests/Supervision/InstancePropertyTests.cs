using Akka.Actor;
using CsCheck;
using Taskmaster.Actors.Instances;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// Random sequences of user commands, process exits and elapsed time against one instance (fake spawner, virtual
/// time). Whatever happens: a pid is reported exactly in the states that have a process, every process older
/// than it is gone, there is never more than one live process, and a final stop leaves none and nothing restarts
/// after.
/// </summary>
public sealed class InstancePropertyTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    private enum Op
    {
        Start,
        Stop,
        Restart,
        ExitExpected,
        ExitUnexpected,
        Kill,
        TickSecond,
        TickLong,
    }

    private int _runs;

    [Fact]
    public void Random_commands_exits_and_time_never_break_the_process_invariants()
    {
        // Every transition on the way must be an arrow of the diagram.
        var illegal = new System.Collections.Concurrent.ConcurrentQueue<InstanceTransition>();
        var seen = 0;
        Action<InstanceTransition> check = t =>
        {
            Interlocked.Increment(ref seen);
            if (!Transitions.IsLegal(t.From, t.To)) illegal.Enqueue(t);
        };
        var watcher = Sys.ActorOf(Props.Create(() => new TransitionWatcher(check)));
        Sys.EventStream.Subscribe(watcher, typeof(InstanceTransition));
        var ops = Gen.Enum<Op>().Array[1, 24];
        var policy = Gen.Enum<AutoRestart>();
        Gen.Select(ops, policy, Gen.Bool, Gen.Int[0, 3]).Sample(
            (steps, restart, ignoresTerm, retries) => Run(steps, restart, ignoresTerm, retries),
            iter: 25, threads: 1);
        AwaitCondition(() => Volatile.Read(ref seen) > 0, cancellationToken: Ct);
        Assert.True(illegal.IsEmpty, "illegal transitions: " + string.Join("; ", illegal.Select(t => $"{t.Name} {t.From} -> {t.To} ({t.Reason})")));
    }

    private sealed class TransitionWatcher : ReceiveActor
    {
        public TransitionWatcher(Action<InstanceTransition> seen) => Receive<InstanceTransition>(seen);
    }

    private void Run(Op[] steps, AutoRestart restart, bool ignoresTerm, int retries)
    {
        var name = "p" + Interlocked.Increment(ref _runs);
        if (ignoresTerm) Spawner.Configure = c => c.Ignores.Add(Signals.SIGTERM);
        else Spawner.Configure = null;
        var spec = Spec(name) with { AutoRestart = restart, StartRetries = retries, StopTime = TimeSpan.FromSeconds(3) };
        var instance = StartInstance(spec, autoStart: false);

        foreach (var step in steps)
        {
            var last = Spawner.ChildrenOf(name).LastOrDefault();
            switch (step)
            {
                case Op.Start: instance.Tell(new InstanceProtocol.Start(ActorRefs.Nobody)); break;
                case Op.Stop: instance.Tell(new InstanceProtocol.Stop(ActorRefs.Nobody)); break;
                case Op.Restart: instance.Tell(new InstanceProtocol.Restart(ActorRefs.Nobody)); break;
                case Op.ExitExpected: last?.Exit(0); break;
                case Op.ExitUnexpected: last?.Exit(3); break;
                case Op.Kill: last?.Kill(Signals.SIGKILL); break;
                case Op.TickSecond: Clock.Advance(TimeSpan.FromSeconds(1)); break;
                case Op.TickLong: Clock.Advance(TimeSpan.FromSeconds(40)); break;
            }
            CheckInvariants(name, StatusOf(instance));
        }

        var probe = CreateTestProbe();
        instance.Tell(new InstanceProtocol.Stop(probe.Ref));
        // The stop needs the clock moved past stoptime when the child ignores SIGTERM: advance it between short
        // waits until the outcome comes, within a deadline generous enough for a loaded machine (20 waits of 50 ms,
        // as before, gave up after one second of real time).
        InstanceOutcome? outcome = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (outcome is null && DateTime.UtcNow < deadline)
        {
            outcome = probe.ReceiveOne(TimeSpan.FromMilliseconds(50)) as InstanceOutcome;
            if (outcome is null) Clock.Advance(spec.StopTime);
        }
        Assert.True(outcome is { Ok: true }, $"stop did not complete: {outcome}");
        var spawns = Spawner.SpawnCount(name);
        Clock.Advance(TimeSpan.FromMinutes(5));
        var final = StatusOf(instance);
        CheckInvariants(name, final);
        Assert.Null(final.Pid);
        Assert.DoesNotContain(Spawner.ChildrenOf(name), c => !c.HasExited);
        Assert.Equal(spawns, Spawner.SpawnCount(name));
        Sys.Stop(instance);
    }

    private void CheckInvariants(string name, InstanceStatus status)
    {
        var hasProcessState = status.State is ProcessState.Starting or ProcessState.Running or ProcessState.Stopping;
        Assert.True(hasProcessState == status.Pid.HasValue, $"{status.State.Display()} with pid {status.Pid}");
        var children = Spawner.ChildrenOf(name);
        Assert.True(children.Count(c => !c.HasExited) <= 1, "more than one live process");
        // The actor may have moved on since it answered, so "newest" is checked as: every earlier process is gone.
        if (status.Pid is { } pid)
        {
            Assert.Contains(children, c => c.Pid == pid);
            Assert.All(children.Where(c => c.Pid < pid), c => Assert.True(c.HasExited, $"pid {c.Pid} still alive"));
        }
    }
}
