using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Taskmaster.Actors.Scheduling;

/// <summary>
/// The actor system's scheduler (<c>akka.scheduler.implementation</c>): one dedicated thread that sleeps until the
/// earliest deadline, runs what is due, and sleeps again.
/// <para>Why not Akka's default <c>HashedWheelTimerScheduler</c>: it starts lazily, on the first timer anyone
/// schedules, and that start queues its clock loop to the .NET thread pool and then blocks the caller until the loop
/// runs. A thousand instance actors arming their first <c>starttime</c> timer together all blocked pool threads
/// that way, so the loop they waited for could not run either; the pool adds about two threads a second, and each
/// new one picked up another actor that blocked (one launch of 1000 programs took 259 s). Its ticks also await the
/// pool, so a starved pool delayed every <c>starttime</c>, <c>stoptime</c> and backoff timer, and it ticks every
/// 10 ms even when nothing is scheduled.</para>
/// <para>This one starts its thread in the constructor (before any actor exists), never touches the thread pool,
/// and wakes only for a deadline or a new earliest entry: idle, it costs nothing. What is due runs on its thread,
/// in deadline order (a Tell is a mailbox enqueue); a task that throws is logged and the others still run.
/// Repeated tasks are rescheduled one interval after they ran (fixed delay). Cancelled entries are skipped when they
/// come due, and swept out when they make up most of the queue. On <see cref="Dispose"/> (actor system termination)
/// the thread stops and every entry not cancelled runs once, as Akka's own scheduler does, so pending asks complete.</para>
/// </summary>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    private const int SweepFloor = 1024;
    private static readonly long Origin = Stopwatch.GetTimestamp();

    private readonly object _gate = new();
    private readonly PriorityQueue<Entry, (long Deadline, long Sequence)> _queue = new();
    private readonly Thread _thread;
    private readonly TimeSpan _shutdownTimeout;
    private long _sequence;
    private int _sweepAt = SweepFloor;
    private bool _stopped;

    public DeadlineScheduler(Config scheduler, ILoggingAdapter log) : base(scheduler, log)
    {
        _shutdownTimeout = scheduler.GetTimeSpan("akka.scheduler.shutdown-timeout", TimeSpan.FromSeconds(5));
        _thread = new Thread(Loop) { IsBackground = true, Name = "taskmaster-scheduler" };
        _thread.UnsafeStart();
    }

    /// <summary>Entries waiting, cancelled ones included (for tests).</summary>
    public int Pending
    {
        get { lock (_gate) return _queue.Count; }
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.UtcNow;

    public override TimeSpan MonotonicClock => Stopwatch.GetElapsedTime(Origin);

    public override TimeSpan HighResMonotonicClock => Stopwatch.GetElapsedTime(Origin);

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender,
        ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, new Tell(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver,
        object message, IActorRef sender, ICancelable cancelable) =>
        Add(initialDelay, interval, new Tell(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action,
        ICancelable cancelable) =>
        Add(initialDelay, interval, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action,
        ICancelable cancelable) =>
        Add(initialDelay, interval, action, cancelable);

    private static long Now => Stopwatch.GetTimestamp();

    private static long After(long from, TimeSpan delay) =>
        delay >= TimeSpan.FromDays(365 * 100) ? long.MaxValue : from + (long)(delay.Ticks * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond));

    private void Add(TimeSpan delay, TimeSpan interval, IRunnable work, ICancelable? cancelable)
    {
        var entry = new Entry(work, cancelable, interval);
        lock (_gate)
        {
            if (_stopped) throw new SchedulerException("cannot schedule: the scheduler has shut down");
            Enqueue(entry, After(Now, delay));
        }
    }

    /// <summary>Under the lock. Wakes the thread when the entry is the new earliest one.</summary>
    private void Enqueue(Entry entry, long deadline)
    {
        var wake = !_queue.TryPeek(out _, out var first) || deadline < first.Deadline;
        _queue.Enqueue(entry, (deadline, _sequence++));
        if (_queue.Count >= _sweepAt) Sweep();
        if (wake) Monitor.Pulse(_gate);
    }

    /// <summary>Under the lock: drops cancelled entries once the queue has doubled since the last sweep.</summary>
    private void Sweep()
    {
        var kept = new List<(Entry, (long, long))>(_queue.Count);
        while (_queue.TryDequeue(out var entry, out var priority))
            if (!entry.Cancelled) kept.Add((entry, priority));
        _queue.EnqueueRange(kept);
        _sweepAt = Math.Max(SweepFloor, kept.Count * 2);
    }

    private void Loop()
    {
        var due = new List<Entry>();
        while (true)
        {
            lock (_gate)
            {
                while (true)
                {
                    if (_stopped) return;
                    if (!_queue.TryPeek(out _, out var first))
                    {
                        Monitor.Wait(_gate);
                        continue;
                    }
                    var now = Now;
                    if (first.Deadline > now)
                    {
                        Monitor.Wait(_gate, WaitFor(first.Deadline - now));
                        continue;
                    }
                    while (_queue.TryPeek(out _, out var next) && next.Deadline <= now)
                        due.Add(_queue.Dequeue());
                    break;
                }
            }
            foreach (var entry in due) Run(entry);
            lock (_gate)
            {
                var now = Now;
                foreach (var entry in due)
                    if (entry.Repeats && !entry.Cancelled && !_stopped) Enqueue(entry, After(now, entry.Interval));
            }
            due.Clear();
        }
    }

    /// <summary>Milliseconds to sleep for a distance in timestamp units, rounded up so the wake is never early.</summary>
    private static int WaitFor(long distance)
    {
        var ms = Math.Ceiling(distance * 1000.0 / Stopwatch.Frequency);
        return ms >= int.MaxValue ? int.MaxValue - 1 : Math.Max(1, (int)ms);
    }

    private void Run(Entry entry)
    {
        if (entry.Cancelled) return;
        try
        {
            entry.Work.Run();
        }
        catch (SchedulerException)
        {
            // Work for an actor system that is shutting down.
        }
        catch (Exception e)
        {
            Log.Error(e, "scheduled task {Task} failed", entry.Work);
        }
    }

    public void Dispose()
    {
        List<Entry> left;
        lock (_gate)
        {
            if (_stopped) return;
            _stopped = true;
            Monitor.Pulse(_gate);
        }
        if (Thread.CurrentThread != _thread && !_thread.Join(_shutdownTimeout))
            Log.Warning("the scheduler thread did not stop within {Timeout}", _shutdownTimeout);
        lock (_gate)
        {
            left = new List<Entry>(_queue.Count);
            while (_queue.TryDequeue(out var entry, out _)) left.Add(entry);
        }
        foreach (var entry in left) Run(entry);
    }

    private sealed class Entry(IRunnable work, ICancelable? cancelable, TimeSpan interval)
    {
        public IRunnable Work { get; } = work;
        public TimeSpan Interval { get; } = interval;
        public bool Repeats => Interval > TimeSpan.Zero;
        public bool Cancelled => cancelable?.IsCancellationRequested ?? false;
    }

    private sealed class Tell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);

        public void Execute() => Run();

        public override string ToString() => $"[{receiver}.Tell({message})]";
    }
}
