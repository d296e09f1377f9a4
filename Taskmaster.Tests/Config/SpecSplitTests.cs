using System.Collections.Immutable;
using System.Reflection;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;

namespace Taskmaster.Tests.Config;

/// <summary>
/// <see cref="ProgramSpec"/> is compared through two records, <see cref="RunSpec"/> (a change restarts) and
/// <see cref="PolicySpec"/> (a change applies live), plus the name and numprocs. Every settable property is changed
/// in turn: it must change exactly one of the two, unless it is one of the few that are neither (where it was
/// written, how <c>cmd</c> was spelled, the raw <c>inherit_env</c> behind the effective one, numprocs). A key added
/// to the spec and to neither record fails here, instead of being reported "unchanged" on reload.
/// </summary>
public sealed class SpecSplitTests
{
    private static readonly HashSet<string> Neither =
        ["Name", "Command", "NumProcs", "SourceFile", "SourceLine", "InheritEnv"];

    private static readonly ProgramSpec Base = new()
    {
        Name = "web", Command = "/bin/true", Argv = ["/bin/true"], Stdout = OutputSpec.Discard, Stderr = OutputSpec.Discard,
    };

    /// <summary>A value of the property's type that differs from <paramref name="current"/>.</summary>
    private static object Different(Type type, object? current) => type switch
    {
        _ when type == typeof(string) => (string?)current + "x",
        _ when type == typeof(int) => (int)current! + 1,
        _ when type == typeof(int?) => ((int?)current ?? 0) + 7,
        _ when type == typeof(bool) => !(bool)current!,
        _ when type == typeof(TimeSpan) => (TimeSpan)current! + TimeSpan.FromSeconds(1),
        _ when type == typeof(AutoRestart) => (AutoRestart)current! == AutoRestart.Always ? AutoRestart.Never : AutoRestart.Always,
        _ when type == typeof(Leftovers) => (Leftovers)current! == Leftovers.Kill ? Leftovers.Keep : Leftovers.Kill,
        _ when type == typeof(ImmutableArray<string>) => ((ImmutableArray<string>)current!).Add("more"),
        _ when type == typeof(ImmutableArray<int>) => ((ImmutableArray<int>)current!).Add(99),
        _ when type == typeof(ImmutableSortedDictionary<string, string>) => ((ImmutableSortedDictionary<string, string>)current!).SetItem("NEW", "1"),
        _ when type == typeof(OutputSpec) => new OutputSpec("/tmp/other.log", 1, 1),
        _ when type == typeof(BackoffSpec) => ((BackoffSpec)current!) with { Multiplier = 3 },
        _ when type == typeof(RestartLimit) => new RestartLimit(5, TimeSpan.FromSeconds(1)),
        _ when type == typeof(EnvInheritance) => EnvInheritance.None,
        _ => throw new InvalidOperationException($"SpecSplitTests does not know how to change a {type}: teach it"),
    };

    public static TheoryData<string> Settable => [.. typeof(ProgramSpec).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.SetMethod is not null).Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Settable))]
    public void Every_key_is_in_the_run_or_the_policy(string name)
    {
        var property = typeof(ProgramSpec).GetProperty(name)!;
        var changed = Base with { };
        var type = Nullable.GetUnderlyingType(property.PropertyType) is { } inner && property.PropertyType != typeof(int?)
            ? inner : property.PropertyType;
        property.SetValue(changed, Different(type, property.GetValue(Base)));
        var run = changed.Run != Base.Run;
        var policy = changed.Policy != Base.Policy;
        if (Neither.Contains(name)) return;
        Assert.True(run ^ policy, $"{name}: changes the run: {run}, the policy: {policy}; exactly one must change");
    }

    [Fact]
    public void Records_compare_by_value_not_by_reference()
    {
        var copy = Base with { Argv = [.. Base.Argv], ExitCodes = [.. Base.ExitCodes], Env = Base.Env.ToImmutableSortedDictionary() };
        Assert.Equal(Base.Run, copy.Run);
        Assert.Equal(Base.Policy, copy.Policy);
        Assert.Equal(Base, copy);
    }

    [Fact]
    public void The_raw_inherit_env_counts_through_its_effect()
    {
        Assert.Equal(Base.Run, (Base with { InheritEnv = EnvInheritance.All }).Run);
        Assert.NotEqual(Base.Run, (Base with { InheritEnv = EnvInheritance.None }).Run);
    }
}
