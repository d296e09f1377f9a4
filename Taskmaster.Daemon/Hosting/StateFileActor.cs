using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Taskmaster.Actors;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Processes.Families;
using Taskmaster.Core.Supervision;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// Keeps the state file up to date from the event stream: every instance with a process (name, pid, its start time
/// from <c>/proc</c>, its cgroup) and the instances an operator stopped. A change is written 20 ms later (write +
/// rename, no fsync), or, when the last write is less than <see cref="Delay"/> old, once it is: a transition never
/// waits for the disk, and a restart storm costs one small write per interval. A write that fails (disk full, read-only) is logged once, and
/// again when writing works again; the daemon carries on either way.
/// </summary>
public sealed class StateFileActor : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    /// <summary>Write now; replies <see cref="Flushed"/>.</summary>
    public sealed record Flush
    {
        public static readonly Flush Instance = new();
    }

    public sealed record Flushed
    {
        public static readonly Flushed Instance = new();
    }

    private sealed record WriteDue
    {
        public static readonly WriteDue Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _path, _socket;
    private readonly CgroupTree? _cgroups;
    private readonly Dictionary<string, RunningRecord> _running = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _held;
    private TaskmasterConfig _config;
    private string? _failing;

    public ITimerScheduler Timers { get; set; } = null!;

    public StateFileActor(string path, string socket, TaskmasterConfig config, IEnumerable<string> heldStopped, CgroupTree? cgroups)
    {
        _path = path;
        _socket = socket;
        _config = config;
        _cgroups = cgroups;
        _held = new SortedSet<string>(heldStopped.Where(config.HasInstance), StringComparer.Ordinal);

        Receive<InstanceTransition>(OnTransition);
        Receive<SupervisorProtocol.OperatorIntent>(m =>
        {
            foreach (var name in m.Instances)
                if (m.Stopped) _held.Add(name);
                else _held.Remove(name);
            Due();
        });
        Receive<SupervisorProtocol.ConfigApplied>(m =>
        {
            _config = m.Config;
            _held.RemoveWhere(n => !_config.HasInstance(n));
            Due();
        });
        Receive<WriteDue>(_ => Write());
        Receive<Flush>(_ =>
        {
            Timers.Cancel(WriteDue.Instance);
            Write();
            Sender.Tell(Flushed.Instance);
        });
    }

    public static Props Props(string path, string socket, TaskmasterConfig config, IEnumerable<string> heldStopped, CgroupTree? cgroups) =>
        Akka.Actor.Props.Create(() => new StateFileActor(path, socket, config, heldStopped, cgroups));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(InstanceTransition));
        Context.System.EventStream.Subscribe(Self, typeof(SupervisorProtocol.OperatorIntent));
        Context.System.EventStream.Subscribe(Self, typeof(SupervisorProtocol.ConfigApplied));
        Write(); // the previous daemon's file describes processes that are gone now
    }

    private void OnTransition(InstanceTransition t)
    {
        var hasProcess = t.To is ProcessState.Starting or ProcessState.Running or ProcessState.Stopping;
        if (hasProcess && t.Pid is { } pid)
        {
            if (_running.TryGetValue(t.Name, out var known) && known.Pid == pid) return;
            // A renamed instance (numprocs changed) keeps its process: one record per pid.
            foreach (var stale in _running.Where(kv => kv.Value.Pid == pid).Select(kv => kv.Key).ToList()) _running.Remove(stale);
            if (ProcTable.Read(pid) is not { } entry) return; // gone already; its exit follows
            var spec = _config.Programs.GetValueOrDefault(t.Program);
            var cgroup = _cgroups is not null && ProcTable.CgroupOf(pid) is { } rel ? _cgroups.Absolute(rel) : null;
            _running[t.Name] = new RunningRecord(t.Name, pid, entry.StartTicks, cgroup,
                spec?.StopSignal ?? Signals.SIGTERM, spec?.StopTime ?? TimeSpan.FromSeconds(10));
            Due();
        }
        else if (!hasProcess && _running.Remove(t.Name))
        {
            Due();
        }
    }

    /// <summary>Written <see cref="Settle"/> after a change when the last write is older than <see cref="Delay"/> (a
    /// spawn is on disk moments after it happened, and the transitions of one restart share a write that does not
    /// compete with the new process for the CPU), else once <see cref="Delay"/> has passed since the last write.</summary>
    private void Due()
    {
        if (Timers.IsTimerActive(WriteDue.Instance)) return;
        var wait = Delay - TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastWrite);
        Timers.StartSingleTimer(WriteDue.Instance, WriteDue.Instance, wait > Settle ? wait : Settle);
    }

    /// <summary>How long a change waits at least before it is written.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(20);

    private long _lastWrite = long.MinValue / 2;

    private void Write()
    {
        _lastWrite = Environment.TickCount64;
        var snapshot = new StateSnapshot(_socket, Environment.ProcessId, [.. _running.Values.OrderBy(r => r.Name, StringComparer.Ordinal)],
            _held.ToImmutableSortedSet(StringComparer.Ordinal));
        try
        {
            SafeFile.ReplaceAtomically(_path, snapshot.Serialize());
            if (_failing is not null) _log.Info("state file {Path}: written again", _path);
            _failing = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (_failing != e.Message)
                _log.Warning("cannot write the state file {Path}: {Reason}; the daemon carries on, but if it crashed now, " +
                    "the next one could not find what this one runs", _path, e.Message);
            _failing = e.Message;
        }
    }
}
