using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Taskmaster.Core.Processes.Native;

/// <summary>
/// One <c>posix_spawn</c> call: new session (pgid == sid == pid), every signal back to its default and an empty mask,
/// stdin from /dev/null, stdout/stderr onto the given pipes (or /dev/null), the working directory, and every fd from
/// 3 up closed in the child (<c>addclosefrom_np</c>), so nothing the daemon inherited leaks into programs.
/// glibc runs it as clone(CLONE_VM|CLONE_VFORK)+exec: no managed code runs in the child, and a failure (ENOENT,
/// EACCES, ENOEXEC, a failed chdir) comes back synchronously as the return value with no zombie left behind.
/// </summary>
internal static unsafe class NativeSpawn
{
    private const int O_RDONLY = 0, O_WRONLY = 1;

    /// <summary>Returns 0 and the pid, or the errno of the failure.</summary>
    public static int Run(SpawnPlan plan, out int pid)
    {
        pid = 0;
        using var strings = new NativeStrings();
        var attr = NativeMemory.AllocZeroed(LibC.SpawnAttrSize);
        var actions = NativeMemory.AllocZeroed(LibC.FileActionsSize);
        var sigdefault = (byte*)NativeMemory.AllocZeroed(LibC.SigSetSize);
        var sigmask = (byte*)NativeMemory.AllocZeroed(LibC.SigSetSize);
        try
        {
            LibC.posix_spawnattr_init(attr);
            LibC.posix_spawn_file_actions_init(actions);
            LibC.FillSignalSet(sigdefault);
            Check(LibC.posix_spawnattr_setsigdefault(attr, sigdefault));
            Check(LibC.posix_spawnattr_setsigmask(attr, sigmask));
            Check(LibC.posix_spawnattr_setflags(attr,
                LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK));

            var devNull = strings.Add("/dev/null");
            Check(LibC.posix_spawn_file_actions_addopen(actions, 0, devNull, O_RDONLY, 0));
            Redirect(actions, 1, plan.StdoutFd, devNull);
            Redirect(actions, 2, plan.StderrFd, devNull);
            if (plan.WorkingDir is { } wd)
                Check(LibC.posix_spawn_file_actions_addchdir_np(actions, strings.Add(wd)));
            Check(LibC.posix_spawn_file_actions_addclosefrom_np(actions, 3));

            var path = strings.Add(plan.Path);
            var argv = strings.AddArray(plan.Argv);
            var envp = strings.AddArray(plan.Environment);
            int child;
            var rc = LibC.posix_spawn(&child, path, actions, attr, argv, envp);
            if (rc == 0) pid = child;
            return rc;
        }
        catch (SpawnSetupException e)
        {
            return e.Errno;
        }
        finally
        {
            LibC.posix_spawn_file_actions_destroy(actions);
            LibC.posix_spawnattr_destroy(attr);
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(sigdefault);
            NativeMemory.Free(sigmask);
        }
    }

    private static void Redirect(void* actions, int target, int fd, byte* devNull) =>
        Check(fd < 0
            ? LibC.posix_spawn_file_actions_addopen(actions, target, devNull, O_WRONLY, 0)
            : LibC.posix_spawn_file_actions_adddup2(actions, fd, target));

    private static void Check(int rc)
    {
        if (rc != 0) throw new SpawnSetupException(rc);
    }

    private sealed class SpawnSetupException(int errno) : Exception
    {
        public int Errno { get; } = errno;
    }
}
