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
        var env = Environment.GetEnvironmentVariable(DefaultPaths.SocketEnvironmentVariable);
        return Path.GetFullPath(string.IsNullOrEmpty(env) ? DefaultPaths.Socket() : env);
    }

    /// <summary>Bind the socket and start listening; returns the listener actor.</summary>
    /// <exception cref="AlreadyRunningException">Another daemon answers on the socket.</exception>
    /// <exception cref="ControlSocketException">The socket cannot be created.</exception>
    public static IActorRef Start(ActorSystem system, IActorRef configActor, DaemonSettings settings,
        string? socketOption, string? pidFileOption, Action requestExit)
    {
        var path = SocketPath(socketOption, settings);
        uint? gid = null;
        if (settings.SocketGroup is { } group)
            gid = UnixAccounts.GroupId(group) ?? throw new ControlSocketException($"socket_group: no such group '{group}'");
        var socket = ControlSocket.Bind(path, settings.SocketMode, gid);
        var listener = system.ActorOf(
            ControlListenerActor.Props(socket, path, new ControlSettings(configActor, PeerPolicy.ForCurrentUser(gid), requestExit)),
            "control");

        if ((pidFileOption ?? settings.PidFile) is { } pidFile) PidFile.Write(pidFile);
        Daemonizer.NotifyReady();
        return listener;
    }
}

/// <summary><c>--pidfile</c>: the daemon's pid, written once the socket is up and removed at exit.</summary>
public static class PidFile
{
    private static string? _written;

    public static void Write(string path)
    {
        path = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(path);
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, Environment.ProcessId + "\n");
        _written = path;
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
