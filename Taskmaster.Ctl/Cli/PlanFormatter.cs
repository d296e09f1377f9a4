using System.Text;
using Taskmaster.Core.Protocol;

namespace Taskmaster.Ctl.Cli;

/// <summary>The human form of a reload plan, one line per kind of change.</summary>
public static class PlanFormatter
{
    public static string Format(ReloadPlan plan, bool applied)
    {
        var sb = new StringBuilder();
        if (plan.IsEmpty)
        {
            sb.Append(applied ? "reload: no changes\n" : "reload (dry run): no changes\n");
            return sb.ToString();
        }
        sb.Append(applied ? "reload: applied\n" : "reload (dry run): nothing changed; the plan is\n");
        Line(sb, "added", plan.Added, applied ? "started" : "would start");
        Line(sb, "removed", plan.Removed, applied ? "stopped and forgotten" : "would stop");
        Line(sb, "restarted", plan.Restarted, applied ? "restarted with the new settings" : "would restart");
        Line(sb, "changed", plan.Changed, applied ? "new policy applied live" : "new policy, applied live");
        foreach (var s in plan.Scaled)
            sb.Append($"  scaled:    {s.Program} numprocs {s.From} -> {s.To}\n");
        if (plan.Unchanged.Count > 0)
            sb.Append($"  unchanged: {string.Join(", ", plan.Unchanged)}\n");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string label, IReadOnlyList<string> names, string what)
    {
        if (names.Count == 0) return;
        sb.Append($"  {(label + ":").PadRight(10)} {string.Join(", ", names)} ({what})\n");
    }
}
