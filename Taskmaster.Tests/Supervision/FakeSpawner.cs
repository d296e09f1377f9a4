using System.Collections.Concurrent;
using Taskmaster.Core.Processes;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// A child the test controls: it exits when the test says so, or on a signal it does not ignore (SIGKILL always).
/// Records every signal sent to its group.
/// </summary>
public sealed class FakeChild(int pid, SpawnRequest request) : IChildProcess
{
    private readonly TaskCompletionSource<ExitStatus> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<int> _signals = new();
    private int _reopened;

    public int Pid { get; } = pid;
    public SpawnRequest Request { get; } = request;
    public Task<ExitStatus> Exited => _exit.Task;
    public bool HasExited => _exit.Task.IsCompleted;
    public bool Disposed { get; private set; }
    public IReadOnlyList<int> SignalsReceived => [.. _signals];
    public int ReopenCount => _reopened;

    /// <summary>Signals the process ignores (like a program that traps TERM). SIGKILL cannot be ignored.</summary>
    public HashSet<int> Ignores { get; } = [];

    /// <summary>A signal that makes <see cref="SignalGroup"/> throw (to simulate a bug in the supervisor).</summary>
    public int? ThrowOn { get; set; }

    public void Exit(int code) => _exit.TrySetResult(ExitStatus.Exited(code));

    public void Kill(int signal) => _exit.TrySetResult(ExitStatus.Killed(signal));

    public bool SignalGroup(int signal)
    {
        if (signal == ThrowOn) throw new InvalidOperationException("simulated supervisor bug");
        if (HasExited) return false;
        _signals.Enqueue(signal);
        if (signal == Signals.SIGKILL || !Ignores.Contains(signal)) Kill(signal);
        return true;
    }

    public void ReopenLogs() => Interlocked.Increment(ref _reopened);

    public void Dispose() => Disposed = true;
}

/// <summary>The OS seam replaced for unit tests: records requests, hands out <see cref="FakeChild"/>ren.</summary>
public sealed class FakeSpawner : IProcessSpawner
{
    private readonly ConcurrentQueue<FakeChild> _children = new();
    private readonly ConcurrentQueue<SpawnRequest> _requests = new();
    private int _nextPid = 1000;

    /// <summary>Decides a spawn before a child is made: return a result to use it (e.g. a failure), null to spawn.</summary>
    public Func<SpawnRequest, SpawnResult?>? Before { get; set; }

    /// <summary>Applied to every new child (e.g. make it ignore TERM).</summary>
    public Action<FakeChild>? Configure { get; set; }

    public IReadOnlyList<FakeChild> Children => [.. _children];
    public IReadOnlyList<SpawnRequest> Requests => [.. _requests];

    public IReadOnlyList<FakeChild> ChildrenOf(string instance) => [.. _children.Where(c => c.Request.Name == instance)];

    public FakeChild LastOf(string instance) => ChildrenOf(instance)[^1];

    public int SpawnCount(string instance) => _requests.Count(r => r.Name == instance);

    /// <summary>Children that have not exited: what would be left behind on a real system.</summary>
    public IReadOnlyList<FakeChild> Alive => [.. _children.Where(c => !c.HasExited)];

    public SpawnResult Spawn(SpawnRequest request)
    {
        _requests.Enqueue(request);
        if (Before?.Invoke(request) is { } decided) return decided;
        var child = new FakeChild(Interlocked.Increment(ref _nextPid), request);
        Configure?.Invoke(child);
        _children.Enqueue(child);
        return new SpawnResult.Started(child);
    }
}
