using Taskmaster.Core.Processes;
using Taskmaster.Core.Processes.Families;

namespace Taskmaster.Core.Supervision;

/// <summary>
/// What a daemon does at start-up, before autostart, about the processes a previous daemon on the same socket left
/// running (it was killed, or crashed): finds them, stops them the way their program is stopped (stop signal, stop
/// time, SIGKILL) and says what it found. Two sources: the instance cgroups still populated under the daemon's cgroup
/// directory (exact: nothing escapes one), and the state file's pids, each checked against the start time it had
/// when recorded, so a recycled pid, now some unrelated process, is never touched.
/// Runs on the daemon's main thread before the actor system exists; waits at most the longest stop time involved
/// plus a few seconds.
/// </summary>
public static class LeftoverRecovery
{
    /// <summary>How to stop the leftovers of a program, by program name: the current config's stop signal and stop
    /// time; null for a program the config no longer has (then SIGTERM and 10 s).</summary>
    public delegate (int Signal, TimeSpan StopTime)? StopPolicy(string program);

    private sealed class Target
    {
        public required string What { get; init; }
        public string? Cgroup { get; init; }
        public int Leader { get; init; }
        public ulong StartTicks { get; init; }
        public required int Signal { get; init; }
        public required TimeSpan StopTime { get; init; }
        public bool Killed { get; set; }
    }

    public static void Run(StateSnapshot? snapshot, CgroupTree? tree, StopPolicy policy, Action<string> log)
    {
        var targets = new List<Target>();
        var handledCgroups = new HashSet<string>(StringComparer.Ordinal);
        if (tree is not null)
        {
            foreach (var dir in tree.PopulatedInstances())
            {
                var slot = Path.GetFileName(dir);
                var program = slot.Contains('@') ? slot[..slot.LastIndexOf('@')] : slot;
                var (signal, stopTime) = policy(program) ?? (Signals.SIGTERM, TimeSpan.FromSeconds(10));
                var count = CgroupTree.Processes(dir).Count;
                targets.Add(new Target { What = $"{slot} (cgroup {dir}, {count} process{(count == 1 ? "" : "es")})", Cgroup = dir, Signal = signal, StopTime = stopTime });
                handledCgroups.Add(dir);
            }
        }
        foreach (var r in snapshot?.Running ?? [])
        {
            if (r.Cgroup is { } c && tree is not null && c.StartsWith(tree.Root + "/", StringComparison.Ordinal))
                continue; // its cgroup says it all (and an empty one means nothing is left)
            if (ProcTable.Read(r.Pid) is not { } entry || entry.StartTicks != r.StartTicks || entry.State == 'Z')
                continue; // gone, or the number now belongs to another process
            var program = r.Name.Contains(':') ? r.Name[..r.Name.IndexOf(':')] : r.Name;
            var (signal, stopTime) = policy(program) ?? (r.StopSignal, r.StopTime);
            targets.Add(new Target { What = $"{r.Name} (pid {r.Pid})", Leader = r.Pid, StartTicks = r.StartTicks, Signal = signal, StopTime = stopTime });
        }
        if (targets.Count == 0) return;

        log($"found {targets.Count} instance(s) left running by a previous daemon on this socket: " +
            string.Join(", ", targets.Select(t => t.What)) + "; stopping them before autostart");
        var started = Environment.TickCount64;
        foreach (var t in targets)
        {
            Send(t, t.Signal);
            if (t.Signal != Signals.SIGCONT) Send(t, Signals.SIGCONT);
        }
        var longest = targets.Max(t => t.StopTime);
        var deadline = started + (long)longest.TotalMilliseconds + 5000;
        while (Environment.TickCount64 < deadline)
        {
            var alive = 0;
            foreach (var t in targets.Where(Alive))
            {
                alive++;
                if (!t.Killed && Environment.TickCount64 - started >= (long)t.StopTime.TotalMilliseconds)
                {
                    log($"{t.What}: still running {t.StopTime.TotalSeconds:0.###} s after {Signals.Name(t.Signal)}: SIGKILL");
                    Send(t, Signals.SIGKILL);
                    t.Killed = true;
                }
            }
            if (alive == 0) break;
            Thread.Sleep(50);
        }
        var still = targets.Count(Alive);
        if (still > 0) log($"{still} leftover instance(s) could not be stopped (stuck in the kernel?)");
        foreach (var t in targets.Where(t => t.Cgroup is not null)) CgroupTree.TryRemove(t.Cgroup!);
    }

    private static void Send(Target t, int signal)
    {
        if (t.Cgroup is { } dir)
        {
            CgroupTree.Signal(dir, signal);
            return;
        }
        // The group's number cannot be reused while any member lives (nor while the leader, checked by its start
        // time, does): signal the group only then.
        if (GroupIsOurs(t)) Tmds.Linux.LibC.kill(-t.Leader, signal);
    }

    private static bool Alive(Target t) => t.Cgroup is { } dir ? CgroupTree.Populated(dir) : GroupIsOurs(t);

    /// <summary>The leader lives (same start time), or it is gone and its group still has members: then no process
    /// can have been given the number since, because the group holds it.</summary>
    private static bool GroupIsOurs(Target t) =>
        LeaderIsOurs(t) || (ProcTable.Read(t.Leader) is null or { State: 'Z' } && GroupMembers(t.Leader) > 0);

    private static bool LeaderIsOurs(Target t) =>
        ProcTable.Read(t.Leader) is { } e && e.StartTicks == t.StartTicks && e.State != 'Z';

    private static int GroupMembers(int pgid) => ProcTable.All().Count(p => p.Pgid == pgid && p.State != 'Z');
}
