using Akka.Actor;
using Taskmaster.Actors.Instances;
using Taskmaster.Actors.Programs;
using Taskmaster.Core.Config;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// The supervisor's strategy is the one place that decides: an instance under a parent whose strategy judges by
/// another policy than the instance's own follows the parent. Process failures restart the actor (a new incarnation
/// carrying the status and the waiting commands); a crash of the actor itself stops it.
/// </summary>
public sealed class StrategyScenarioTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    private sealed class Parent : ReceiveActor
    {
        private readonly RestartPolicy _policy;

        public Parent(Props child, RestartPolicy policy)
        {
            _policy = policy;
            var instance = Context.ActorOf(child, "instance");
            ReceiveAny(m => instance.Forward(m));
        }

        protected override SupervisorStrategy SupervisorStrategy() => InstanceSupervision.Strategy(_ => _policy);
    }

    private IActorRef UnderParent(ProgramSpec own, ProgramSpec judgedBy) =>
        Sys.ActorOf(Props.Create(() => new Parent(ProcessInstanceActor.Props(own, 0, Spawner, true, null), RestartPolicy.Of(judgedBy))));

    [Fact]
    public void The_parents_policy_decides_not_the_instances_own()
    {
        var own = Spec("web") with { StartTime = TimeSpan.Zero, AutoRestart = AutoRestart.Always };
        UnderParent(own, own with { AutoRestart = AutoRestart.Never });
        ExpectTransition("web", ProcessState.Starting);
        ExpectTransition("web", ProcessState.Running);
        Spawner.LastOf("web").Exit(1);
        ExpectTransition("web", ProcessState.Exited);
        ExpectNoTransition();
        Assert.Equal(1, Spawner.SpawnCount("web"));
    }

    [Fact]
    public void A_restarted_incarnation_keeps_the_status_and_answers_the_waiting_start()
    {
        var spec = Spec("web") with { StartTime = TimeSpan.FromSeconds(1), StartRetries = 0 };
        var parent = UnderParent(spec, spec);
        ExpectTransition("web", ProcessState.Starting);
        parent.Tell(new InstanceProtocol.Start(TestActor), TestActor); // waits for RUNNING
        // Same mailbox, in order: once the status is answered, the start is waiting.
        parent.Tell(new InstanceProtocol.GetStatus(TestActor), TestActor);
        Assert.Equal(ProcessState.Starting, ExpectMsg<InstanceStatus>(cancellationToken: Ct).State);
        Spawner.LastOf("web").Exit(3);
        ExpectTransition("web", ProcessState.Backoff);
        var fatal = ExpectTransition("web", ProcessState.Fatal);
        Assert.Contains("exit status 3", fatal.Reason);
        var outcome = ExpectOutcome("web", ok: false);
        Assert.Contains("attempt 1 of 1", outcome.Message);
        parent.Tell(new InstanceProtocol.GetStatus(TestActor), TestActor);
        var status = ExpectMsg<InstanceStatus>(cancellationToken: Ct);
        Assert.Equal((ProcessState.Fatal, 3), (status.State, status.ExitCode));
    }
}
