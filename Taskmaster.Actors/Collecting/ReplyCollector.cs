using System.Collections.Immutable;
using Akka.Actor;

namespace Taskmaster.Actors.Collecting;

/// <summary>
/// Gathers <c>expected</c> replies of type <typeparamref name="T"/> sent to it, then sends
/// <c>complete(replies, timedOut: false)</c> to <c>replyTo</c> and stops. After <c>timeout</c> it completes with
/// what it has (<c>timedOut: true</c>), so a caller never waits forever. This is how the daemon waits for outcomes
/// with Tell only: the collector is the <c>ReplyTo</c> of every command it waits for. A collector stopped before it
/// finished (its parent stopped: a ProgramActor removed by a reload while an earlier reload still waited on it)
/// completes with what it has (<c>timedOut: true</c>) as it stops, so that its caller is answered then, not never.
/// </summary>
public sealed class ReplyCollector<T> : ReceiveActor, IWithTimers
{
    private sealed record TimedOut
    {
        public static readonly TimedOut Instance = new();
    }

    private readonly ImmutableArray<T>.Builder _replies = ImmutableArray.CreateBuilder<T>();
    private readonly int _expected;
    private readonly IActorRef _replyTo;
    private readonly Func<ImmutableArray<T>, bool, object> _complete;
    private readonly TimeSpan _timeout;
    private bool _finished;

    public ITimerScheduler Timers { get; set; } = null!;

    public ReplyCollector(int expected, IActorRef replyTo, Func<ImmutableArray<T>, bool, object> complete, TimeSpan timeout)
    {
        _expected = expected;
        _replyTo = replyTo;
        _complete = complete;
        _timeout = timeout;
        Receive<T>(reply =>
        {
            _replies.Add(reply);
            if (_replies.Count >= _expected) Finish(false);
        });
        Receive<TimedOut>(_ => Finish(true));
    }

    public static Props Props(int expected, IActorRef replyTo, Func<ImmutableArray<T>, bool, object> complete, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new ReplyCollector<T>(expected, replyTo, complete, timeout));

    protected override void PreStart()
    {
        if (_expected <= 0) Finish(false);
        else Timers.StartSingleTimer("timeout", TimedOut.Instance, _timeout);
    }

    protected override void PostStop()
    {
        if (!_finished) _replyTo.Tell(_complete(_replies.ToImmutable(), true));
    }

    private void Finish(bool timedOut)
    {
        if (_finished) return;
        _finished = true;
        _replyTo.Tell(_complete(_replies.ToImmutable(), timedOut));
        Context.Stop(Self);
    }
}
