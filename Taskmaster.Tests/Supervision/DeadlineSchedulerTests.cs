using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Taskmaster.Actors.Scheduling;

namespace Taskmaster.Tests.Supervision;

/// <summary>The daemon's scheduler on its own: order, cancellation, repetition, failures, shutdown, and an actor
/// system that runs on it.</summary>
public sealed class DeadlineSchedulerTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    private static DeadlineScheduler NewScheduler() =>
        new(ConfigurationFactory.ParseString("akka.scheduler.shutdown-timeout = 5s"), NoLogger.Instance);

    private static IActionScheduler Actions(DeadlineScheduler s) => s;

    [Fact]
    public void Tasks_run_in_deadline_order_and_never_early()
    {
        using var scheduler = NewScheduler();
        var ran = new BlockingCollection<(int Id, TimeSpan At)>();
        var clock = Stopwatch.StartNew();
        foreach (var ms in new[] { 300, 100, 200, 0 })
            Actions(scheduler).ScheduleOnce(TimeSpan.FromMilliseconds(ms), () => ran.Add((ms, clock.Elapsed)));

        var order = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            Assert.True(ran.TryTake(out var r, Generous), $"only {order.Count} of 4 tasks ran");
            Assert.True(r.At >= TimeSpan.FromMilliseconds(r.Id), $"task due at {r.Id} ms ran at {r.At.TotalMilliseconds} ms");
            order.Add(r.Id);
        }
        Assert.Equal([0, 100, 200, 300], order);
    }

    [Fact]
    public void A_cancelled_task_never_runs()
    {
        using var scheduler = NewScheduler();
        var ran = new BlockingCollection<string>();
        var cancelable = new Cancelable((IScheduler)scheduler);
        Actions(scheduler).ScheduleOnce(TimeSpan.FromMilliseconds(100), () => ran.Add("cancelled"), cancelable);
        cancelable.Cancel();
        Actions(scheduler).ScheduleOnce(TimeSpan.FromMilliseconds(200), () => ran.Add("kept"));

        Assert.True(ran.TryTake(out var first, Generous));
        Assert.Equal("kept", first);
        Assert.Empty(ran);
    }

    [Fact]
    public void A_repeated_task_repeats_until_cancelled()
    {
        using var scheduler = NewScheduler();
        var count = 0;
        var cancelable = new Cancelable((IScheduler)scheduler);
        Actions(scheduler).ScheduleRepeatedly(TimeSpan.Zero, TimeSpan.FromMilliseconds(10), () => Interlocked.Increment(ref count), cancelable);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref count) >= 5, Generous), "it did not repeat");
        cancelable.Cancel();
        // Once its entry has left the queue (skipped when due, not rescheduled), nothing can run it again.
        Assert.True(SpinWait.SpinUntil(() => scheduler.Pending == 0, Generous), "the cancelled task stayed queued");
        var final = Volatile.Read(ref count);
        Actions(scheduler).ScheduleOnce(TimeSpan.FromMilliseconds(30), () => { });
        Assert.True(SpinWait.SpinUntil(() => scheduler.Pending == 0, Generous));
        Assert.Equal(final, Volatile.Read(ref count));
    }

    [Fact]
    public void A_failing_task_does_not_stop_the_others()
    {
        using var scheduler = NewScheduler();
        var ran = new BlockingCollection<string>();
        Actions(scheduler).ScheduleOnce(TimeSpan.FromMilliseconds(10), () => throw new InvalidOperationException("boom"));
        Actions(scheduler).ScheduleOnce(TimeSpan.FromMilliseconds(20), () => ran.Add("after"));
        Assert.True(ran.TryTake(out var r, Generous));
        Assert.Equal("after", r);
    }

    [Fact]
    public void Cancelled_entries_are_swept_out_of_the_queue()
    {
        using var scheduler = NewScheduler();
        for (var i = 0; i < 10_000; i++)
        {
            var c = new Cancelable((IScheduler)scheduler);
            Actions(scheduler).ScheduleOnce(TimeSpan.FromHours(1), () => { }, c);
            c.Cancel();
        }
        Assert.True(scheduler.Pending < 2048, $"{scheduler.Pending} entries kept for 10,000 cancelled timers");
    }

    [Fact]
    public void Dispose_runs_what_is_pending_once_and_refuses_new_work()
    {
        var scheduler = NewScheduler();
        var ran = 0;
        Actions(scheduler).ScheduleOnce(TimeSpan.FromHours(1), () => Interlocked.Increment(ref ran));
        scheduler.Dispose();
        Assert.Equal(1, ran);
        Assert.Throws<SchedulerException>(() => Actions(scheduler).ScheduleOnce(TimeSpan.Zero, () => { }));
    }

    [Fact]
    public async Task An_actor_system_on_the_daemon_threading_config_uses_it_for_timers_and_asks()
    {
        using var system = ActorSystem.Create("deadline", ThreadingConfig.Hocon);
        Assert.IsType<DeadlineScheduler>(system.Scheduler);
        var echo = system.ActorOf(Props.Create(() => new DelayedEcho()));
        Assert.Equal("ping", await echo.Ask<string>("ping", Generous, TestContext.Current.CancellationToken));
        await system.Terminate().WaitAsync(Generous, TestContext.Current.CancellationToken);
    }

    /// <summary>Answers each message after a 50 ms timer.</summary>
    private sealed class DelayedEcho : ReceiveActor, IWithTimers
    {
        private sealed record Due(string Text, IActorRef To);

        public ITimerScheduler Timers { get; set; } = null!;

        public DelayedEcho()
        {
            Receive<string>(s => Timers.StartSingleTimer(s, new Due(s, Sender), TimeSpan.FromMilliseconds(50)));
            Receive<Due>(d => d.To.Tell(d.Text));
        }
    }
}
