using Tmds.Linux;
using Sys = Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes.Native;

/// <summary>
/// Spawns with a umask and/or another user without touching the daemon's own umask or credentials.
/// <para>posix_spawn can set neither, and in libc terms both are process-wide: setting umask around the spawn races
/// every other thread that creates a file (PLATFORM.md: 2488 of 7195 files got the wrong mode), and glibc's
/// setresuid switches every thread of the daemon. But the kernel keeps both per thread: a thread that called
/// <c>unshare(CLONE_FS)</c> has its own umask (and cwd), and the raw setgroups/setresgid/setresuid syscalls change
/// only the calling thread. posix_spawn's clone copies the calling thread's fs and credentials into the child.</para>
/// <para>So these spawns run on one long-lived thread that isolated its fs at start. Per spawn it sets the umask,
/// and for a user: supplementary groups, then real/effective/saved gid, then real and effective uid (the saved uid
/// stays 0 so the thread can switch back); then posix_spawn, then it restores uid, gid and groups. The child keeps
/// saved uid 0 only until its exec, which sets saved to effective ids and, for a non-root uid, leaves it no
/// capabilities. If a restore ever fails the thread finishes that spawn and retires; the next one starts afresh.
/// Cost (bench/): see the README's process-layer section; a fresh thread per spawn cost about 1.5 ms more, an
/// <c>sh -c 'umask …; exec'</c> step about 1 ms, <c>setpriv</c> about 1.2 ms.</para>
/// Spawns that set neither run directly on the caller's thread (no hand-off).
/// </summary>
internal static class IsolatedSpawn
{
    private static readonly object Gate = new();
    private static readonly Queue<Job> Jobs = new();
    private static bool running;

    private sealed class Job(SpawnPlan plan)
    {
        public SpawnPlan Plan { get; } = plan;
        public int Rc { get; set; }
        public int Pid { get; set; }
        public ManualResetEventSlim Done { get; } = new(false, spinCount: 0);
    }

    /// <summary>Returns 0 and the pid, or the errno of the failure (of the isolation or of posix_spawn).</summary>
    public static int Run(SpawnPlan plan, out int pid)
    {
        var job = new Job(plan);
        lock (Gate)
        {
            Jobs.Enqueue(job);
            if (!running)
            {
                running = true;
                new Thread(Loop, 256 * 1024) { IsBackground = true, Name = "taskmaster-isolated-spawn" }.UnsafeStart();
            }
            else
            {
                Monitor.Pulse(Gate);
            }
        }
        job.Done.Wait();
        job.Done.Dispose();
        pid = job.Pid;
        return job.Rc;
    }

    private static void Loop()
    {
        var isolation = Sys.unshare(Sys.CLONE_FS) == 0 ? 0 : Sys.errno;
        var original = Credentials.Current();
        var healthy = true;
        while (healthy)
        {
            Job job;
            lock (Gate)
            {
                while (Jobs.Count == 0) Monitor.Wait(Gate);
                job = Jobs.Dequeue();
            }
            var rc = isolation;
            if (rc == 0) rc = Apply(job.Plan);
            var pid = 0;
            if (rc == 0) rc = NativeSpawn.Run(job.Plan, out pid);
            if (job.Plan.User is not null) healthy = original.Restore();
            job.Rc = rc;
            job.Pid = pid;
            job.Done.Set();
        }
        lock (Gate)
        {
            running = false;
            if (Jobs.Count > 0)
            {
                running = true;
                new Thread(Loop, 256 * 1024) { IsBackground = true, Name = "taskmaster-isolated-spawn" }.UnsafeStart();
            }
        }
    }

    private static int Apply(SpawnPlan plan)
    {
        Sys.umask((ushort)((plan.Umask ?? DaemonUmask()) & 0x1ff));
        if (plan.User is not { } user) return 0;
        if (Credentials.SetGroups(user.Groups) is var e1 and not 0) return e1;
        if (Credentials.SetResGid(user.Gid, user.Gid, user.Gid) is var e2 and not 0) return e2;
        return Credentials.SetResUid(user.Uid, user.Uid, 0);
    }

    /// <summary>The daemon's umask (the main thread's, which /proc/self shows).</summary>
    private static int DaemonUmask()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Umask:", StringComparison.Ordinal))
                return Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
        return 0x12; // 022
    }
}
