using System.Collections.Immutable;
using Akka.TestKit;
using Taskmaster.Core.Config;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Control;

/// <summary>Answers SupervisorProtocol requests from a fixed list of instances, standing in for the ConfigActor.</summary>
public sealed class CannedSupervisor
{
    public List<object> Received { get; } = [];

    public ImmutableArray<InstanceStatus> Instances { get; set; } =
    [
        new("db", "db", ProcessState.Running, 4001, DateTimeOffset.UtcNow.AddSeconds(-65), "pid 4001"),
        new("web:0", "web", ProcessState.Running, 4002, DateTimeOffset.UtcNow.AddSeconds(-5), "pid 4002"),
        new("web:1", "web", ProcessState.Fatal, null, DateTimeOffset.UtcNow, "spawn error: no such file"),
    ];

    public void Install(TestProbe probe) =>
        probe.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            lock (Received) Received.Add(message);
            sender.Tell(Answer(message), Akka.Actor.ActorRefs.NoSender);
            return AutoPilot.KeepRunning;
        }));

    private object Answer(object message)
    {
        var instances = Instances;
        ImmutableArray<string> Unknown(ImmutableArray<string> targets) =>
            [.. targets.Where(t => instances.All(i => i.Name != t && i.Program != t))];
        ImmutableArray<InstanceStatus> Matching(ImmutableArray<string> targets) =>
            targets.IsEmpty ? instances : [.. instances.Where(i => targets.Contains(i.Name) || targets.Contains(i.Program))];
        return message switch
        {
            GetStatus g when !Unknown(g.Targets).IsEmpty => new UnknownTargets(Unknown(g.Targets)),
            GetStatus g => new StatusReply(Matching(g.Targets)),
            StartTargets s when !Unknown(s.Targets).IsEmpty => new UnknownTargets(Unknown(s.Targets)),
            StartTargets s => new CommandReply([.. Matching(s.Targets).Select(i =>
                i.State == ProcessState.Fatal ? new InstanceOutcome(i.Name, false, "spawn error: no such file") : new InstanceOutcome(i.Name, true, "started"))]),
            StopTargets s => new CommandReply([.. Matching(s.Targets).Select(i => new InstanceOutcome(i.Name, true, "stopped"))]),
            SignalTargets s => new CommandReply([.. Matching(s.Targets).Select(i => new InstanceOutcome(i.Name, true, $"signalled {s.Signal}"))]),
            Reload r => new ReloadReply(new ConfigDiff(["cache"], ["old"], ["web"], [], [new ScaleChange("db", 1, 2)], ["misc"]), [], !r.DryRun),
            _ => new Akka.Actor.Status.Failure(new InvalidOperationException("unexpected")),
        };
    }
}
