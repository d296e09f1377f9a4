using System.Runtime.InteropServices;

namespace Taskmaster.Core.Processes.Families;

/// <summary>
/// How the daemon keeps track of everything an instance starts, so that all of it can be stopped together: a cgroup
/// v2 per instance where the daemon can create one (nothing escapes it), else the instance's process group plus,
/// with <c>PR_SET_CHILD_SUBREAPER</c>, the descendants that left the group and were re-parented to the daemon
/// (found by the <c>TASKMASTER_PROCESS_NAME</c> variable every child gets, and reaped by the daemon).
/// </summary>
public sealed partial class FamilyTracking
{
    private FamilyTracking(CgroupTree? cgroups, bool subreaper, string description)
    {
        Cgroups = cgroups;
        Subreaper = subreaper;
        Description = description;
    }

    /// <summary>Null: process groups (see <see cref="Subreaper"/>).</summary>
    public CgroupTree? Cgroups { get; }

    /// <summary>The daemon is a child subreaper: orphaned descendants of its programs become its children.</summary>
    public bool Subreaper { get; }

    /// <summary>One line for the start-up log and <c>taskmasterctl version</c>.</summary>
    public string Description { get; }

    /// <summary>Process groups only, no subreaper: what a test host or library user gets by default.</summary>
    public static readonly FamilyTracking ProcessGroups = new(null, false, "process groups");

    /// <summary>A cgroup tree (tests use their own).</summary>
    public static FamilyTracking InCgroups(CgroupTree tree) => new(tree, false, $"cgroup v2 ({tree.Root})");

    /// <summary>
    /// What the daemon uses: cgroup v2 when <paramref name="useCgroups"/> and a subtree can be created (named after
    /// <paramref name="key"/>, the control socket's path), else process groups with the daemon as child subreaper.
    /// Call once, before the first spawn.
    /// </summary>
    public static FamilyTracking ForDaemon(string key, bool useCgroups)
    {
        string? why = "cgroups: off in the config";
        var tree = useCgroups ? CgroupTree.Create(key, out why) : null;
        if (tree is not null) return InCgroups(tree);
        const int PR_SET_CHILD_SUBREAPER = 36;
        var subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
        return new FamilyTracking(null, subreaper,
            $"process groups{(subreaper ? " and a child subreaper" : "")} (no cgroup: {why})");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}

/// <summary>Everything one instance started: how to signal it and how to tell whether any of it is left.</summary>
internal abstract class ChildFamily
{
    /// <summary>Signals every live member, the leader included while it is alive; how many were signalled.</summary>
    public abstract int Signal(int leader, int signal);

    /// <summary>Members alive besides the leader (zombies do not count).</summary>
    public abstract int Leftovers(int leader);

    /// <summary>Called once nothing is left and the leader is reaped.</summary>
    public virtual void Release() { }
}

/// <summary>A cgroup of its own: exact, and <c>cgroup.kill</c> for the final SIGKILL.</summary>
internal sealed class CgroupFamily(string directory) : ChildFamily
{
    public string Directory { get; } = directory;

    public override int Signal(int leader, int signal) => CgroupTree.Signal(Directory, signal);

    public override int Leftovers(int leader) =>
        CgroupTree.Populated(Directory) ? CgroupTree.Processes(Directory).Count(p => p != leader) : 0;

    public override void Release() => CgroupTree.TryRemove(Directory);
}

/// <summary>
/// The leader's process group, every descendant of the leader (a <c>setsid()</c> child of a live process is still
/// its descendant), and, when the daemon is a subreaper, processes re-parented to the daemon that carry this
/// instance's <c>TASKMASTER_PROCESS_NAME</c> (a double fork whose middle process exited), with their descendants.
/// Found by a scan of <c>/proc</c>, so it is only done when signalling or cleaning up, never periodically per
/// instance.
/// </summary>
internal sealed class GroupFamily(string instance, bool subreaper) : ChildFamily
{
    private readonly string marker = InstanceVariable.Entry(instance);

    public override int Signal(int leader, int signal)
    {
        var sent = Tmds.Linux.LibC.kill(-leader, signal) == 0 ? 1 : 0;
        foreach (var p in Members(leader))
            if (p.Pgid != leader && Tmds.Linux.LibC.kill(p.Pid, signal) == 0) sent++;
        return sent;
    }

    /// <summary>Also reaps the members that are zombies and children of the daemon (killed orphans).</summary>
    public override unsafe int Leftovers(int leader)
    {
        var self = Environment.ProcessId;
        var live = 0;
        var info = stackalloc byte[Native.LibC.SigInfoSize];
        foreach (var p in Members(leader))
        {
            if (p.Pid == leader) continue;
            if (p.State != 'Z') live++;
            else if (p.Ppid == self) Native.LibC.waitid(Native.LibC.P_PID, p.Pid, info, Native.LibC.WEXITED | Native.LibC.WNOHANG);
        }
        return live;
    }

    private List<ProcEntry> Members(int leader)
    {
        var all = ProcTable.All();
        var self = Environment.ProcessId;
        var members = new HashSet<int>();
        var children = new Dictionary<int, List<int>>();
        foreach (var p in all)
        {
            if (!children.TryGetValue(p.Ppid, out var list)) children[p.Ppid] = list = [];
            list.Add(p.Pid);
            if (p.Pgid == leader || p.Pid == leader) members.Add(p.Pid);
            else if (subreaper && p.Ppid == self && ProcTable.HasEnvironmentEntry(p.Pid, marker) && !ExitWatcher.Shared.IsLeader(p.Pid)) members.Add(p.Pid);
        }
        var queue = new Queue<int>(members);
        while (queue.Count > 0)
            if (children.TryGetValue(queue.Dequeue(), out var kids))
                foreach (var kid in kids)
                    if (members.Add(kid)) queue.Enqueue(kid);
        return all.Where(p => members.Contains(p.Pid)).ToList();
    }
}

/// <summary>The variable every child gets with its instance name (like supervisord's SUPERVISOR_PROCESS_NAME); the
/// process-group tracking also uses it to recognise a program's orphans.</summary>
public static class InstanceVariable
{
    public const string Name = "TASKMASTER_PROCESS_NAME";

    public static string Entry(string instance) => Name + "=" + instance;
}
