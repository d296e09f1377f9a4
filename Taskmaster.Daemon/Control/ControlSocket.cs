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
/// Creates the daemon's listening Unix socket (DESIGN §7): the directory (created owner-only, with search rights
/// for group or others when the socket's mode gives them access), a stale socket from a dead daemon replaced, a
/// live one refused, the file chmod'ed to <c>socket_mode</c> and given to <c>socket_group</c>.
/// The directory is checked before anything is bound or removed: the default per-user directory must be a real
/// directory (not a symlink) owned by the daemon's uid and writable by nobody else (someone who could write it could
/// put their own socket there and read what controllers send); any other directory must not be writable by others
/// unless it is sticky (/tmp). Only a socket file owned by the daemon's uid is ever removed.
/// </summary>
public static class ControlSocket
{
    public const int Backlog = 512;

    private const int IfMt = 0xF000, IfDir = 0x4000, IfLnk = 0xA000, IfSock = 0xC000;
    private const int GroupWrite = 0x10, OtherWrite = 0x2, Sticky = 0x200;

    /// <summary>What lstat/stat says about a path.</summary>
    private readonly record struct FileInfo(int Mode, uint Uid, ulong Device, ulong Inode)
    {
        public int Type => Mode & IfMt;
    }

    /// <summary>The files this process bound (device, inode), so that <see cref="Close"/> removes only those.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ulong, ulong)> Bound = new();

    /// <param name="mode">Permission bits of the socket file (0700 by default).</param>
    /// <param name="groupId">Group to give the socket and its new directory to, or null.</param>
    /// <param name="privateDirectory">The socket's directory is the daemon's own (the default per-user directory):
    /// it must be owned by the daemon's uid, not a symlink, and not writable by group or others.</param>
    /// <exception cref="AlreadyRunningException">A live daemon answers on <paramref name="path"/>.</exception>
    /// <exception cref="ControlSocketException">Anything else that prevents listening.</exception>
    public static Socket Bind(string path, int mode, uint? groupId, bool privateDirectory = false)
    {
        path = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(path)!;
        EnsureDirectory(dir, mode, groupId);
        CheckDirectory(dir, privateDirectory);
        RemoveStale(path);

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (Stat(path, follow: false) is { Type: IfSock } bound) Bound[path] = (bound.Device, bound.Inode);
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
        if (Stat(dir, follow: false) is not null) return;
        try
        {
            // Only the owner may write the directory; whoever may use the socket gets search (x) on it, which is all
            // connect(2) needs.
            var bits = 0x1C0;
            bits |= (mode & 0x38) != 0 ? 0x8 : 0;
            bits |= (mode & 0x7) != 0 ? 0x1 : 0;
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else Directory.CreateDirectory(dir, (UnixFileMode)bits);
            if (groupId is { } gid) UnixAccounts.ChangeGroup(dir, gid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ControlSocketException($"cannot create the socket directory {dir}: {e.Message}", e);
        }
    }

    /// <summary>Refuse a directory in which someone else could replace the socket.</summary>
    private static void CheckDirectory(string dir, bool privateDirectory)
    {
        var uid = UnixAccounts.geteuid();
        if (privateDirectory)
        {
            var st = Stat(dir, follow: false)
                     ?? throw new ControlSocketException($"cannot use the socket directory {dir}: it does not exist");
            if (st.Type == IfLnk)
                throw new ControlSocketException($"refusing the socket directory {dir}: it is a symbolic link; remove it");
            if (st.Type != IfDir)
                throw new ControlSocketException($"refusing the socket directory {dir}: it is not a directory");
            if (st.Uid != uid)
                throw new ControlSocketException(
                    $"refusing the socket directory {dir}: it belongs to uid {st.Uid}, not to this daemon's uid {uid}; " +
                    "someone else may have created it: remove it or choose another socket");
            if ((st.Mode & (GroupWrite | OtherWrite)) != 0)
                throw new ControlSocketException(
                    $"refusing the socket directory {dir}: it is writable by group or others (mode {Octal(st.Mode)}); " +
                    $"chmod 700 {dir} or remove it");
            return;
        }
        var parent = Stat(dir, follow: true)
                     ?? throw new ControlSocketException($"cannot use the socket directory {dir}: it does not exist");
        if (parent.Type != IfDir)
            throw new ControlSocketException($"refusing the socket directory {dir}: it is not a directory");
        if ((parent.Mode & OtherWrite) != 0 && (parent.Mode & Sticky) == 0)
            throw new ControlSocketException(
                $"refusing the socket directory {dir}: it is writable by others and not sticky (mode {Octal(parent.Mode)}), " +
                "so anyone could replace the socket");
    }

    private static string Octal(int mode) => "0" + Convert.ToString(mode & 0xFFF, 8);

    /// <summary>Leave the path free for bind: remove a socket of ours nobody answers on; refuse if someone does.</summary>
    private static void RemoveStale(string path)
    {
        if (Stat(path, follow: false) is not { } st) return;
        if (st.Type != IfSock)
            throw new ControlSocketException($"cannot listen on {path}: it exists and is not a socket");
        var uid = UnixAccounts.geteuid();
        if (st.Uid != uid)
            throw new ControlSocketException(
                $"cannot listen on {path}: a socket of uid {st.Uid} is in the way (this daemon runs as uid {uid}); not removing it");

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw new AlreadyRunningException(path, PeerCredentials.Of(probe)?.Pid);
        }
        catch (SocketException)
        {
            // Nobody listens: a stale socket left by a dead daemon, ours (checked above, in a directory nobody
            // else may write).
            File.Delete(path);
        }
    }

    /// <summary>lstat (or stat when <paramref name="follow"/>) of <paramref name="path"/>, or null when it does not exist.</summary>
    private static unsafe FileInfo? Stat(string path, bool follow)
    {
        var st = new Tmds.Linux.stat();
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            var rc = follow ? Tmds.Linux.LibC.stat(p, &st) : Tmds.Linux.LibC.lstat(p, &st);
            if (rc != 0) return null;
        }
        return new FileInfo((int)st.st_mode, (uint)st.st_uid, (ulong)st.st_dev, (ulong)st.st_ino);
    }

    /// <summary>Close the listener and remove the socket file if it is still the one we bound.</summary>
    public static void Close(Socket listener, string path)
    {
        listener.Dispose();
        try
        {
            path = Path.GetFullPath(path);
            if (Bound.TryRemove(path, out var ours) && Stat(path, follow: false) is { Type: IfSock } st
                && (st.Device, st.Inode) == ours)
                File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
