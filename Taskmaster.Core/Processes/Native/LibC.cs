using System.Runtime.InteropServices;

namespace Taskmaster.Core.Processes.Native;

/// <summary>
/// libc calls that Tmds.LibC does not bind (posix_spawn*, pidfd_open, waitid, getpwnam_r, getgrouplist, signal),
/// plus the raw per-thread credential syscalls. Constants and sizes are glibc 2.36 / Linux (PLATFORM.md).
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    public const int SpawnAttrSize = 336, FileActionsSize = 80, SigSetSize = 128, SigInfoSize = 128;
    public const int P_PIDFD = 3, WEXITED = 4, WNOHANG = 1;
    public const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
    public const int SiCodeOffset = 8, SiPidOffset = 16, SiStatusOffset = 24;

    [LibraryImport(Lib)] public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_init(void* attr);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_init(void* actions);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_destroy(void* actions);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int oflag, uint mode);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int from);

    [LibraryImport(Lib, SetLastError = true)] public static partial int pidfd_open(int pid, uint flags);
    [LibraryImport(Lib, SetLastError = true)] public static partial int waitid(int idtype, int id, void* siginfo, int options);
    [LibraryImport(Lib, SetLastError = true)] public static partial int waitpid(int pid, int* status, int options);
    [LibraryImport(Lib)] public static partial nint signal(int signum, nint handler);
    /// <summary>struct sigaction is 152 bytes on x86_64 and arm64 glibc, sa_handler first.</summary>
    public const int SigActionSize = 152;
    [LibraryImport(Lib)] public static partial int sigaction(int signum, void* act, void* oldact);

    [LibraryImport(Lib)] public static partial int getpwnam_r(byte* name, Passwd* pwd, byte* buf, nuint buflen, Passwd** result);
    [LibraryImport(Lib)] public static partial int getpwuid_r(uint uid, Passwd* pwd, byte* buf, nuint buflen, Passwd** result);
    [LibraryImport(Lib)] public static partial int getgrouplist(byte* user, uint group, uint* groups, int* ngroups);

    /// <summary>struct passwd (x86_64 / arm64 layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Passwd
    {
        public byte* Name, Password;
        public uint Uid, Gid;
        public byte* Gecos, Dir, Shell;
    }


    /// <summary>Fills a sigset_t with signals 1–64 except SIGKILL and SIGSTOP (glibc's sigfillset leaves out 32, 33).</summary>
    public static void FillSignalSet(byte* set)
    {
        new Span<byte>(set, SigSetSize).Clear();
        var bits = (ulong*)set;
        for (var sig = 1; sig <= 64; sig++)
            if (sig is not (9 or 19)) bits[0] |= 1UL << (sig - 1);
    }
}
