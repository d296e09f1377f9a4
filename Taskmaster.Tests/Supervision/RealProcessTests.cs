using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit;
using Taskmaster.Actors.Instances;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Supervision;
using Taskmaster.Tests.Support;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Supervision;

/// <summary>The key scenarios again with real processes (PosixSpawner), real time and real signals.</summary>
public sealed class RealProcessTests : Akka.TestKit.Xunit.TestKit
{
    private readonly ITestOutputHelper _output;
    private readonly TestProbe _events;
    private readonly PosixSpawner _spawner = new();

    public RealProcessTests(ITestOutputHelper output) : base("akka.loglevel = INFO", output)
    {
        _output = output;
        _events = CreateTestProbe("events");
        Sys.EventStream.Subscribe(_events.Ref, typeof(InstanceTransition));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ProgramSpec Program(string name, params string[] argv) => new()
    {
        Name = name,
        Command = string.Join(' ', argv),
        Argv = [.. argv],
        Stdout = OutputSpec.Discard,
        Stderr = OutputSpec.Discard,
        StartTime = TimeSpan.FromMilliseconds(300),
        StopTime = TimeSpan.FromSeconds(2),
        Backoff = new BackoffSpec(TimeSpan.FromMilliseconds(100), 2, TimeSpan.FromSeconds(1)),
    };

    private IActorRef Start(ProgramSpec spec) => Sys.ActorOf(ProcessInstanceActor.Props(spec, 0, _spawner, autoStart: true));

    private InstanceTransition Await(string name, ProcessState to) =>
        _events.FishForMessage<InstanceTransition>(t => t.Name == name && t.To == to, TimeSpan.FromSeconds(20), cancellationToken: Ct);

    private static bool GroupAlive(int pgid) => Tmds.Linux.LibC.kill(-pgid, 0) == 0;

    [Fact]
    public void Real_exit_3_before_starttime_backs_off_then_is_FATAL_with_exit_status_3()
    {
        Start(Program("crasher", "/bin/sh", "-c", "exit 3") with { StartRetries = 2 });
        var backoffs = 0;
        InstanceTransition t;
        do
        {
            t = _events.ExpectMsg<InstanceTransition>(TimeSpan.FromSeconds(20), cancellationToken: Ct);
            if (t.To == ProcessState.Backoff)
            {
                backoffs++;
                Assert.Equal(3, t.ExitCode);
            }
        } while (t.To != ProcessState.Fatal);
        Assert.Equal(3, backoffs);
        Assert.Contains("exit status 3", t.Reason);
    }

    [Fact]
    public async Task Real_sleep_reaches_RUNNING_and_stop_ends_its_process_group()
    {
        var instance = Start(Program("sleeper", "sleep", "30"));
        var running = Await("sleeper", ProcessState.Running);
        var pid = running.Pid!.Value;
        Assert.True(GroupAlive(pid));

        instance.Tell(new InstanceProtocol.Stop(TestActor));
        var stopped = Await("sleeper", ProcessState.Stopped);
        Assert.Equal(Signals.SIGTERM, stopped.ExitSignal);
        Assert.True(ExpectMsg<InstanceOutcome>(cancellationToken: Ct).Ok);
        await Eventually.HoldsAsync(() => !GroupAlive(pid), "process group gone");
    }

    [Fact]
    public async Task Real_program_that_ignores_TERM_is_killed_with_its_group_after_stoptime()
    {
        var spec = Program("stubborn", "/bin/sh", "-c", "trap '' TERM; sleep 30; sleep 30") with { StopTime = TimeSpan.FromMilliseconds(500) };
        var instance = Start(spec);
        var pid = Await("stubborn", ProcessState.Running).Pid!.Value;

        instance.Tell(new InstanceProtocol.Stop(TestActor));
        var stopped = Await("stubborn", ProcessState.Stopped);
        Assert.Equal(Signals.SIGKILL, stopped.ExitSignal);
        // The sleep child went too (once init has reaped it: it was orphaned by the kill).
        await Eventually.HoldsAsync(() => !GroupAlive(pid), "process group gone");
    }

    [Fact]
    public async Task Real_stop_leaves_no_descendant_that_ignores_the_stop_signal()
    {
        // The leader dies of TERM at once; its background child ignores TERM and would outlive it.
        var spec = Program("parent", "/bin/sh", "-c", "(trap '' TERM; exec sleep 300) & sleep 300") with { StopTime = TimeSpan.FromSeconds(30) };
        var instance = Start(spec);
        var pid = Await("parent", ProcessState.Running).Pid!.Value;
        await Eventually.HoldsAsync(() => ProcessTable.LiveMembersOfGroup(pid).Count >= 3, "leader and both sleeps in the group");

        instance.Tell(new InstanceProtocol.Stop(TestActor));
        var stopped = Await("parent", ProcessState.Stopped);
        Assert.Equal(Signals.SIGTERM, stopped.ExitSignal);
        await Eventually.HoldsAsync(() => !GroupAlive(pid), "no member of the process group left");
    }

    [Fact]
    public void Real_missing_command_is_a_spawn_error_and_ends_FATAL()
    {
        Start(Program("ghost", "/nonexistent/taskmaster-ghost") with { StartRetries = 1 });
        var first = Await("ghost", ProcessState.Backoff);
        Assert.StartsWith("spawn error:", first.Reason);
        var fatal = Await("ghost", ProcessState.Fatal);
        Assert.Contains("not found", fatal.Reason);
    }

    [Fact]
    public void Real_kill_9_of_a_running_child_is_followed_by_a_new_pid()
    {
        Start(Program("sleeper", "sleep", "30"));
        var pid = Await("sleeper", ProcessState.Running).Pid!.Value;

        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Tmds.Linux.LibC.kill(pid, Signals.SIGKILL));
        var exited = Await("sleeper", ProcessState.Exited);
        var again = Await("sleeper", ProcessState.Starting);
        clock.Stop();
        Assert.Equal(Signals.SIGKILL, exited.ExitSignal);
        Assert.NotEqual(pid, again.Pid);
        Assert.True(GroupAlive(again.Pid!.Value));
        _output.WriteLine($"kill -9 to new pid: {clock.Elapsed.TotalMilliseconds:0.0} ms");
    }

    [Fact]
    public async Task Real_processes_are_killed_when_the_actor_system_stops()
    {
        var pids = new List<int>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            Start(Program(name, "/bin/sh", "-c", "trap '' TERM; sleep 30"));
            pids.Add(Await(name, ProcessState.Running).Pid!.Value);
        }
        await Sys.Terminate();
        await Eventually.HoldsAsync(() => pids.All(p => !GroupAlive(p)), "every process group gone", TimeSpan.FromSeconds(10));
    }
}
