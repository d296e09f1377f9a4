using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Taskmaster.Core.Protocol;

namespace Taskmaster.Daemon.Control;

/// <summary>
/// Accepts connections on the control socket (a raw AF_UNIX <see cref="Socket"/>: Akka.IO cannot bind Unix
/// sockets), checks the peer's uid (SO_PEERCRED) and gives each allowed client its own
/// <see cref="ControlConnectionActor"/>. A refused client gets one error line and is logged. Owns the socket:
/// closes and removes it when stopped.
/// </summary>
public sealed class ControlListenerActor : ReceiveActor, IWithTimers
{
    public static Props Props(Socket listener, string socketPath, ControlSettings settings) =>
        Akka.Actor.Props.Create(() => new ControlListenerActor(listener, socketPath, settings));

    private sealed record Accepted(Socket Client);
    private sealed record AcceptFailed(Exception Error);
    private sealed record AcceptAgain { public static readonly AcceptAgain Instance = new(); }

    private readonly Socket _listener;
    private readonly string _socketPath;
    private readonly ControlSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _connections;

    public ITimerScheduler Timers { get; set; } = null!;

    public ControlListenerActor(Socket listener, string socketPath, ControlSettings settings)
    {
        _listener = listener;
        _socketPath = socketPath;
        _settings = settings;
        Receive<Accepted>(m => OnAccepted(m.Client));
        Receive<AcceptFailed>(m =>
        {
            if (m.Error is ObjectDisposedException) return;
            // EMFILE and friends: retry shortly instead of spinning.
            _log.Error("Control socket {Socket}: accept failed: {Error}", _socketPath, m.Error.Message);
            Timers.StartSingleTimer("accept", AcceptAgain.Instance, TimeSpan.FromMilliseconds(200));
        });
        Receive<AcceptAgain>(_ => AcceptNext());
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        _log.Info("Listening for controllers on {Socket}", _socketPath);
        AcceptNext();
    }

    protected override void PostStop() => ControlSocket.Close(_listener, _socketPath);

    private void AcceptNext() =>
        _listener.AcceptAsync().PipeTo(Self, success: s => new Accepted(s), failure: e => new AcceptFailed(e));

    private void OnAccepted(Socket client)
    {
        AcceptNext();
        var peer = PeerCredentials.Of(client);
        if (peer is not { } p || !_settings.Policy.Allows(p))
        {
            Refuse(client, peer);
            return;
        }
        Context.ActorOf(ControlConnectionActor.Props(client, p, _settings), $"connection-{++_connections}");
    }

    private void Refuse(Socket client, PeerCredentials? peer)
    {
        _log.Warning("Refused control client pid {Pid} uid {Uid} gid {Gid}: not root, the daemon's user or socket_group",
            peer?.Pid, peer?.Uid, peer?.Gid);
        try
        {
            client.Blocking = false;
            var message = Response.Failure(ErrorCodes.Forbidden,
                $"permission denied: uid {peer?.Uid} may not use {_socketPath} (allowed: root, uid {_settings.Policy.DaemonUid}" +
                (_settings.Policy.GroupId is { } g ? $", group {g})" : ")"));
            client.Send(ProtocolJson.ToLine(ProtocolJson.Serialize(message)));
            client.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }
}
