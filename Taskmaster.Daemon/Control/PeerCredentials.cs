using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Taskmaster.Daemon.Control;

/// <summary>
/// Who is on the other end of a Unix socket, as the kernel says: pid, uid and gid from SO_PEERCRED and the
/// supplementary groups from SO_PEERGROUPS, all as they were when the peer connected (not what /etc/group says now).
/// </summary>
public sealed partial record PeerCredentials(int Pid, uint Uid, uint Gid, IReadOnlyList<uint> Groups)
{
    private const int SolSocket = 1, SoPeerGroups = 59, Erange = 34;
    /// <summary>NGROUPS_MAX on Linux.</summary>
    private const int MaxGroups = 65536;

    public PeerCredentials(int pid, uint uid, uint gid) : this(pid, uid, gid, []) { }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int getsockopt(int fd, int level, int name, byte* value, uint* length);

    /// <summary>Read the peer's credentials; null when the kernel does not give them.</summary>
    public static PeerCredentials? Of(Socket socket)
    {
        if (Core.Protocol.SocketPeer.Of(socket) is not { } peer) return null;
        var groups = Groups_(socket);
        if (groups is null) return null;
        return new PeerCredentials(peer.Pid, peer.Uid, peer.Gid, groups);
    }

    /// <summary>SO_PEERGROUPS: an array of gid_t; ERANGE says how many bytes it needs. Null when unavailable.</summary>
    private static unsafe uint[]? Groups_(Socket socket)
    {
        var fd = (int)socket.Handle;
        var buffer = new byte[64 * sizeof(uint)];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var length = (uint)buffer.Length;
            int rc;
            fixed (byte* b = buffer) rc = getsockopt(fd, SolSocket, SoPeerGroups, b, &length);
            if (rc == 0)
            {
                var count = (int)Math.Min(length, (uint)buffer.Length) / sizeof(uint);
                return MemoryMarshal.Cast<byte, uint>(buffer.AsSpan(0, count * sizeof(uint))).ToArray();
            }
            if (Marshal.GetLastPInvokeError() != Erange || length <= buffer.Length || length > MaxGroups * sizeof(uint))
                return null;
            buffer = new byte[length];
        }
        return null;
    }
}

/// <summary>
/// Who may use the control socket (DESIGN §7): root, the daemon's own user, and processes that hold
/// <c>socket_group</c> as their effective or a supplementary group when they connect.
/// </summary>
public sealed record PeerPolicy(uint DaemonUid, uint? GroupId)
{
    public static PeerPolicy ForCurrentUser(uint? groupId) => new(UnixAccounts.geteuid(), groupId);

    public bool Allows(PeerCredentials peer) =>
        peer.Uid == 0
        || peer.Uid == DaemonUid
        || (GroupId is { } gid && (peer.Gid == gid || peer.Groups.Contains(gid)));

    /// <summary>Root and the daemon's own user: other users' connections cannot use up their share.</summary>
    public bool IsPrivileged(uint uid) => uid == 0 || uid == DaemonUid;
}
