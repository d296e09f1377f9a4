using System.Collections.Immutable;
using Taskmaster.Core.Config;

namespace Taskmaster.Actors.Targets;

/// <summary>One instance a command applies to.</summary>
public sealed record ResolvedTarget(string Program, int Index, string Name);

/// <summary>Targets resolved against a config: instances in config order (no duplicates), or the unknown names.</summary>
public sealed record Resolution(ImmutableArray<ResolvedTarget> Targets, ImmutableArray<string> Unknown)
{
    public bool Ok => Unknown.IsEmpty;
}

/// <summary>
/// Turns command targets into instances (DESIGN §4): an instance name (<c>web:0</c>, or <c>web</c> when numprocs
/// is 1), a program name (all its instances), or <c>all</c>; no target means all. Pure.
/// </summary>
public static class TargetResolver
{
    public const string All = "all";

    public static Resolution Resolve(TaskmasterConfig config, ImmutableArray<string> names)
    {
        var everything = config.Programs.Values
            .SelectMany(p => Enumerable.Range(0, p.NumProcs).Select(i => new ResolvedTarget(p.Name, i, p.InstanceName(i))))
            .ToImmutableArray();
        if (names.IsDefaultOrEmpty || names.Contains(All)) return new Resolution(everything, []);

        var wanted = new HashSet<ResolvedTarget>();
        var unknown = ImmutableArray.CreateBuilder<string>();
        foreach (var name in names)
        {
            var matches = config.Programs.ContainsKey(name)
                ? everything.Where(t => t.Program == name)
                : everything.Where(t => t.Name == name);
            var any = false;
            foreach (var m in matches)
            {
                wanted.Add(m);
                any = true;
            }
            if (!any) unknown.Add(name);
        }
        return new Resolution([.. everything.Where(wanted.Contains)], unknown.ToImmutable());
    }
}
