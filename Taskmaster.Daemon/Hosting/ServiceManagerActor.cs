using Akka.Actor;
using Taskmaster.Actors;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// Keeps systemd told (<see cref="SystemdNotify"/>): <c>READY=1</c> with a <c>STATUS=</c> of instance counts when
/// it starts (the socket answers, autostart is under way), <c>RELOADING=1</c> … <c>READY=1</c> around each reload,
/// a fresh <c>STATUS=</c> at most every <see cref="StatusEvery"/> while instances change state, and, when systemd
/// asked for a watchdog, <c>WATCHDOG=1</c> at half its interval, but only after the ConfigActor has answered an
/// <see cref="Identify"/>: a wedged supervision tree stops the pings and systemd restarts the daemon.
/// </summary>
public sealed class ServiceManagerActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan StatusEvery = TimeSpan.FromSeconds(2);

    private sealed record StatusTick
    {
        public static readonly StatusTick Instance = new();
    }

    private sealed record WatchdogTick
    {
        public static readonly WatchdogTick Instance = new();
    }

    private readonly SystemdNotify _notify;
    private readonly IActorRef _root;
    private readonly Dictionary<string, ProcessState> _states = new(StringComparer.Ordinal);
    private bool _dirty;
    private long _probe;

    public ITimerScheduler Timers { get; set; } = null!;

    public ServiceManagerActor(SystemdNotify notify, IActorRef root)
    {
        _notify = notify;
        _root = root;
        Receive<InstanceTransition>(t =>
        {
            _states[t.Name] = t.To;
            _dirty = true;
        });
        Receive<SupervisorProtocol.ReloadStarted>(_ => _notify.Send("RELOADING=1", SystemdNotify.MonotonicNow(), "STATUS=reloading the config"));
        Receive<SupervisorProtocol.ReloadFinished>(_ => _notify.Send("READY=1", Status()));
        Receive<StatusTick>(_ =>
        {
            if (!_dirty) return;
            _dirty = false;
            _notify.Send(Status());
        });
        Receive<WatchdogTick>(_ => _root.Tell(new Identify(++_probe)));
        Receive<ActorIdentity>(id =>
        {
            if (id.MessageId is long n && n == _probe && id.Subject is not null) _notify.Send("WATCHDOG=1");
        });
    }

    public static Props Props(SystemdNotify notify, IActorRef root) =>
        Akka.Actor.Props.Create(() => new ServiceManagerActor(notify, root));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(InstanceTransition));
        Context.System.EventStream.Subscribe(Self, typeof(SupervisorProtocol.ReloadStarted));
        Context.System.EventStream.Subscribe(Self, typeof(SupervisorProtocol.ReloadFinished));
        _notify.Send("READY=1", "STATUS=started", $"MAINPID={Environment.ProcessId}");
        Timers.StartPeriodicTimer("status", StatusTick.Instance, StatusEvery);
        if (_notify.Watchdog is { } interval)
        {
            _root.Tell(new Identify(++_probe));
            Timers.StartPeriodicTimer("watchdog", WatchdogTick.Instance, interval / 2);
        }
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary><c>STATUS=3 running, 1 fatal</c>: the instances seen changing state, by their last state.</summary>
    private string Status()
    {
        var counts = _states.Values.Where(s => s != ProcessState.Stopped).GroupBy(s => s)
            .OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.Display().ToLowerInvariant()}").ToList();
        return "STATUS=" + (counts.Count == 0 ? "no instance running" : string.Join(", ", counts));
    }
}
