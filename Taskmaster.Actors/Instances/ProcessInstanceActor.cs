using Akka.Actor;
using Akka.Event;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Actors.Instances;

/// <summary>
/// One instance of a program and its OS process: the state machine of DESIGN §4, one <c>Become</c> per state.
/// <list type="bullet">
/// <item>STOPPED/EXITED/FATAL → STARTING on start (the retry count starts again at 1).</item>
/// <item>STARTING → RUNNING once alive for <c>starttime</c> (at once when it is 0).</item>
/// <item>STARTING → BACKOFF when it exits before <c>starttime</c> (whatever the code) or cannot be spawned;
///   BACKOFF → STARTING after <c>Backoff.DelayFor(attempt)</c> (1 s, 2 s, 4 s … capped at 30 s by default);
///   BACKOFF → FATAL when attempt <c>startretries + 1</c> failed, with the last reason.</item>
/// <item>RUNNING → EXITED when it exits on its own; → STARTING at once or after a throttle's BACKOFF when the
///   program's policy says so (<see cref="RestartDecider"/>, applied by the supervisor's strategy).
///   A start after RUNNING counts from 1 again: such restarts are not limited by <c>startretries</c>.</item>
/// <item>STARTING/RUNNING → STOPPING on stop (<c>stopsignal</c> to the group, SIGKILL to the group after
///   <c>stoptime</c>) → STOPPED once reaped. BACKOFF → STOPPED on stop.</item>
/// </list>
/// A state is entered by one call (<c>EnterRunning</c>, <c>EnterBackoff</c>, …): its behaviour, its timer and the
/// transition together. Every transition goes through <see cref="TransitionTo"/>: checked against
/// <see cref="Transitions.Legal"/>, logged, published on the event stream as an
/// <see cref="InstanceTransition"/>, and used to answer waiting commands. <see cref="PostStop"/> kills the
/// process group of a process still alive, so an actor stop or crash never leaves a process behind.
/// </summary>
public sealed class ProcessInstanceActor : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    private const string StartTimeKey = "starttime", StopTimeKey = "stoptime", BackoffKey = "backoff", StuckKey = "stuck";

    /// <summary>How long a process may outlive its SIGKILL before it is reported stuck (in the kernel, state D).</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMilliseconds(PosixChildProcess.StuckAfterMs);

    private sealed record ChildExited(IChildProcess Child, ExitStatus Status);

    private sealed record StartTimeElapsed
    {
        public static readonly StartTimeElapsed Instance = new();
    }

    private sealed record StopTimeElapsed
    {
        public static readonly StopTimeElapsed Instance = new();
    }

    private sealed record BackoffElapsed
    {
        public static readonly BackoffElapsed Instance = new();
    }

    private sealed record StuckCheck
    {
        public static readonly StuckCheck Instance = new();
    }

    /// <summary>To itself, when a spawn made right after a restart failed (the failure cannot be raised from
    /// PostRestart: it is raised from this message).</summary>
    private sealed record SpawnFailedAfterRestart(string Reason, int Attempt);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IProcessSpawner _spawner;
    private readonly int _index;
    private ProgramSpec _spec;
    private InstanceStatus _status;

    // Commands waiting for an outcome; answered by TransitionTo.
    private readonly List<IActorRef> _startWaiters = [];
    private readonly List<IActorRef> _stopWaiters = [];
    // Mirrors the retire a STOPPING state will answer; read only by PostStop (the state's parameter is the truth).
    private IActorRef? _pendingRetire;

    /// <summary>What STOPPING leads to once the process is gone: STOPPED and stay, start again, or answer the retire
    /// and stop the actor. A parameter of the state, changed by the commands that arrive while stopping.</summary>
    private readonly record struct AfterStop(bool StartAgain, IActorRef? RetireTo)
    {
        public static readonly AfterStop Stay = new(false, null);
        public static readonly AfterStop Start = new(true, null);
        public static AfterStop Retire(IActorRef replyTo) => new(false, replyTo);
    }

    // For the restart policy (RestartDecider): when the current process was spawned, and the recent restarts.
    private DateTimeOffset _spawnedAt;
    private RestartHistory _history = RestartHistory.Empty;

    // Mirrors "the current state has a process"; read only by PostStop so that no process outlives the actor.
    private IChildProcess? _alive;

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    private readonly bool _autoStart;

    /// <param name="initialReason">What <c>status</c> says before the first start (default <c>not started</c>).</param>
    public ProcessInstanceActor(ProgramSpec spec, int index, IProcessSpawner spawner, bool autoStart, string? initialReason = null)
    {
        _spec = spec;
        _index = index;
        _spawner = spawner;
        _status = new InstanceStatus(Name, spec.Name, ProcessState.Stopped, null, Context.System.Scheduler.Now,
            initialReason ?? "not started", StdoutPath: spec.Stdout.PathFor(index), StderrPath: spec.Stderr.PathFor(index));
        _autoStart = autoStart;
        Stopped();
    }

    protected override void PreStart()
    {
        if (_autoStart) Self.Tell(new InstanceProtocol.Start(ActorRefs.Nobody));
    }

    public static Props Props(ProgramSpec spec, int index, IProcessSpawner spawner, bool autoStart, string? initialReason = null) =>
        Akka.Actor.Props.Create(() => new ProcessInstanceActor(spec, index, spawner, autoStart, initialReason));

    private string Name => _spec.InstanceName(_index);

    // ---------------------------------------------------------------- states without a process

    private void Stopped() => Idle(fatal: false);

    private void Exited() => Idle(fatal: false);

    private void Fatal() => Idle(fatal: true);

    /// <summary>STOPPED, EXITED and FATAL answer alike (no process, no timer), except that a reload that changes
    /// the program gives a FATAL instance a new chance.</summary>
    private void Idle(bool fatal)
    {
        Receive<InstanceProtocol.Start>(m => Spawn(1, m.ReplyTo));
        Receive<InstanceProtocol.Restart>(m => Spawn(1, m.ReplyTo));
        Receive<InstanceProtocol.Stop>(m => Reply(m.ReplyTo, true, "not running"));
        Receive<InstanceProtocol.Retire>(m => Retired(m.ReplyTo));
        Receive<InstanceProtocol.Reconfigure>(m =>
        {
            // FATAL stays FATAL until a user acts or a reload changes the program (numprocs aside).
            var changed = m.RestartIfActive || m.Spec with { NumProcs = _spec.NumProcs } != _spec;
            TakeSpec(m.Spec);
            if (changed && fatal) Spawn(1, m.ReplyTo);
            else Reply(m.ReplyTo, true, "updated");
        });
        NoProcessCommon();
    }

    private void Backoff(int nextAttempt)
    {
        Receive<BackoffElapsed>(_ => Spawn(nextAttempt, null));
        Receive<InstanceProtocol.Start>(m => SpawnNow(m.ReplyTo));
        Receive<InstanceProtocol.Restart>(m => SpawnNow(m.ReplyTo));
        Receive<InstanceProtocol.Stop>(m =>
        {
            Timers.Cancel(BackoffKey);
            _stopWaiters.Add(m.ReplyTo);
            EnterStopped("stopped while in backoff");
        });
        Receive<InstanceProtocol.Retire>(m =>
        {
            Timers.Cancel(BackoffKey);
            EnterStopped("stopped while in backoff");
            Retired(m.ReplyTo);
        });
        Receive<InstanceProtocol.Reconfigure>(m =>
        {
            TakeSpec(m.Spec);
            if (m.RestartIfActive) SpawnNow(m.ReplyTo);
            else Reply(m.ReplyTo, true, "updated");
        });
        NoProcessCommon();
        return;

        void SpawnNow(IActorRef replyTo)
        {
            Timers.Cancel(BackoffKey);
            Spawn(1, replyTo);
        }
    }

    private void NoProcessCommon()
    {
        Receive<InstanceProtocol.Signal>(m => Reply(m.ReplyTo, false, "not running"));
        Receive<InstanceProtocol.GetStatus>(m => m.ReplyTo.Tell(_status));
        Receive<InstanceProtocol.ReopenLogs>(_ => { });
        Receive<ChildExited>(m => Reap(m.Child)); // a process we already gave up on; nothing to decide
    }

    // ---------------------------------------------------------------- states with a process

    private void Starting(IChildProcess child, int attempt)
    {
        Receive<StartTimeElapsed>(_ => EnterRunning(child, $"up for {_spec.StartTime.TotalSeconds:0.###} s"));
        Receive<InstanceProtocol.Start>(m => _startWaiters.Add(m.ReplyTo)); // answered once RUNNING
        Receive<ChildExited>(m => m.Child == child, m =>
        {
            Timers.Cancel(StartTimeKey);
            Reap(child);
            // STARTING means starttime has not elapsed: a failed start, however long the clock says it ran.
            var ran = Context.System.Scheduler.Now - _spawnedAt;
            if (ran >= _spec.StartTime) ran = _spec.StartTime - TimeSpan.FromTicks(1);
            Fail(new InstanceFailure.Exited(m.Status, ran), attempt, m.Status, child);
        });
        WithProcess(child);
    }

    private void Running(IChildProcess child)
    {
        Receive<InstanceProtocol.Start>(m => Reply(m.ReplyTo, true, "already started"));
        Receive<ChildExited>(m => m.Child == child, m =>
        {
            Reap(child);
            var ran = Context.System.Scheduler.Now - _spawnedAt;
            if (ran < _spec.StartTime) ran = _spec.StartTime;
            Fail(new InstanceFailure.Exited(m.Status, ran), 1, m.Status, child);
        });
        WithProcess(child);
    }

    /// <summary>Commands that STARTING and RUNNING answer alike (a start is answered by each of them).</summary>
    private void WithProcess(IChildProcess child)
    {
        Receive<InstanceProtocol.Restart>(m =>
        {
            _startWaiters.Add(m.ReplyTo);
            BeginStop(child, "restart requested", AfterStop.Start);
        });
        Receive<InstanceProtocol.Stop>(m =>
        {
            _stopWaiters.Add(m.ReplyTo);
            BeginStop(child, "stop requested", AfterStop.Stay);
        });
        Receive<InstanceProtocol.Retire>(m => BeginStop(child, "removed from the config", AfterStop.Retire(m.ReplyTo)));
        Receive<InstanceProtocol.Reconfigure>(m =>
        {
            TakeSpec(m.Spec);
            if (!m.RestartIfActive)
            {
                Reply(m.ReplyTo, true, "updated");
                return;
            }
            _startWaiters.Add(m.ReplyTo);
            BeginStop(child, "config changed", AfterStop.Start);
        });
        ProcessCommon(child);
    }

    private void Stopping(IChildProcess child, AfterStop after)
    {
        Receive<StopTimeElapsed>(_ =>
        {
            _log.Warning("{Instance} still alive {StopTime} s after {Signal}: sending SIGKILL to process group {Pid}",
                Name, _spec.StopTime.TotalSeconds, Signals.Name(_spec.StopSignal), child.Pid);
            child.SignalGroup(Signals.SIGKILL);
            Timers.StartSingleTimer(StuckKey, StuckCheck.Instance, StuckAfter);
        });
        Receive<StuckCheck>(_ =>
        {
            // SIGKILL cannot be ignored; a process that outlives it is waiting in the kernel. Say so, answer whoever
            // waits for the stop (a shutdown must not hang on it), and keep watching: its exit is still reaped.
            var state = child.KernelState ?? "exited, but its leftovers are still there";
            var reason = $"pid {child.Pid} is still there {StuckAfter.TotalSeconds:0} s after SIGKILL: {state}";
            _log.Error("{Instance} {Reason}", Name, reason);
            _status = _status with { Description = "stuck: " + reason };
            Answer(_stopWaiters, false, "could not be stopped: " + reason);
        });
        Receive<ChildExited>(m => m.Child == child, m =>
        {
            Timers.Cancel(StopTimeKey);
            Timers.Cancel(StuckKey);
            Reap(child);
            EnterStopped($"stopped: {m.Status} (pid {child.Pid}){LeftoversOf(child)}", m.Status, after.StartAgain);
            if (after.RetireTo is { } retire) Retired(retire);
            else if (after.StartAgain) Spawn(1, null);
        });
        // A start while stopping starts again afterwards (not when the instance is being removed); a stop cancels it.
        Receive<InstanceProtocol.Start>(m =>
        {
            _startWaiters.Add(m.ReplyTo);
            if (after.RetireTo is null) StopThen(child, AfterStop.Start);
        });
        Receive<InstanceProtocol.Restart>(m =>
        {
            _startWaiters.Add(m.ReplyTo);
            if (after.RetireTo is null) StopThen(child, AfterStop.Start);
        });
        Receive<InstanceProtocol.Stop>(m =>
        {
            _stopWaiters.Add(m.ReplyTo);
            StopThen(child, after with { StartAgain = false });
        });
        Receive<InstanceProtocol.Retire>(m => StopThen(child, AfterStop.Retire(m.ReplyTo)));
        Receive<InstanceProtocol.Reconfigure>(m =>
        {
            TakeSpec(m.Spec);
            if (after.StartAgain) _startWaiters.Add(m.ReplyTo);
            else Reply(m.ReplyTo, true, "updated");
        });
        ProcessCommon(child);
    }

    /// <summary>Stay in STOPPING with another follow-up (no transition: the state is the same).</summary>
    private void StopThen(IChildProcess child, AfterStop after)
    {
        _pendingRetire = after.RetireTo;
        Become(() => Stopping(child, after));
    }

    private void ProcessCommon(IChildProcess child)
    {
        Receive<InstanceProtocol.Signal>(m =>
        {
            var sent = child.SignalGroup(m.Number);
            Reply(m.ReplyTo, sent, sent ? $"sent {Signals.Name(m.Number)}" : "not running");
        });
        Receive<InstanceProtocol.GetStatus>(m =>
        {
            var status = child.IsSuspended ? _status with { Suspended = true } : _status;
            if (child.OutputProblem is { } problem) status = status with { Description = $"{status.Description}; output dropped: {problem}" };
            m.ReplyTo.Tell(status);
        });
        Receive<InstanceProtocol.ReopenLogs>(_ => child.ReopenLogs());
        Receive<ChildExited>(m => Reap(m.Child));
    }

    // ---------------------------------------------------------------- actions

    /// <param name="inPostRestart">Called from PostRestart, where a failure must not be thrown: it is sent to itself.</param>
    private void Spawn(int attempt, IActorRef? replyTo, bool inPostRestart = false)
    {
        if (replyTo is not null) _startWaiters.Add(replyTo);
        var request = SpawnRequests.For(_spec, _index);
        switch (_spawner.Spawn(request))
        {
            case SpawnResult.Started { Process: var child }:
                _alive = child;
                _spawnedAt = Context.System.Scheduler.Now;
                // Told from the exit watcher's thread: an exit is noticed even when the thread pool is saturated.
                var self = Self;
                child.OnExit(status => self.Tell(new ChildExited(child, status)));
                var what = attempt == 1 ? "spawned" : $"spawned (attempt {attempt} of {_spec.StartRetries + 1})";
                if (_spec.StartTime <= TimeSpan.Zero) EnterRunning(child, "started (starttime 0)", passingStarting: what);
                else EnterStarting(child, attempt, what);
                break;
            case SpawnResult.Failed failed:
                var why = failed.Message.StartsWith("spawn error", StringComparison.Ordinal) ? failed.Message : "spawn error: " + failed.Message;
                if (inPostRestart)
                {
                    Self.Tell(new SpawnFailedAfterRestart(why, attempt));
                    Become(PendingFailure);
                }
                else Fail(new InstanceFailure.SpawnFailed(why), attempt, null, null);
                break;
        }
    }

    /// <summary>
    /// The process failed (exited on its own, or could not be spawned): so does this actor. Its supervisor's strategy
    /// decides from the program's policy what follows and restarts it; <see cref="PostRestart"/> carries that out.
    /// </summary>
    private void Fail(InstanceFailure failure, int attempt, ExitStatus? exit, IChildProcess? child)
    {
        var carried = new CarriedState(_spec, _status, _history, [.. _startWaiters], [.. _stopWaiters], exit, child?.Pid,
            child is null ? "" : LeftoversOf(child));
        throw new InstanceFailedException(failure, attempt, Context.System.Scheduler.Now, carried);
    }

    /// <summary>A process failure hands everything to the next incarnation; nothing is killed (nothing runs) and no
    /// waiting command is answered yet. Any other failure is a crash: PostStop kills and answers as usual.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        if (reason is InstanceFailedException) return;
        base.PreRestart(reason, message);
    }

    /// <summary>The new incarnation after a process failure: what the old one knew, then the decision's state.</summary>
    protected override void PostRestart(Exception reason)
    {
        if (reason is not InstanceFailedException failed)
        {
            base.PostRestart(reason);
            return;
        }
        var carried = failed.Carried;
        _spec = carried.Spec;
        _status = carried.Status;
        _startWaiters.AddRange(carried.StartWaiters);
        _stopWaiters.AddRange(carried.StopWaiters);
        // Supervised by something other than a ProgramActor (or the instance guardian): the same decider, here.
        var decision = failed.Decision ?? RestartDecider.Decide(RestartPolicy.Of(_spec), failed.Failure, failed.Attempt,
            failed.History, failed.At, Random.Shared.NextDouble());
        _history = decision.History;
        Follow(decision, carried.Exit, carried.Pid, carried.Leftovers);
    }

    /// <summary>Carries out a verdict: the transitions it implies and the state that follows.</summary>
    /// <param name="pid">The process that exited (null for a spawn error).</param>
    /// <param name="leftovers">What the process layer stopped along with it, for the reason.</param>
    private void Follow(RestartDecision decision, ExitStatus? exit, int? pid, string leftovers)
    {
        var afterRunning = _status.State == ProcessState.Running;
        if (afterRunning)
        {
            // An exit after RUNNING is EXITED first, whatever follows (supervisord's contract); a throttled restart
            // then waits in BACKOFF, its reason the throttle.
            EnterExited($"{decision.Cause} (pid {pid}){leftovers}", exit);
            switch (decision.Verdict)
            {
                case Verdict.RestartNow:
                    Spawn(decision.NextAttempt, null, inPostRestart: true);
                    return;
                case Verdict.RestartLater:
                    EnterBackoff(decision, decision.Reason, null);
                    return;
                default:
                    return;
            }
        }
        if (decision.Verdict == Verdict.Fatal)
            EnterFatal($"gave up after {decision.NextAttempt} attempts: {decision.Cause}", passingBackoff: decision.Reason + leftovers, exit);
        else
            EnterBackoff(decision, decision.Reason + leftovers, exit);
    }

    /// <summary>A spawn failed in PostRestart: everything else waits until the failure is raised, then goes to the
    /// next incarnation.</summary>
    private void PendingFailure()
    {
        Receive<SpawnFailedAfterRestart>(m =>
        {
            Stash.UnstashAll();
            Fail(new InstanceFailure.SpawnFailed(m.Reason), m.Attempt, null, null);
        });
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>Enters STOPPING (what follows once the process is gone is <paramref name="after"/>) and sends the stop
    /// signal.</summary>
    private void BeginStop(IChildProcess child, string reason, AfterStop after)
    {
        EnterStopping(child, $"{reason}: sending {Signals.Name(_spec.StopSignal)}", after);
        // A stopped program leaves nothing behind: whatever of its group outlives the leader (a descendant that
        // ignores the stop signal) is SIGKILLed just before the leader is reaped.
        child.KillRestOfGroupOnExit();
        child.SignalGroup(_spec.StopSignal);
        // A group stopped by SIGSTOP would hold the stop signal pending until stoptime ran out: wake it so that it
        // can act on it (systemd does the same).
        if (_spec.StopSignal != Signals.SIGCONT && child.IsSuspended) child.SignalGroup(Signals.SIGCONT);
    }

    /// <summary>What the process layer stopped along with the leader, for the transition's reason.</summary>
    private static string LeftoversOf(IChildProcess child) => (child.LeftoversStopped, child.LeftoversStuck) switch
    {
        (0, _) => "",
        (var n, 0) => $"; stopped {n} leftover process{(n == 1 ? "" : "es")}",
        (var n, var stuck) => $"; stopped {n - stuck} of {n} leftover processes, {stuck} stuck in the kernel after SIGKILL",
    };

    private void Reap(IChildProcess child)
    {
        if (ReferenceEquals(_alive, child)) _alive = null;
        child.Dispose();
    }

    private void Retired(IActorRef replyTo)
    {
        Reply(replyTo, true, "removed");
        _pendingRetire = null;
        Context.Stop(Self);
    }

    private void TakeSpec(ProgramSpec spec)
    {
        var oldName = Name;
        _spec = spec;
        _status = _status with
        {
            Name = Name,
            StdoutPath = spec.Stdout.PathFor(_index),
            StderrPath = spec.Stderr.PathFor(_index),
        };
        if (oldName != Name) _log.Info("{Instance} is now named {NewName} (numprocs {NumProcs})", oldName, Name, spec.NumProcs);
    }

    // ---------------------------------------------------------------- entering a state
    // One call per state: the transition (status, log, event stream, waiting commands) and the state's behaviour,
    // together with the timer the state runs on. Nothing else calls TransitionTo or Become with a state's behaviour.

    private void EnterStopped(string reason, ExitStatus? exit = null, bool startsAgain = false)
    {
        TransitionTo(ProcessState.Stopped, reason, exit: exit, startsAgain: startsAgain);
        Become(Stopped);
    }

    private void EnterExited(string reason, ExitStatus? exit)
    {
        TransitionTo(ProcessState.Exited, reason, exit: exit);
        Become(Exited);
    }

    /// <summary>FATAL is reached from BACKOFF (the diagram's only arrow to it): the failed attempt is published as
    /// BACKOFF with <paramref name="passingBackoff"/>, then FATAL.</summary>
    private void EnterFatal(string reason, string passingBackoff, ExitStatus? exit)
    {
        TransitionTo(ProcessState.Backoff, passingBackoff, exit: exit);
        TransitionTo(ProcessState.Fatal, reason);
        Become(Fatal);
    }

    private void EnterBackoff(RestartDecision decision, string reason, ExitStatus? exit)
    {
        Timers.StartSingleTimer(BackoffKey, BackoffElapsed.Instance, decision.Delay);
        TransitionTo(ProcessState.Backoff, reason, exit: exit);
        var next = decision.NextAttempt;
        Become(() => Backoff(next));
    }

    private void EnterStarting(IChildProcess child, int attempt, string reason)
    {
        // The timer is armed before the transition is published: whoever sees STARTING can advance time.
        Timers.StartSingleTimer(StartTimeKey, StartTimeElapsed.Instance, _spec.StartTime);
        TransitionTo(ProcessState.Starting, reason, child.Pid);
        Become(() => Starting(child, attempt));
    }

    /// <param name="passingStarting">With starttime 0: STARTING is published with this reason on the way.</param>
    private void EnterRunning(IChildProcess child, string reason, string? passingStarting = null)
    {
        if (passingStarting is not null) TransitionTo(ProcessState.Starting, passingStarting, child.Pid);
        TransitionTo(ProcessState.Running, reason, child.Pid);
        Become(() => Running(child));
    }

    private void EnterStopping(IChildProcess child, string reason, AfterStop after)
    {
        Timers.Cancel(StartTimeKey);
        Timers.StartSingleTimer(StopTimeKey, StopTimeElapsed.Instance, _spec.StopTime);
        TransitionTo(ProcessState.Stopping, reason, child.Pid, startsAgain: after.StartAgain);
        StopThen(child, after);
    }

    /// <summary>The one place a state changes: status, log, event stream, and the commands waiting for it. Called
    /// only by the Enter methods above.</summary>
    /// <param name="startsAgain">For STOPPING/STOPPED: the instance starts again afterwards, so commands waiting for
    /// its start keep waiting.</param>
    private void TransitionTo(ProcessState next, string reason, int? pid = null, ExitStatus? exit = null, bool startsAgain = false)
    {
        var from = _status.State;
        if (!Transitions.IsLegal(from, next))
        {
            // The diagram is the contract: an arrow outside it is a bug. Loud in a debug build, logged in a release one.
            System.Diagnostics.Debug.Fail($"{Name}: illegal transition {from.Display()} -> {next.Display()}");
            _log.Error("{Instance}: illegal transition {From} -> {To} ({Reason})", Name, from.Display(), next.Display(), reason);
        }
        var now = Context.System.Scheduler.Now;
        _status = _status with
        {
            State = next,
            Pid = pid,
            Since = now,
            Description = reason,
            ExitCode = exit is { } e1 ? e1.Code : _status.ExitCode,
            ExitSignal = exit is { } e2 ? e2.Signal : _status.ExitSignal,
        };
        var transition = new InstanceTransition(Name, _spec.Name, from, next, reason, pid, exit?.Code, exit?.Signal, now);
        // Healthy again: the ProgramActor forgets the failures of this slot's earlier actors.
        if (next == ProcessState.Running) Context.Parent.Tell(new Programs.ProgramProtocol.InstanceHealthy(_index));
        if (next is ProcessState.Fatal or ProcessState.Backoff or ProcessState.Exited)
            _log.Warning("{Instance} {From} -> {To}: {Reason}", Name, from.Display(), next.Display(), reason);
        else if (pid is not null)
            _log.Info("{Instance} {From} -> {To} pid {Pid}: {Reason}", Name, from.Display(), next.Display(), pid, reason);
        else
            _log.Info("{Instance} {From} -> {To}: {Reason}", Name, from.Display(), next.Display(), reason);
        Context.System.EventStream.Publish(transition);
        AnswerWaiters(next, reason, startsAgain);
    }

    private void AnswerWaiters(ProcessState next, string reason, bool startsAgain)
    {
        switch (next)
        {
            case ProcessState.Running:
                Answer(_startWaiters, true, "started");
                break;
            case ProcessState.Backoff or ProcessState.Fatal:
                Answer(_startWaiters, false, reason);
                break;
            case ProcessState.Stopping or ProcessState.Stopped when !startsAgain:
                Answer(_startWaiters, false, "stopped before it was running");
                break;
        }
        if (next == ProcessState.Stopped) Answer(_stopWaiters, true, "stopped");
    }

    private void Answer(List<IActorRef> waiters, bool ok, string message)
    {
        foreach (var waiter in waiters) Reply(waiter, ok, message);
        waiters.Clear();
    }

    private void Reply(IActorRef replyTo, bool ok, string message)
    {
        if (!replyTo.IsNobody()) replyTo.Tell(new InstanceOutcome(Name, ok, message));
    }

    protected override void PostStop()
    {
        if (_alive is { } child)
        {
            _log.Warning("{Instance} actor stopping with process group {Pid} alive: sending SIGKILL", Name, child.Pid);
            child.SignalGroup(Signals.SIGKILL);
            _ = child.Exited.ContinueWith(_ => child.Dispose(), TaskScheduler.Default);
            _alive = null;
        }
        foreach (var waiter in _startWaiters.Concat(_stopWaiters)) Reply(waiter, false, "supervisor stopped");
        if (_pendingRetire is { } retire) Reply(retire, true, "removed");
        base.PostStop();
    }
}
