using System.Runtime.InteropServices;

namespace Taskmaster.Daemon.Control;

/// <summary>The few libc account and file calls the control socket needs (reentrant variants).</summary>
internal static unsafe partial class UnixAccounts
{
    private const int BufferSize = 64 * 1024;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int getgrnam_r(string name, byte* grp, byte* buf, nuint buflen, nint* result);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, uint owner, uint group);

    [LibraryImport("libc")]
    internal static partial uint geteuid();

    /// <summary>The gid of a group name (or a numeric gid), or null when there is no such group.</summary>
    public static unsafe uint? GroupId(string nameOrNumber)
    {
        if (uint.TryParse(nameOrNumber, out var numeric)) return numeric;
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; } on LP64.
        var grp = stackalloc byte[32];
        var buf = new byte[BufferSize];
        nint result;
        fixed (byte* b = buf)
        {
            if (getgrnam_r(nameOrNumber, grp, b, (nuint)buf.Length, &result) != 0 || result == 0) return null;
            return *(uint*)(grp + 16);
        }
    }

    /// <summary>Give <paramref name="path"/> to group <paramref name="gid"/> (owner unchanged).</summary>
    public static void ChangeGroup(string path, uint gid)
    {
        if (chown(path, uint.MaxValue, gid) != 0)
            throw new IOException($"cannot give {path} to group {gid}: {Marshal.GetLastPInvokeErrorMessage()}");
    }
}
