using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Taskmaster.Actors.Collecting;
using Taskmaster.Actors.Instances;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.Programs.ProgramProtocol;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Actors.Programs;

/// <summary>
/// One program: owns its <c>numprocs</c> ProcessInstanceActors (one slot per instance number), forwards commands
/// to them, applies reloads (live policy, restart, numprocs up or down at the end) and supervises them with
/// <see cref="InstanceSupervision"/>.
/// </summary>
public sealed class ProgramActor : ReceiveActor, IWithTimers
{
    private sealed record Recreate(int Index);

    /// <summary>One instance number; <c>Actor</c> is null while a failed instance actor waits to be recreated.</summary>
    private sealed class Slot(IActorRef? actor)
    {
        public IActorRef? Actor { get; set; } = actor;
        public int Failures { get; set; }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IProcessSpawner _spawner;
    private readonly List<Slot> _slots = [];
    private ProgramSpec _spec;
    private int _generation;
    private bool _stoppingAll;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="heldStopped">Instances an operator stopped before the daemon restarted: created stopped, saying
    /// so, whatever <c>autostart</c> says.</param>
    public ProgramActor(ProgramSpec spec, IProcessSpawner spawner, bool autoStart, IReadOnlySet<string>? heldStopped = null)
    {
        _spec = spec;
        _spawner = spawner;
        for (var i = 0; i < spec.NumProcs; i++)
        {
            var held = heldStopped?.Contains(spec.InstanceName(i)) == true;
            _slots.Add(new Slot(CreateInstance(i, autoStart && spec.AutoStart && !held,
                held ? "stopped by the operator (kept stopped across the daemon's restart)" : null)));
        }
        Active();
    }

    public static Props Props(ProgramSpec spec, IProcessSpawner spawner, bool autoStart, IReadOnlySet<string>? heldStopped = null) =>
        Akka.Actor.Props.Create(() => new ProgramActor(spec, spawner, autoStart, heldStopped));

    /// <summary>The program's restart policy (the current one: a reload changes it live) decides what follows a failure.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => InstanceSupervision.Strategy(_ => RestartPolicy.Of(_spec));

    private void Active()
    {
        Receive<Command>(Dispatch);
        Receive<Apply>(OnApply);
        Receive<Launch>(OnLaunch);
        Receive<StopAll>(m =>
        {
            // Shutdown: an instance actor that failed stays down; nothing may start a process from now on.
            _stoppingAll = true;
            for (var i = 0; i < _slots.Count; i++) Timers.Cancel(RecreateKey(i));
            ToEveryInstance(m.ReplyTo, collector => new InstanceProtocol.Stop(collector));
        });
        Receive<Remove>(OnRemove);
        Receive<InstanceHealthy>(m =>
        {
            if (m.Index < _slots.Count && Sender.Equals(_slots[m.Index].Actor)) _slots[m.Index].Failures = 0;
        });
        Receive<SupervisorProtocol.ReopenLogs>(_ => Live().ForEach(a => a.Tell(InstanceProtocol.ReopenLogs.Instance)));
        Receive<Terminated>(OnTerminated);
        Receive<Recreate>(m =>
        {
            if (m.Index < _slots.Count && _slots[m.Index].Actor is null)
                _slots[m.Index].Actor = CreateInstance(m.Index, _spec.AutoStart);
        });
    }

    private void Removing(IActorRef replyTo)
    {
        Receive<Applied>(m =>
        {
            replyTo.Tell(m);
            Context.Stop(Self);
        });
        Receive<Command>(m =>
        {
            foreach (var i in m.Indices) ReplyMissing(m, i, "program is being removed");
        });
        Receive<Terminated>(_ => { });
    }

    private void Dispatch(Command command)
    {
        foreach (var index in command.Indices)
        {
            if (index >= _slots.Count)
            {
                ReplyMissing(command, index, "no such instance");
                continue;
            }
            var slot = _slots[index];
            if (command.Kind is CommandKind.Start or CommandKind.Restart)
            {
                slot.Failures = 0;
                if (slot.Actor is null)
                {
                    Timers.Cancel(RecreateKey(index));
                    slot.Actor = CreateInstance(index, autoStart: false);
                }
            }
            if (slot.Actor is not { } actor)
            {
                ReplyMissing(command, index, "its supervisor failed; start it again");
                continue;
            }
            actor.Tell(command.Kind switch
            {
                CommandKind.Start => new InstanceProtocol.Start(command.ReplyTo),
                CommandKind.Stop => new InstanceProtocol.Stop(command.ReplyTo),
                CommandKind.Restart => new InstanceProtocol.Restart(command.ReplyTo),
                CommandKind.Signal => new InstanceProtocol.Signal(command.Signal, command.ReplyTo),
                _ => new InstanceProtocol.GetStatus(command.ReplyTo),
            });
        }
    }

    /// <summary>Answer for an instance that has no actor, so that the waiting collector still gets its count.</summary>
    private void ReplyMissing(Command command, int index, string why)
    {
        var name = _spec.InstanceName(index);
        if (command.Kind == CommandKind.Status)
            command.ReplyTo.Tell(new InstanceStatus(name, _spec.Name, ProcessState.Fatal, null,
                Context.System.Scheduler.Now, why));
        else
            command.ReplyTo.Tell(new InstanceOutcome(name, false, why));
    }

    private void OnApply(Apply apply)
    {
        var spec = apply.Spec;
        var oldCount = _slots.Count;
        var newCount = spec.NumProcs;
        _spec = spec;
        var sends = new List<(IActorRef Target, Func<IActorRef, object> Message)>();

        for (var i = 0; i < Math.Min(oldCount, newCount); i++)
            if (_slots[i].Actor is { } actor)
                sends.Add((actor, c => new InstanceProtocol.Reconfigure(spec, apply.Restart, c)));

        for (var i = oldCount - 1; i >= newCount; i--)
        {
            Timers.Cancel(RecreateKey(i));
            if (_slots[i].Actor is { } actor)
            {
                Context.Unwatch(actor);
                sends.Add((actor, c => new InstanceProtocol.Retire(c)));
            }
            _slots.RemoveAt(i);
        }

        for (var i = oldCount; i < newCount; i++)
        {
            var actor = CreateInstance(i, autoStart: false);
            _slots.Add(new Slot(actor));
            if (spec.AutoStart) sends.Add((actor, c => new InstanceProtocol.Start(c)));
        }

        if (oldCount != newCount)
            _log.Info("{Program}: numprocs {From} -> {To}", spec.Name, oldCount, newCount);
        SendCollected(sends, apply.ReplyTo);
    }

    private void OnLaunch(Launch launch)
    {
        var sends = _spec.AutoStart
            ? Live().Select(a => (a, (Func<IActorRef, object>)(c => new InstanceProtocol.Start(c)))).ToList()
            : [];
        SendCollected(sends, launch.ReplyTo);
    }

    private void OnRemove(Remove remove)
    {
        for (var i = 0; i < _slots.Count; i++) Timers.Cancel(RecreateKey(i));
        var live = Live();
        foreach (var actor in live) Context.Unwatch(actor);
        _slots.Clear();
        SendCollected(live.Select(a => (a, (Func<IActorRef, object>)(c => new InstanceProtocol.Retire(c)))).ToList(), Self);
        Become(() => Removing(remove.ReplyTo));
    }

    private void ToEveryInstance(IActorRef replyTo, Func<IActorRef, object> message) =>
        SendCollected(Live().Select(a => (a, message)).ToList(), replyTo);

    /// <summary>Send each message with one collector as its ReplyTo; the collector answers <see cref="Applied"/>.</summary>
    private void SendCollected(List<(IActorRef Target, Func<IActorRef, object> Message)> sends, IActorRef replyTo)
    {
        var program = _spec.Name;
        var collector = Context.ActorOf(ReplyCollector<InstanceOutcome>.Props(sends.Count, replyTo,
            (outcomes, _) => new Applied(program, outcomes), InstanceSupervision.OutcomeTimeout([_spec])));
        foreach (var (target, message) in sends) target.Tell(message(collector));
    }

    private void OnTerminated(Terminated terminated)
    {
        var index = _slots.FindIndex(s => s.Actor is { } a && a.Equals(terminated.ActorRef));
        if (index < 0) return;
        var slot = _slots[index];
        slot.Actor = null;
        slot.Failures++;
        if (_stoppingAll) return;
        if (!InstanceSupervision.ShouldRecreate(_spec, slot.Failures))
        {
            _log.Error("{Instance}: its actor failed {Failures} times in a row; left stopped until a user starts it",
                _spec.InstanceName(index), slot.Failures);
            return;
        }
        var delay = InstanceSupervision.RecreateDelay(_spec, slot.Failures);
        _log.Warning("{Instance}: its actor failed; recreating it in {Delay} s", _spec.InstanceName(index), delay.TotalSeconds);
        Timers.StartSingleTimer(RecreateKey(index), new Recreate(index), delay);
    }

    private static string RecreateKey(int index) => $"recreate-{index}";

    private List<IActorRef> Live() => [.. _slots.Where(s => s.Actor is not null).Select(s => s.Actor!)];

    private IActorRef CreateInstance(int index, bool autoStart, string? initialReason = null)
    {
        var actor = Context.ActorOf(ProcessInstanceActor.Props(_spec, index, _spawner, autoStart, initialReason),
            $"instance-{index}-{++_generation}");
        Context.Watch(actor);
        return actor;
    }
}
