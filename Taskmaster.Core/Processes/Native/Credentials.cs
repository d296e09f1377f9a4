using System.Runtime.InteropServices;
using Tmds.Linux;
using Sys = Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes.Native;

/// <summary>The calling thread's ids and groups, changed with raw syscalls that affect only that thread
/// (glibc's wrappers would switch every thread of the daemon).</summary>
internal sealed record Credentials(uint[] Ids, uint[] Groups)
{
    private static (long SetGroups, long GetGroups, long SetResGid, long SetResUid, long GetResGid, long GetResUid) Numbers =>
        RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (116, 115, 119, 117, 120, 118),
            Architecture.Arm64 => (159, 158, 149, 147, 150, 148),
            var a => throw new PlatformNotSupportedException($"no credential syscall numbers for {a}"),
        };

    /// <summary>ruid, euid, suid, rgid, egid, sgid and the supplementary groups of this thread.</summary>
    public static unsafe Credentials Current()
    {
        var ids = new uint[6];
        fixed (uint* p = ids)
        {
            Syscall(Numbers.GetResUid, (long)p, (long)(p + 1), (long)(p + 2));
            Syscall(Numbers.GetResGid, (long)(p + 3), (long)(p + 4), (long)(p + 5));
        }
        var groups = new uint[65536];
        long n;
        fixed (uint* g = groups) n = RawSyscall(Numbers.GetGroups, groups.Length, (long)g, 0);
        return new Credentials(ids, n > 0 ? groups[..(int)n] : []);
    }

    /// <summary>Back to these ids and groups. False if any step failed (the thread must not be reused).</summary>
    public bool Restore() =>
        SetResUid(Ids[0], Ids[1], Ids[2]) == 0
        && SetResGid(Ids[3], Ids[4], Ids[5]) == 0
        && SetGroups(Groups) == 0;

    public static unsafe int SetGroups(uint[] groups)
    {
        fixed (uint* g = groups) return Syscall(Numbers.SetGroups, groups.Length, (long)g, 0);
    }

    public static int SetResGid(uint r, uint e, uint s) => Syscall(Numbers.SetResGid, r, e, s);
    public static int SetResUid(uint r, uint e, uint s) => Syscall(Numbers.SetResUid, r, e, s);

    /// <summary>0, or the errno.</summary>
    private static int Syscall(long number, long a, long b, long c) =>
        RawSyscall(number, a, b, c) == -1 ? Sys.errno : 0;

    private static unsafe long RawSyscall(long number, long a, long b, long c) =>
        (long)(ssize_t)Sys.syscall((syscall_arg)(void*)number, (syscall_arg)(void*)a, (syscall_arg)(void*)b, (syscall_arg)(void*)c);
}
