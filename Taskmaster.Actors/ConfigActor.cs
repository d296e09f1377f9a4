using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Taskmaster.Actors.Collecting;
using Taskmaster.Actors.Programs;
using Taskmaster.Actors.Targets;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Actors;

/// <summary>
/// The root of the supervision tree: holds the current validated config, one ProgramActor per program, and answers
/// <see cref="SupervisorProtocol"/>. Commands are resolved to instances here (<see cref="TargetResolver"/>) and
/// their outcomes gathered by a <see cref="ReplyCollector{T}"/>: Tell inside, one reply to the asker. A reload is
/// the pure <see cref="ConfigDiff"/> applied program by program; an invalid config changes nothing.
/// </summary>
public sealed class ConfigActor : ReceiveActor, IWithTimers
{
    private sealed record ConfigRead(ConfigLoadResult Result, bool DryRun, IActorRef ReplyTo);

    private sealed record RecreateProgram(string Name);

    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(5);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Func<ConfigLoadResult> _reread;
    private readonly IProcessSpawner _spawner;
    private readonly Dictionary<string, IActorRef> _programs = new(StringComparer.Ordinal);
    private TaskmasterConfig _config;
    private bool _shuttingDown;
    private readonly Queue<(bool DryRun, IActorRef ReplyTo)> _waitingReloads = new();
    private bool _reading;

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly IReadOnlySet<string> _heldAtStart;

    /// <param name="heldStopped">Instances an operator stopped before the daemon restarted (from the state file):
    /// they are not autostarted.</param>
    public ConfigActor(TaskmasterConfig config, Func<ConfigLoadResult> reread, IProcessSpawner spawner,
        IReadOnlySet<string>? heldStopped = null)
    {
        _config = config;
        _reread = reread;
        _spawner = spawner;
        _heldAtStart = heldStopped ?? new HashSet<string>();

        Receive<GetStatus>(OnGetStatus);
        Receive<StartTargets>(m => RunCommand(ProgramProtocol.CommandKind.Start, m.Targets));
        Receive<StopTargets>(m => RunCommand(ProgramProtocol.CommandKind.Stop, m.Targets));
        Receive<RestartTargets>(m => RunCommand(ProgramProtocol.CommandKind.Restart, m.Targets));
        // Not shutdown, not a reload: only these say what an operator wants running (kept across daemon restarts).
        Receive<SignalTargets>(m => RunCommand(ProgramProtocol.CommandKind.Signal, m.Targets, m.Signal));
        Receive<Reload>(OnReload);
        Receive<ConfigRead>(OnConfigRead);
        Receive<Shutdown>(_ => OnShutdown());
        Receive<SupervisorProtocol.ReopenLogs>(m =>
        {
            _log.Info("reopening the output files of every instance");
            foreach (var program in _programs.Values) program.Tell(m);
        });
        Receive<Terminated>(OnTerminated);
        Receive<RecreateProgram>(m =>
        {
            if (!_shuttingDown && _config.Programs.TryGetValue(m.Name, out var spec) && !_programs.ContainsKey(m.Name))
                _programs[m.Name] = CreateProgram(spec, autoStart: true);
        });
    }

    public static Props Props(TaskmasterConfig config, Func<ConfigLoadResult> reread, IProcessSpawner spawner,
        IReadOnlySet<string>? heldStopped = null) =>
        Akka.Actor.Props.Create(() => new ConfigActor(config, reread, spawner, heldStopped));

    /// <summary>A failing ProgramActor is stopped (its instances kill their processes) and recreated from the current
    /// config after a second: an in-place Akka restart would come back with the spec it was first created with.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        _log.Info("supervising {Programs} programs ({Instances} instances)", _config.Programs.Count, _config.InstanceCount);
        var held = _config.Programs.Values.SelectMany(p => Enumerable.Range(0, p.NumProcs).Select(p.InstanceName))
            .Where(_heldAtStart.Contains).ToList();
        if (held.Count > 0)
            _log.Info("kept stopped, as an operator left them before the daemon restarted: {Instances}", string.Join(", ", held));
        foreach (var spec in _config.Programs.Values) _programs[spec.Name] = CreateProgram(spec, autoStart: true, _heldAtStart);
    }

    // ---------------------------------------------------------------- status and commands

    private void OnGetStatus(GetStatus request)
    {
        var resolution = TargetResolver.Resolve(_config, request.Targets);
        if (!resolution.Ok)
        {
            Sender.Tell(new UnknownTargets(resolution.Unknown));
            return;
        }
        var order = OrderOf(resolution.Targets);
        var collector = Context.ActorOf(ReplyCollector<InstanceStatus>.Props(resolution.Targets.Length, Sender,
            (statuses, _) => new StatusReply([.. statuses.OrderBy(s => order.GetValueOrDefault(s.Name, int.MaxValue))
                .ThenBy(s => s.Name, StringComparer.Ordinal)]),
            StatusTimeout));
        Send(ProgramProtocol.CommandKind.Status, resolution.Targets, collector);
    }

    private void RunCommand(ProgramProtocol.CommandKind kind, ImmutableArray<string> targets, int signal = 0)
    {
        var resolution = TargetResolver.Resolve(_config, targets);
        if (!resolution.Ok)
        {
            Sender.Tell(new UnknownTargets(resolution.Unknown));
            return;
        }
        if (_shuttingDown && kind is ProgramProtocol.CommandKind.Start or ProgramProtocol.CommandKind.Restart)
        {
            Sender.Tell(new CommandReply([.. resolution.Targets.Select(t => new InstanceOutcome(t.Name, false, "shutting down"))]));
            return;
        }
        var names = resolution.Targets.Select(t => t.Name).ToImmutableArray();
        if (kind is ProgramProtocol.CommandKind.Stop or ProgramProtocol.CommandKind.Start or ProgramProtocol.CommandKind.Restart)
            Context.System.EventStream.Publish(new OperatorIntent(names, Stopped: kind == ProgramProtocol.CommandKind.Stop));
        var order = OrderOf(resolution.Targets);
        var collector = Context.ActorOf(ReplyCollector<InstanceOutcome>.Props(resolution.Targets.Length, Sender,
            (outcomes, timedOut) => new CommandReply(Complete(outcomes, names, order, timedOut)),
            InstanceSupervision.OutcomeTimeout(resolution.Targets.Select(t => _config.Programs[t.Program]).Distinct())));
        Send(kind, resolution.Targets, collector, signal);
    }

    private static ImmutableArray<InstanceOutcome> Complete(ImmutableArray<InstanceOutcome> outcomes,
        ImmutableArray<string> names, Dictionary<string, int> order, bool timedOut)
    {
        var all = outcomes.ToList();
        if (timedOut)
        {
            var answered = outcomes.Select(o => o.Name).ToHashSet();
            all.AddRange(names.Where(n => !answered.Contains(n)).Select(n => new InstanceOutcome(n, false, "timed out waiting for the outcome")));
        }
        return [.. all.OrderBy(o => order.GetValueOrDefault(o.Name, int.MaxValue)).ThenBy(o => o.Name, StringComparer.Ordinal)];
    }

    private static Dictionary<string, int> OrderOf(ImmutableArray<ResolvedTarget> targets) =>
        targets.Select((t, i) => (t.Name, i)).ToDictionary(x => x.Name, x => x.i);

    private void Send(ProgramProtocol.CommandKind kind, ImmutableArray<ResolvedTarget> targets, IActorRef collector, int signal = 0)
    {
        foreach (var group in targets.GroupBy(t => t.Program))
        {
            var indices = group.Select(t => t.Index).ToImmutableArray();
            if (_programs.TryGetValue(group.Key, out var program))
                program.Tell(new ProgramProtocol.Command(kind, indices, collector, signal));
            else
                ReplyForMissingProgram(kind, group, collector);
        }
    }

    private void ReplyForMissingProgram(ProgramProtocol.CommandKind kind, IEnumerable<ResolvedTarget> targets, IActorRef collector)
    {
        const string why = "its program supervisor is being recreated";
        foreach (var t in targets)
            collector.Tell(kind == ProgramProtocol.CommandKind.Status
                ? new InstanceStatus(t.Name, t.Program, ProcessState.Stopped, null, Context.System.Scheduler.Now, why)
                : new InstanceOutcome(t.Name, false, why));
    }

    // ---------------------------------------------------------------- reload

    private void OnReload(Reload reload)
    {
        var replyTo = Sender;
        if (_shuttingDown)
        {
            replyTo.Tell(new ReloadReply(null, [new ConfigError("", 0, 0, "", "the daemon is shutting down")], false));
            return;
        }
        if (!reload.DryRun) Context.System.EventStream.Publish(ReloadStarted.Instance);
        _waitingReloads.Enqueue((reload.DryRun, replyTo));
        if (!_reading) ReadNext();
    }

    /// <summary>
    /// One reread at a time, in the order the reloads came: overlapping reads (a SIGHUP storm) would be applied in
    /// the order they happen to finish, so a slow read of an older file could land after the read of the newest
    /// one and leave the daemon on the older config.
    /// </summary>
    private void ReadNext()
    {
        if (!_waitingReloads.TryDequeue(out var next))
        {
            _reading = false;
            return;
        }
        _reading = true;
        var (dryRun, replyTo) = next;
        var reread = _reread;
        Task.Run(reread).PipeTo(Self,
            success: result => new ConfigRead(result, dryRun, replyTo),
            failure: e => new ConfigRead(ConfigLoadResult.Fail([new ConfigError("", 0, 0, "", e.Message)]), dryRun, replyTo));
    }

    private void OnConfigRead(ConfigRead read)
    {
        try
        {
            ApplyRead(read);
        }
        finally
        {
            ReadNext();
        }
    }

    private void ApplyRead(ConfigRead read)
    {
        if (read.Result is not { IsValid: true, Config: { } next })
        {
            _log.Warning("reload rejected, the running config is kept: {Errors}", string.Join("; ", read.Result.Errors));
            read.ReplyTo.Tell(new ReloadReply(null, read.Result.Errors, false));
            if (!read.DryRun) Context.System.EventStream.Publish(new ReloadFinished(false));
            return;
        }
        foreach (var warning in read.Result.Warnings) _log.Warning("config warning: {Warning}", warning.ToString());
        var plan = ConfigDiff.Compute(_config, next);
        _log.Info("reload plan{DryRun}: {Plan}", read.DryRun ? " (dry run)" : "", Describe(plan));
        if (read.DryRun || _shuttingDown)
        {
            read.ReplyTo.Tell(new ReloadReply(plan, [], false));
            if (!read.DryRun) Context.System.EventStream.Publish(new ReloadFinished(false));
            return;
        }
        if (next.Daemon != _config.Daemon)
            _log.Warning("the taskmasterd: section changed; its settings take effect when the daemon restarts");
        Apply(plan, next, read.ReplyTo);
    }

    /// <summary>The plan in one line, for the log: <c>added [a] removed [] restarted [web] ...</c>.</summary>
    public static string Describe(ConfigDiff plan) =>
        $"added [{string.Join(", ", plan.Added)}] removed [{string.Join(", ", plan.Removed)}] " +
        $"restarted [{string.Join(", ", plan.Restarted)}] changed [{string.Join(", ", plan.Changed)}] " +
        $"scaled [{string.Join(", ", plan.Scaled.Select(s => $"{s.Program} {s.From}->{s.To}"))}] " +
        $"unchanged [{string.Join(", ", plan.Unchanged)}]";

    private void Apply(ConfigDiff plan, TaskmasterConfig next, IActorRef replyTo)
    {
        var live = plan.Changed.Union(plan.Scaled.Select(s => s.Program)).Distinct().ToList();
        var expected = plan.Removed.Length + plan.Restarted.Length + live.Count + plan.Added.Length;
        var timeout = InstanceSupervision.OutcomeTimeout(_config.Programs.Values.Concat(next.Programs.Values));
        var events = Context.System.EventStream;
        var collector = Context.ActorOf(ReplyCollector<ProgramProtocol.Applied>.Props(expected, replyTo,
            (applied, timedOut) =>
            {
                events.Publish(new ReloadFinished(true));
                return new ReloadReply(plan, timedOut
                    ? [new ConfigError("", 0, 0, "", "applied, but some instances did not reach their state in time")]
                    : [], true)
                {
                    Outcomes = [.. applied.SelectMany(a => a.Outcomes).OrderBy(o => o.Name, StringComparer.Ordinal)],
                };
            },
            timeout));

        foreach (var name in plan.Removed)
        {
            if (!_programs.Remove(name, out var program)) continue;
            Context.Unwatch(program);
            program.Tell(new ProgramProtocol.Remove(collector));
        }
        foreach (var name in plan.Restarted) ToProgram(name, new ProgramProtocol.Apply(next.Programs[name], true, collector), collector);
        foreach (var name in live) ToProgram(name, new ProgramProtocol.Apply(next.Programs[name], false, collector), collector);
        foreach (var name in plan.Added)
        {
            var program = CreateProgram(next.Programs[name], autoStart: false);
            _programs[name] = program;
            program.Tell(new ProgramProtocol.Launch(collector));
        }
        _config = next;
        Context.System.EventStream.Publish(new ConfigApplied(next));
    }

    private void ToProgram(string name, object message, IActorRef collector)
    {
        if (_programs.TryGetValue(name, out var program)) program.Tell(message);
        else collector.Tell(new ProgramProtocol.Applied(name, [])); // being recreated: it will start from the new config
    }

    // ---------------------------------------------------------------- shutdown and failures

    private void OnShutdown()
    {
        _shuttingDown = true;
        _log.Info("shutting down: stopping {Programs} programs", _programs.Count);
        foreach (var name in _programs.Keys) Timers.Cancel(RecreateKey(name));
        var replyTo = Sender;
        var collector = Context.ActorOf(ReplyCollector<ProgramProtocol.Applied>.Props(_programs.Count, replyTo,
            (_, _) => ShutdownComplete.Instance, InstanceSupervision.OutcomeTimeout(_config.Programs.Values)));
        foreach (var program in _programs.Values) program.Tell(new ProgramProtocol.StopAll(collector));
    }

    private void OnTerminated(Terminated terminated)
    {
        var entry = _programs.FirstOrDefault(kv => kv.Value.Equals(terminated.ActorRef));
        if (entry.Key is null) return;
        _programs.Remove(entry.Key);
        _log.Error("program {Program}: its supervisor failed; recreating it in 1 s", entry.Key);
        if (!_shuttingDown) Timers.StartSingleTimer(RecreateKey(entry.Key), new RecreateProgram(entry.Key), TimeSpan.FromSeconds(1));
    }

    private static string RecreateKey(string program) => "recreate-" + program;

    private IActorRef CreateProgram(ProgramSpec spec, bool autoStart, IReadOnlySet<string>? heldStopped = null)
    {
        var actor = Context.ActorOf(ProgramActor.Props(spec, _spawner, autoStart, heldStopped), ActorName(spec.Name));
        Context.Watch(actor);
        return actor;
    }

    private int _generation;

    private string ActorName(string program) =>
        $"{Uri.EscapeDataString(program)}-{++_generation}";
}
