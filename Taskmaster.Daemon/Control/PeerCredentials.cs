using System.Net.Sockets;

namespace Taskmaster.Daemon.Control;

/// <summary>Who is on the other end of a Unix socket, as the kernel says (SO_PEERCRED).</summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1, SoPeerCred = 17;

    /// <summary>Read the peer's credentials; null when the kernel does not give them.</summary>
    public static PeerCredentials? Of(Socket socket)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> ucred = stackalloc byte[12];
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) != 12) return null;
        }
        catch (SocketException)
        {
            return null;
        }
        return new PeerCredentials(
            BitConverter.ToInt32(ucred[..4]), BitConverter.ToUInt32(ucred[4..8]), BitConverter.ToUInt32(ucred[8..12]));
    }
}

/// <summary>
/// Who may use the control socket (DESIGN §7): root, the daemon's own user, and members of <c>socket_group</c>.
/// </summary>
public sealed record PeerPolicy(uint DaemonUid, uint? GroupId)
{
    public static PeerPolicy ForCurrentUser(uint? groupId) => new(UnixAccounts.geteuid(), groupId);

    public bool Allows(PeerCredentials peer) =>
        peer.Uid == 0
        || peer.Uid == DaemonUid
        || (GroupId is { } gid && (peer.Gid == gid || UnixAccounts.UserInGroup(peer.Uid, gid)));
}
