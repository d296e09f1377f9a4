using System.Net.Sockets;

namespace Taskmaster.Core.Protocol;

/// <summary>
/// SO_PEERCRED of a connected Unix socket: the pid, uid and gid of the process on the other end, as the kernel
/// recorded them at connect (client side: of the process that called listen). Used by the daemon to check its
/// clients and by the controller to check the daemon.
/// </summary>
public static class SocketPeer
{
    private const int SolSocket = 1, SoPeerCred = 17;

    /// <summary>The peer's credentials; null when the kernel does not give them.</summary>
    public static (int Pid, uint Uid, uint Gid)? Of(Socket socket)
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
        return (BitConverter.ToInt32(ucred[..4]), BitConverter.ToUInt32(ucred[4..8]), BitConverter.ToUInt32(ucred[8..12]));
    }
}
