using System.Collections.Immutable;
using Akka.Actor;
using CsCheck;
using Taskmaster.Actors;
using Taskmaster.Core.Config;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// Random chains of reloads (programs added and removed, numprocs up and down, command and policy changes): after
/// each one the instances are exactly the config's, each has one live process, no process is left over, and
/// programs the plan left unchanged kept their pids.
/// </summary>
public sealed class ReloadPropertyTests(ITestOutputHelper output) : SupervisionTestKit(output)
{
    private ConfigLoadResult _next = ConfigLoadResult.Fail([]);
    private int _runs;

    private sealed record Shape(int WebProcs, int WebCmd, bool WebAlways, bool WithDb, int DbProcs);

    private static readonly Gen<Shape> Shapes =
        Gen.Select(Gen.Int[1, 4], Gen.Int[0, 1], Gen.Bool, Gen.Bool, Gen.Int[1, 2])
            .Select((w, c, a, d, n) => new Shape(w, c, a, d, n));

    private static TaskmasterConfig ConfigOf(string prefix, Shape shape)
    {
        var programs = new List<ProgramSpec>
        {
            Spec(prefix + "web") with
            {
                StartTime = TimeSpan.Zero, NumProcs = shape.WebProcs,
                Command = $"/bin/web{shape.WebCmd}", Argv = [$"/bin/web{shape.WebCmd}"],
                AutoRestart = shape.WebAlways ? AutoRestart.Always : AutoRestart.Unexpected,
            },
        };
        if (shape.WithDb) programs.Add(Spec(prefix + "db") with { StartTime = TimeSpan.Zero, NumProcs = shape.DbProcs });
        return Config([.. programs]);
    }

    [Fact]
    public void Random_reload_chains_keep_exactly_the_configured_instances_each_with_one_process()
    {
        Shapes.Array[2, 6].Sample(shapes => Run(shapes), iter: 15, threads: 1);
    }

    private void Run(Shape[] shapes)
    {
        var prefix = $"r{Interlocked.Increment(ref _runs)}x";
        var config = ConfigOf(prefix, shapes[0]);
        var supervisor = Sys.ActorOf(ConfigActor.Props(config, () => _next, Spawner));
        Check(supervisor, config, prefix);

        foreach (var shape in shapes.Skip(1))
        {
            var before = Status(supervisor).ToDictionary(s => s.Name, s => s.Pid);
            var next = ConfigOf(prefix, shape);
            _next = ConfigLoadResult.Ok(next);
            supervisor.Tell(new SupervisorProtocol.Reload(false));
            var reply = ExpectMsg<ReloadReply>(TimeSpan.FromSeconds(5), cancellationToken: Ct);
            Assert.True(reply.Applied);
            var after = Check(supervisor, next, prefix).ToDictionary(s => s.Name, s => s.Pid);
            // Unchanged programs keep their processes; with numprocs changed, those that remain (renamed or not).
            foreach (var program in reply.Plan!.Unchanged)
            {
                var (old, now) = (config.Programs[program], next.Programs[program]);
                for (var i = 0; i < Math.Min(old.NumProcs, now.NumProcs); i++)
                    Assert.Equal(before[old.InstanceName(i)], after[now.InstanceName(i)]);
            }
            config = next;
        }

        Watch(supervisor);
        Sys.Stop(supervisor);
        ExpectTerminated(supervisor, cancellationToken: Ct);
    }

    private ImmutableArray<InstanceStatus> Status(IActorRef supervisor)
    {
        supervisor.Tell(new GetStatus([]));
        return ExpectMsg<StatusReply>(cancellationToken: Ct).Instances;
    }

    /// <summary>Wait until every instance is RUNNING, then compare with the config and the live processes.</summary>
    private ImmutableArray<InstanceStatus> Check(IActorRef supervisor, TaskmasterConfig config, string prefix)
    {
        var expected = config.Programs.Values.SelectMany(p => Enumerable.Range(0, p.NumProcs).Select(p.InstanceName)).ToList();
        ImmutableArray<InstanceStatus> statuses = [];
        AwaitAssert(() =>
        {
            statuses = Status(supervisor);
            Assert.Equal(expected, statuses.Select(s => s.Name));
            Assert.All(statuses, s => Assert.Equal(ProcessState.Running, s.State));
        }, interval: TimeSpan.FromMilliseconds(10), cancellationToken: Ct);

        var live = Spawner.Alive.Where(c => c.Request.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(statuses.Select(s => s.Pid!.Value).Order(), live.Select(c => c.Pid).Order());
        Assert.All(live, c => Assert.Equal(config.Programs[c.Request.Name.Split(':')[0]].Argv, c.Request.Argv));
        return statuses;
    }
}
