using System.Net.Sockets;
using Taskmaster.Daemon.Hosting;

namespace Taskmaster.Daemon.Control;

/// <summary>Another daemon answers on the socket: this one must not start.</summary>
public sealed class AlreadyRunningException(string socketPath, int? pid)
    : DaemonStartupException(pid is { } p ? $"already running, pid {p} (socket {socketPath})" : $"already running (socket {socketPath})")
{
    public int? Pid { get; } = pid;
}

/// <summary>The socket cannot be created (bad directory, not a socket in the way, permissions, unknown group).</summary>
public sealed class ControlSocketException(string message, Exception? inner = null) : DaemonStartupException(message, inner);

/// <summary>
/// Creates the daemon's listening Unix socket (DESIGN §7): the directory (created with the socket's mode plus
/// search rights when missing), a stale socket from a dead daemon replaced, a live one refused, the file chmod'ed
/// to <c>socket_mode</c> and given to <c>socket_group</c>.
/// </summary>
public static class ControlSocket
{
    public const int Backlog = 512;

    /// <param name="mode">Permission bits of the socket file (0700 by default).</param>
    /// <param name="groupId">Group to give the socket and its new directory to, or null.</param>
    /// <exception cref="AlreadyRunningException">A live daemon answers on <paramref name="path"/>.</exception>
    /// <exception cref="ControlSocketException">Anything else that prevents listening.</exception>
    public static Socket Bind(string path, int mode, uint? groupId)
    {
        path = Path.GetFullPath(path);
        EnsureDirectory(Path.GetDirectoryName(path)!, mode, groupId);
        RemoveStale(path);

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)(mode & 0x1FF));
            if (groupId is { } gid) UnixAccounts.ChangeGroup(path, gid);
            socket.Listen(Backlog);
            return socket;
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new ControlSocketException($"cannot listen on {path}: {e.Message}", e);
        }
    }

    private static void EnsureDirectory(string dir, int mode, uint? groupId)
    {
        if (Directory.Exists(dir)) return;
        try
        {
            // Whoever may use the socket must be able to reach it: give the directory search (x) where the mode reads or writes.
            var bits = mode & 0x1FF;
            bits |= (bits & 0x1C0) != 0 ? 0x40 : 0;
            bits |= (bits & 0x38) != 0 ? 0x8 : 0;
            bits |= (bits & 0x7) != 0 ? 0x1 : 0;
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else Directory.CreateDirectory(dir, (UnixFileMode)bits);
            if (groupId is { } gid) UnixAccounts.ChangeGroup(dir, gid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ControlSocketException($"cannot create the socket directory {dir}: {e.Message}", e);
        }
    }

    /// <summary>Leave the path free for bind: remove a socket nobody answers on; refuse if someone does.</summary>
    private static void RemoveStale(string path)
    {
        var type = FileType(path);
        if (type == NoFile) return;
        if (type != SocketType_)
            throw new ControlSocketException($"cannot listen on {path}: it exists and is not a socket");

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw new AlreadyRunningException(path, PeerCredentials.Of(probe)?.Pid);
        }
        catch (SocketException)
        {
            // Nobody listens: a stale socket left by a dead daemon.
            File.Delete(path);
        }
    }

    private const int NoFile = -1, SocketType_ = 0xC000;

    /// <summary>The S_IFMT bits of <paramref name="path"/> (not following a symlink), or <see cref="NoFile"/>.</summary>
    private static unsafe int FileType(string path)
    {
        var st = new Tmds.Linux.stat();
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            if (Tmds.Linux.LibC.lstat(p, &st) != 0) return NoFile;
        }
        return (int)(st.st_mode & 0xF000);
    }

    /// <summary>Close the listener and remove the socket file if it is still the one we bound.</summary>
    public static void Close(Socket listener, string path)
    {
        listener.Dispose();
        try
        {
            if (FileType(path) == SocketType_) File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
