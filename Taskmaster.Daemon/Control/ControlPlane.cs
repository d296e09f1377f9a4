using Taskmaster.Core.Processes;
using System.Net.Sockets;
using Akka.Actor;
using Taskmaster.Core.Config;
using Taskmaster.Daemon.Hosting;

namespace Taskmaster.Daemon.Control;

/// <summary>
/// Starts the control plane inside the daemon: resolves and binds the socket (errors here are startup errors:
/// socket in use, bad directory, unknown group), starts the listener actor, writes the pid file and, in a
/// detached daemon, tells the waiting parent that we are up.
/// </summary>
public static class ControlPlane
{
    /// <summary><c>--socket</c> &gt; config <c>taskmasterd.socket</c> &gt; <c>TASKMASTER_SOCKET</c> &gt; the default.</summary>
    public static string SocketPath(string? socketOption, DaemonSettings settings)
    {
        if (!string.IsNullOrEmpty(socketOption)) return Path.GetFullPath(socketOption);
        if (!string.IsNullOrEmpty(settings.Socket)) return Path.GetFullPath(settings.Socket);
        return Path.GetFullPath(DefaultPaths.SocketFromEnvironmentOrDefault());
    }

    /// <summary>
    /// Bind the socket, before any program starts: a live daemon on it, a bad directory or an unknown group stop
    /// the start-up here.
    /// </summary>
    /// <exception cref="AlreadyRunningException">Another daemon answers on the socket.</exception>
    /// <exception cref="ControlSocketException">The socket cannot be created.</exception>
    public static BoundControlSocket Bind(string? socketOption, DaemonSettings settings)
    {
        var path = SocketPath(socketOption, settings);
        uint? gid = null;
        if (settings.SocketGroup is { } group)
            gid = UnixAccounts.GroupId(group) ?? throw new ControlSocketException($"socket_group: no such group '{group}'");
        return new BoundControlSocket(path, ControlSocket.Bind(path, settings.SocketMode, gid, IsDefaultDirectory(path)), gid, settings.PidFile);
    }

    /// <summary>The socket sits in the daemon's default directory (<c>/tmp/taskmaster-$UID</c>,
    /// <c>$XDG_RUNTIME_DIR/taskmaster</c>, <c>/run/taskmaster</c>), which must be the daemon's own.</summary>
    public static bool IsDefaultDirectory(string socketPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(socketPath));
        var defaultDir = Path.GetDirectoryName(Path.GetFullPath(DefaultPaths.Socket()));
        return dir is not null && string.Equals(dir.TrimEnd('/'), defaultDir?.TrimEnd('/'), StringComparison.Ordinal);
    }
}

/// <summary>The bound control socket, waiting for the ConfigActor; disposing it removes the pid file and, if no
/// listener took it, the socket.</summary>
public sealed class BoundControlSocket(string path, Socket socket, uint? groupId, string? configPidFile) : IDisposable
{
    private bool _listening;

    public string Path { get; } = path;

    /// <summary>Start the listener actor, write the pid file, and tell a waiting parent that we are up.</summary>
    /// <param name="requestExit">How a <c>shutdown</c> request ends the daemon (e.g. StopApplication).</param>
    /// <param name="processTracking">How programs' processes are tracked, for <c>version</c>.</param>
    public IActorRef Start(ActorSystem system, IActorRef configActor, string? pidFileOption, Action requestExit,
        string? processTracking = null)
    {
        var settings = new ControlSettings(configActor, PeerPolicy.ForCurrentUser(groupId), requestExit)
        {
            ProcessTracking = processTracking,
        };
        var listener = system.ActorOf(ControlListenerActor.Props(socket, Path, settings), "control");
        _listening = true;
        if ((pidFileOption ?? configPidFile) is { } pidFile) PidFile.Write(pidFile);
        Daemonizer.NotifyReady();
        return listener;
    }

    public void Dispose()
    {
        if (!_listening) ControlSocket.Close(socket, Path);
        PidFile.Remove();
    }
}

/// <summary><c>--pidfile</c>: the daemon's pid, written once the socket is up and removed at exit.</summary>
public static class PidFile
{
    private static string? _written;

    /// <summary>Writes the pid without following a path another user controls (see <see cref="SafeFile"/>); a
    /// refused or failed path is logged and the daemon runs on without one.</summary>
    public static void Write(string path)
    {
        path = Path.GetFullPath(path);
        try
        {
            var fd = SafeFile.OpenForWrite(path, truncate: true);
            using (var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 1))
                stream.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n"));
            _written = path;
        }
        catch (IOException e)
        {
            Serilog.Log.Error("pid file not written: {Reason}", e.Message);
        }
    }

    /// <summary>Remove the file if it is still ours.</summary>
    public static void Remove()
    {
        var path = Interlocked.Exchange(ref _written, null);
        if (path is null) return;
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() == Environment.ProcessId.ToString()) File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
