using System.Runtime.InteropServices;

namespace Taskmaster.Core.Processes.Native;

/// <summary>
/// One spawn through <c>libtaskmaster_spawn.so</c> (see <c>taskmaster_spawn.c</c>): clone(CLONE_VM|CLONE_VFORK), then
/// in the child only: every signal back to its default and an empty mask, a new session (pgid == sid == pid), stdin
/// from /dev/null and stdout/stderr onto the given pipes (or /dev/null), the umask, a soft descriptor limit of
/// 1024 (<see cref="ChildLimits"/>), the user's groups, gid and uid, the working directory (entered as
/// that user), every fd from 3 up closed at exec, then exec. No managed code runs in the child, and the daemon's own
/// credentials, umask and limits never change. A failure comes back synchronously with its errno and the step that
/// failed; the failed child is already reaped.
/// </summary>
internal static unsafe class NativeSpawn
{
    /// <summary>Returns 0 and the pid, or the errno of the failure and the step that failed.</summary>
    public static int Run(SpawnPlan plan, out int pid, out SpawnStub.Step failedStep)
    {
        using var strings = new NativeStrings();
        var groups = plan.User?.Groups ?? [];
        var limits = ChildLimits.Value;
        fixed (uint* g = groups)
        fixed (SpawnStub.Limit* l = limits)
        {
            var request = new SpawnStub.Request
            {
                Path = strings.Add(plan.Path),
                Argv = strings.AddArray(plan.Argv),
                Envp = strings.AddArray(plan.Environment),
                WorkDir = plan.WorkingDir is { } wd ? strings.Add(wd) : null,
                Groups = g,
                GroupCount = groups.Length,
                Limits = l,
                LimitCount = limits.Length,
                StdoutFd = plan.StdoutFd,
                StderrFd = plan.StderrFd,
                Umask = plan.Umask & 0x1FF,
                SetIds = plan.User is null ? 0 : 1,
                Uid = plan.User?.Uid ?? 0,
                Gid = plan.User?.Gid ?? 0,
                CgroupFd = plan.CgroupProcsFd,
            };
            var rc = SpawnStub.Run(&request, out pid);
            failedStep = rc == 0 ? SpawnStub.Step.None : (SpawnStub.Step)request.FailedStep;
            return rc;
        }
    }

    /// <summary>
    /// The limits every child gets instead of the daemon's. The .NET runtime raises its own soft descriptor limit to
    /// the hard limit before any of our code runs (the value the daemon was started with is gone by then), and a
    /// program written for <c>select()</c> breaks above 1024: children get the soft limit a login shell and systemd
    /// give a service, 1024 (or the hard limit when that is lower), and the same hard limit. Every other limit is
    /// inherited unchanged.
    /// </summary>
    private static readonly Lazy<SpawnStub.Limit[]> ChildLimits = new(() =>
    {
        const ulong ConventionalSoft = 1024;
        LibC.RLimit current;
        if (LibC.getrlimit(LibC.RLIMIT_NOFILE, &current) != 0) return [];
        return [new SpawnStub.Limit { Resource = LibC.RLIMIT_NOFILE, Soft = Math.Min(ConventionalSoft, current.Hard), Hard = current.Hard }];
    });

    /// <summary>The daemon's umask (the main thread's, which /proc/self shows), for children without their own.</summary>
    public static int DaemonUmask()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Umask:", StringComparison.Ordinal))
                return Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
        return 0x12; // 022
    }
}
