using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using Taskmaster.Actors.Instances;
using Taskmaster.Core.Config;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// TestKit on virtual time (the TestKit's TestScheduler) with a <see cref="FakeSpawner"/> and a probe subscribed
/// to every <see cref="InstanceTransition"/>. Actors arm their timers before they publish the transition that
/// follows, so a test that has seen a transition may advance the clock at once.
/// </summary>
public abstract class SupervisionTestKit : Akka.TestKit.Xunit.TestKit
{
    private const string Hocon = """
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = INFO
        akka.stdout-loglevel = INFO
        # ExpectMsg without a timeout: generous for a loaded CI machine (the default 3 s); costs nothing when it passes.
        akka.test.single-expect-default = 20s
        # Instances created at the top are supervised like a ProgramActor's: the restart policy is the strategy.
        akka.actor.guardian-supervisor-strategy = "Taskmaster.Actors.Programs.InstanceGuardianStrategy, Taskmaster.Actors"
        """;

    protected SupervisionTestKit(ITestOutputHelper output) : base(Hocon, output)
    {
        // Subscribed before any actor exists, so no transition can be missed.
        Events = CreateTestProbe("events");
        Sys.EventStream.Subscribe(Events.Ref, typeof(InstanceTransition));
    }

    /// <summary>Every transition of every instance, in order.</summary>
    protected TestProbe Events { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected FakeSpawner Spawner { get; } = new();

    protected TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    /// <summary>A program with the defaults of DESIGN §3 (starttime 1 s, stoptime 10 s, startretries 3, backoff 1 s ×2 ≤ 30 s).</summary>
    protected static ProgramSpec Spec(string name, string? command = null) => new()
    {
        Name = name,
        Command = command ?? "/bin/" + name,
        Argv = [.. (command ?? "/bin/" + name).Split(' ')],
        Stdout = new OutputSpec($"/tmp/{name}-{{n}}.out", 0, 0),
        Stderr = OutputSpec.Discard,
    };

    protected static TaskmasterConfig Config(params ProgramSpec[] programs) =>
        new(DaemonSettings.Default, programs.ToImmutableSortedDictionary(p => p.Name, p => p, StringComparer.Ordinal));

    protected IActorRef StartInstance(ProgramSpec spec, bool autoStart = true) =>
        Sys.ActorOf(ProcessInstanceActor.Props(spec, 0, Spawner, autoStart));

    /// <summary>The very next transition must be <paramref name="to"/> for <paramref name="instance"/>.</summary>
    protected InstanceTransition ExpectTransition(string instance, ProcessState to)
    {
        var t = Events.ExpectMsg<InstanceTransition>(cancellationToken: Ct);
        Assert.True(t.Name == instance && t.To == to,
            $"expected {instance} -> {to.Display()}, got {t.Name} {t.From.Display()} -> {t.To.Display()} ({t.Reason})");
        return t;
    }

    /// <summary>Skip other transitions until <paramref name="instance"/> reaches <paramref name="to"/>.</summary>
    protected InstanceTransition AwaitTransition(string instance, ProcessState to) =>
        Events.FishForMessage<InstanceTransition>(t => t.Name == instance && t.To == to, cancellationToken: Ct);

    /// <summary>Skip other transitions until every one of <paramref name="instances"/> has reached <paramref name="to"/>, in any order.</summary>
    protected void AwaitAll(ProcessState to, params string[] instances)
    {
        var missing = new HashSet<string>(instances);
        while (missing.Count > 0)
        {
            var t = Events.ExpectMsg<InstanceTransition>(cancellationToken: Ct);
            if (t.To == to) missing.Remove(t.Name);
        }
    }

    protected void ExpectNoTransition() => Events.ExpectNoMsg(TimeSpan.FromMilliseconds(100), Ct);

    /// <summary>Start, and let <c>starttime</c> pass: the instance is RUNNING.</summary>
    protected FakeChild BringToRunning(string instance, ProgramSpec spec)
    {
        AwaitTransition(instance, ProcessState.Starting);
        Clock.Advance(spec.StartTime);
        AwaitTransition(instance, ProcessState.Running);
        return Spawner.LastOf(instance);
    }

    protected InstanceStatus StatusOf(IActorRef instance)
    {
        instance.Tell(new InstanceProtocol.GetStatus(TestActor));
        return ExpectMsg<InstanceStatus>(cancellationToken: Ct);
    }

    protected InstanceOutcome ExpectOutcome(string instance, bool ok)
    {
        var outcome = ExpectMsg<InstanceOutcome>(cancellationToken: Ct);
        Assert.True(outcome.Name == instance && outcome.Ok == ok, $"unexpected outcome {outcome}");
        return outcome;
    }
}
