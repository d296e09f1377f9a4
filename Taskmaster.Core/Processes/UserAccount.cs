using System.Runtime.InteropServices;
using System.Text;
using Taskmaster.Core.Processes.Native;

namespace Taskmaster.Core.Processes;

/// <summary>What a child needs to run as another user: ids, supplementary groups and the login environment.</summary>
internal sealed record UserAccount(string Name, uint Uid, uint Gid, uint[] Groups, string Home, string Shell)
{
    /// <summary>Looks a user up by name, or by number when the text is all digits. Null when unknown.</summary>
    public static unsafe UserAccount? Find(string user)
    {
        LibC.Passwd pwd;
        LibC.Passwd* result = null;
        var size = 16384;
        while (true)
        {
            var buf = new byte[size];
            int rc;
            fixed (byte* b = buf)
            {
                if (uint.TryParse(user, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var uid))
                    rc = LibC.getpwuid_r(uid, &pwd, b, (nuint)buf.Length, &result);
                else
                {
                    var name = Encoding.UTF8.GetBytes(user + "\0");
                    fixed (byte* n = name) rc = LibC.getpwnam_r(n, &pwd, b, (nuint)buf.Length, &result);
                }
                if (rc == 34 /* ERANGE */ && size < 1 << 20) { size *= 4; continue; }
                if (rc != 0 || result == null) return null;
                var account = new UserAccount(
                    Marshal.PtrToStringUTF8((nint)pwd.Name) ?? user, pwd.Uid, pwd.Gid, [],
                    Marshal.PtrToStringUTF8((nint)pwd.Dir) ?? "/",
                    Marshal.PtrToStringUTF8((nint)pwd.Shell) is { Length: > 0 } shell ? shell : "/bin/sh");
                return account with { Groups = GroupsOf(account.Name, account.Gid) };
            }
        }
    }

    private static unsafe uint[] GroupsOf(string name, uint gid)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        var count = 64;
        while (true)
        {
            var groups = new uint[count];
            var n = count;
            int rc;
            fixed (byte* u = bytes)
            fixed (uint* g = groups)
                rc = LibC.getgrouplist(u, gid, g, &n);
            if (rc >= 0) return groups[..n];
            if (n <= count) return [gid];
            count = n;
        }
    }
}
