using System.Collections.Immutable;
using Akka.Actor;
using Taskmaster.Actors.Instances;
using Taskmaster.Actors.Programs;
using Taskmaster.Actors.Targets;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;

namespace Taskmaster.Tests.Supervision;

/// <summary>The pure parts of supervision: exit classification, supervision strategy, backoff, target resolution.</summary>
public sealed class PolicyTests
{
    private static ProgramSpec Spec(string name, int numprocs = 1) => new()
    {
        Name = name, Command = name, Argv = [name], Stdout = OutputSpec.Discard, Stderr = OutputSpec.Discard, NumProcs = numprocs,
    };

    [Theory]
    [InlineData(AutoRestart.Unexpected, 0, false, true, false)]
    [InlineData(AutoRestart.Unexpected, 1, false, false, true)]
    [InlineData(AutoRestart.Unexpected, 2, false, true, false)]
    [InlineData(AutoRestart.Always, 0, false, true, true)]
    [InlineData(AutoRestart.Never, 1, false, false, false)]
    [InlineData(AutoRestart.Unexpected, 15, true, false, true)]
    public void An_exit_after_running_is_judged_by_exitcodes_and_autorestart(
        AutoRestart policy, int value, bool bySignal, bool expected, bool restart)
    {
        var spec = Spec("web") with { AutoRestart = policy, ExitCodes = [0, 2] };
        var status = bySignal ? ExitStatus.Killed(value) : ExitStatus.Exited(value);
        var decision = Core.Supervision.RestartDecider.Decide(Core.Supervision.RestartPolicy.Of(spec),
            new Core.Supervision.InstanceFailure.Exited(status, TimeSpan.FromMinutes(1)), 1, Core.Supervision.RestartHistory.Empty,
            DateTimeOffset.UnixEpoch, 0);
        Assert.Equal((expected, restart), (decision.Expected, decision.Verdict == Core.Supervision.Verdict.RestartNow));
    }

    [Fact]
    public void Default_backoff_schedule_is_1_2_4_8_16_then_capped_at_30_seconds()
    {
        var delays = Enumerable.Range(1, 7).Select(a => BackoffSpec.Default.DelayFor(a).TotalSeconds).ToArray();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], delays);
    }

    [Fact]
    public void The_strategy_restarts_an_instance_whose_process_failed_with_the_policys_decision_and_stops_a_crashed_one()
    {
        var spec = Spec("web") with { StartRetries = 2 };
        var status = new Core.Supervision.InstanceStatus("web", "web", Core.Supervision.ProcessState.Starting, 42, DateTimeOffset.UnixEpoch, "spawned");
        var failure = new InstanceFailedException(new Core.Supervision.InstanceFailure.Exited(ExitStatus.Exited(1), TimeSpan.FromSeconds(0.1)),
            1, DateTimeOffset.UnixEpoch, new CarriedState(spec, status, Core.Supervision.RestartHistory.Empty, [], [], ExitStatus.Exited(1), 42, ""));
        var policy = Core.Supervision.RestartPolicy.Of(spec with { Backoff = BackoffSpec.Default });
        Assert.Equal(Directive.Restart, InstanceSupervision.Decide(failure, _ => policy));
        Assert.Equal((Core.Supervision.Verdict.RestartLater, TimeSpan.FromSeconds(1), 2),
            (failure.Decision!.Verdict, failure.Decision.Delay, failure.Decision.NextAttempt));

        Assert.Equal(Directive.Stop, InstanceSupervision.Decide(new InvalidOperationException(), _ => policy));
        Assert.Equal(Directive.Stop, InstanceSupervision.Decide(new ActorInitializationException("x"), _ => policy));
        Assert.IsType<OneForOneStrategy>(InstanceSupervision.Strategy(_ => policy));
        Assert.Equal([true, true, true, false], Enumerable.Range(1, 4).Select(n => InstanceSupervision.ShouldRecreate(spec, n)));
        Assert.Equal(TimeSpan.FromSeconds(2), InstanceSupervision.RecreateDelay(spec, 2));
    }

    [Fact]
    public void Outcome_timeout_covers_the_longest_stoptime_and_starttime()
    {
        var a = Spec("a") with { StopTime = TimeSpan.FromSeconds(20), StartTime = TimeSpan.FromSeconds(1) };
        var b = Spec("b") with { StopTime = TimeSpan.FromSeconds(5), StartTime = TimeSpan.FromSeconds(7) };
        Assert.Equal(TimeSpan.FromSeconds(37), InstanceSupervision.OutcomeTimeout([a, b]));
    }

    private static TaskmasterConfig Config(params ProgramSpec[] programs) =>
        new(DaemonSettings.Default, programs.ToImmutableSortedDictionary(p => p.Name, p => p, StringComparer.Ordinal));

    [Fact]
    public void Targets_resolve_instances_programs_and_all_in_config_order()
    {
        var config = Config(Spec("web", 3), Spec("db"));
        Assert.Equal(["db", "web:0", "web:1", "web:2"], TargetResolver.Resolve(config, []).Targets.Select(t => t.Name));
        Assert.Equal(["db", "web:0", "web:1", "web:2"], TargetResolver.Resolve(config, ["all"]).Targets.Select(t => t.Name));
        Assert.Equal(["web:0", "web:1", "web:2"], TargetResolver.Resolve(config, ["web"]).Targets.Select(t => t.Name));
        Assert.Equal(["db", "web:1"], TargetResolver.Resolve(config, ["web:1", "db", "web:1"]).Targets.Select(t => t.Name));
    }

    [Fact]
    public void Unknown_targets_are_reported_by_name()
    {
        var config = Config(Spec("web", 2));
        var resolution = TargetResolver.Resolve(config, ["web:2", "web:0", "nope"]);
        Assert.False(resolution.Ok);
        Assert.Equal(["web:2", "nope"], resolution.Unknown);
    }

    [Fact]
    public void Spawn_request_numbers_the_output_of_each_instance()
    {
        var spec = Spec("web", 2) with { Stdout = new OutputSpec("/tmp/web-{n}.log", 0, 0) };
        Assert.Equal("web:1", SpawnRequests.For(spec, 1).Name);
        Assert.Equal("/tmp/web-1.log", SpawnRequests.For(spec, 1).Stdout.Path);
        Assert.Null(SpawnRequests.For(spec, 1).Stderr.Path);
    }
}
