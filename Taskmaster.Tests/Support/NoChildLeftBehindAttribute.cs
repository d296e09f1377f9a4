using System.Collections.Concurrent;
using System.Reflection;
using Taskmaster.Core.Processes;
using Taskmaster.Tests.Processes;
using Xunit.v3;

[assembly: Taskmaster.Tests.Support.NoChildLeftBehind]

namespace Taskmaster.Tests.Support;

/// <summary>
/// Test-level leak guard for children a test spawns in the test host (<see cref="SpawnFixture.Start"/>): each is
/// recorded under the test that started it, and after the test (passed or failed) any whose process group still
/// has a live member, after up to 10 s for late exits, is SIGKILLed with its group and the test fails naming it.
/// A test that fails half-way so no longer leaves a <c>sleep 1000</c> to outlive the run.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class NoChildLeftBehindAttribute : BeforeAfterTestAttribute
{
    private static readonly ConcurrentDictionary<string, ConcurrentBag<PosixChildProcess>> Started = new();

    /// <summary>Remember <paramref name="child"/> for the test that runs now (none outside a test).</summary>
    public static void Track(PosixChildProcess child)
    {
        if (TestContext.Current.Test?.UniqueID is { } id)
            Started.GetOrAdd(id, _ => []).Add(child);
    }

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        if (!Started.TryRemove(test.UniqueID, out var children)) return;
        bool Running(PosixChildProcess c) => !c.Exited.IsCompleted || SpawnFixture.LiveMembersOfGroup(c.Pid).Count > 0;
        if (!SpinWait.SpinUntil(() => !children.Any(Running), TimeSpan.FromSeconds(10)))
        {
            var left = children.Where(Running).ToList();
            var described = string.Join("; ", left.SelectMany(c => SpawnFixture.LiveMembersOfGroup(c.Pid)).Select(ProcessTable.Describe));
            foreach (var c in left) Tmds.Linux.LibC.kill(-c.Pid, Signals.SIGKILL);
            throw new InvalidOperationException($"the test left {left.Count} child process group(s) running: {described}");
        }
    }
}
