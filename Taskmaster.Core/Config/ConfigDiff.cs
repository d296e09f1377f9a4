using System.Collections.Immutable;

namespace Taskmaster.Core.Config;

/// <summary>numprocs of one program going from <paramref name="From"/> to <paramref name="To"/>.</summary>
public sealed record ScaleChange(string Program, int From, int To);

/// <summary>
/// What a reload does, program by program (DESIGN §5). Pure: computed from two validated configs.
/// A program is in exactly one of Added, Removed, Restarted, Changed (live policy), Scaled only, or Unchanged
/// (nothing at all differs); Scaled may also accompany Changed (never Restarted: a restart starts the new count).
/// </summary>
public sealed record ConfigDiff(
    ImmutableArray<string> Added,
    ImmutableArray<string> Removed,
    ImmutableArray<string> Restarted,
    ImmutableArray<string> Changed,
    ImmutableArray<ScaleChange> Scaled,
    ImmutableArray<string> Unchanged)
{
    public bool IsEmpty => Added.IsEmpty && Removed.IsEmpty && Restarted.IsEmpty && Changed.IsEmpty && Scaled.IsEmpty;

    public static ConfigDiff Compute(TaskmasterConfig oldConfig, TaskmasterConfig newConfig)
    {
        var added = ImmutableArray.CreateBuilder<string>();
        var removed = ImmutableArray.CreateBuilder<string>();
        var restarted = ImmutableArray.CreateBuilder<string>();
        var changed = ImmutableArray.CreateBuilder<string>();
        var scaled = ImmutableArray.CreateBuilder<ScaleChange>();
        var unchanged = ImmutableArray.CreateBuilder<string>();

        foreach (var name in oldConfig.Programs.Keys.Where(n => !newConfig.Programs.ContainsKey(n)))
            removed.Add(name);

        foreach (var (name, next) in newConfig.Programs)
        {
            if (!oldConfig.Programs.TryGetValue(name, out var previous))
            {
                added.Add(name);
                continue;
            }
            if (next.Run != previous.Run)
            {
                restarted.Add(name);
                continue;
            }
            if (next.NumProcs != previous.NumProcs)
                scaled.Add(new ScaleChange(name, previous.NumProcs, next.NumProcs));
            if (next.Policy != previous.Policy)
                changed.Add(name);
            else if (next.NumProcs == previous.NumProcs)
                unchanged.Add(name);
        }

        return new ConfigDiff(added.ToImmutable(), removed.ToImmutable(), restarted.ToImmutable(),
            changed.ToImmutable(), scaled.ToImmutable(), unchanged.ToImmutable());
    }
}
