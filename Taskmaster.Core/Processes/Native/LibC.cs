using System.Runtime.InteropServices;

namespace Taskmaster.Core.Processes.Native;

/// <summary>
/// libc calls that Tmds.LibC does not bind (pidfd_open, waitid, getpwnam_r, getgrouplist, signal, getrlimit).
/// Constants and sizes are glibc 2.36 / Linux.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int SigInfoSize = 128;
    public const int P_PID = 1, P_PIDFD = 3, WEXITED = 4, WNOHANG = 1, WNOWAIT = 0x01000000;
    public const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
    public const int SiCodeOffset = 8, SiPidOffset = 16, SiStatusOffset = 24;

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

    public const int RLIMIT_NOFILE = 7;
    [LibraryImport(Lib)] public static partial int getrlimit(int resource, RLimit* limit);

    [LibraryImport(Lib, SetLastError = true)] public static partial int renameat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)] public static partial nint opendir(string name);
    [LibraryImport(Lib)] public static partial nint readdir(nint dir);
    [LibraryImport(Lib)] public static partial int closedir(nint dir);

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Soft, Hard;
    }

    /// <summary>struct passwd (x86_64 / arm64 layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Passwd
    {
        public byte* Name, Password;
        public uint Uid, Gid;
        public byte* Gecos, Dir, Shell;
    }
}
