using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Taskmaster.Core.Protocol;

namespace Taskmaster.Daemon.Control;

/// <summary>
/// Accepts connections on the control socket (a raw AF_UNIX <see cref="Socket"/>: Akka.IO cannot bind Unix
/// sockets), checks the peer's credentials (SO_PEERCRED, SO_PEERGROUPS) and gives each allowed client its own
/// <see cref="ControlConnectionActor"/>, within the per-uid and total connection limits. A refused client gets one
/// error line (<c>forbidden</c>, or <c>too_many_connections</c>) and is hung up on; refusals are logged a few per
/// interval, then counted in one summary line, so that a flood of connects cannot fill the log. Owns the socket:
/// closes and removes it when stopped.
/// </summary>
public sealed class ControlListenerActor : ReceiveActor, IWithTimers
{
    public static Props Props(Socket listener, string socketPath, ControlSettings settings) =>
        Akka.Actor.Props.Create(() => new ControlListenerActor(listener, socketPath, settings));

    private sealed record Accepted(Socket Client);
    private sealed record AcceptFailed(Exception Error);
    private sealed record AcceptAgain { public static readonly AcceptAgain Instance = new(); }
    private sealed record RefusalWindowEnded { public static readonly RefusalWindowEnded Instance = new(); }

    private static readonly byte[] ForbiddenLine =
        ProtocolJson.ToLine(ProtocolJson.Serialize(Response.Failure(ErrorCodes.Forbidden, "forbidden")));

    private static readonly byte[] TooManyLine =
        ProtocolJson.ToLine(ProtocolJson.Serialize(Response.Failure(ErrorCodes.TooManyConnections, "too many connections")));

    private readonly Socket _listener;
    private readonly string _socketPath;
    private readonly ControlSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _connections;

    // Open connections: by child, and counted by uid and (for other users than root and ours) in total.
    private readonly Dictionary<IActorRef, uint> _owners = [];
    private readonly Dictionary<uint, int> _perUid = [];
    private int _unprivileged;

    // Refusal logging: how many were logged in the current window, and how many were only counted.
    private int _refusalsLogged, _refusalsSuppressed;
    private bool _refusalWindowOpen;

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
        Receive<Terminated>(m => OnConnectionEnded(m.ActorRef));
        Receive<RefusalWindowEnded>(_ => OnRefusalWindowEnded());
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
            LogRefusal(peer, "not root, the daemon's user or socket_group");
            Refuse(client, ForbiddenLine);
            return;
        }
        var privileged = _settings.Policy.IsPrivileged(p.Uid);
        var mine = _perUid.GetValueOrDefault(p.Uid);
        if (mine >= _settings.MaxConnectionsPerUid || (!privileged && _unprivileged >= _settings.MaxConnections))
        {
            LogRefusal(peer, mine >= _settings.MaxConnectionsPerUid
                ? $"uid {p.Uid} already has {mine} connections"
                : $"{_unprivileged} connections are open");
            Refuse(client, TooManyLine);
            return;
        }
        var child = Context.ActorOf(ControlConnectionActor.Props(client, p, _settings), $"connection-{++_connections}");
        Context.Watch(child);
        _owners[child] = p.Uid;
        _perUid[p.Uid] = mine + 1;
        if (!privileged) _unprivileged++;
    }

    private void OnConnectionEnded(IActorRef child)
    {
        if (!_owners.Remove(child, out var uid)) return;
        var left = _perUid.GetValueOrDefault(uid) - 1;
        if (left > 0) _perUid[uid] = left;
        else _perUid.Remove(uid);
        if (!_settings.Policy.IsPrivileged(uid)) _unprivileged--;
    }

    private void LogRefusal(PeerCredentials? peer, string why)
    {
        if (!_refusalWindowOpen)
        {
            _refusalWindowOpen = true;
            Timers.StartSingleTimer("refusals", RefusalWindowEnded.Instance, _settings.RefusalLogInterval);
        }
        if (_refusalsLogged < _settings.RefusalsLoggedPerInterval)
        {
            _refusalsLogged++;
            _log.Warning("Refused control client pid {Pid} uid {Uid} gid {Gid}: {Why}", peer?.Pid, peer?.Uid, peer?.Gid, why);
            if (_refusalsLogged == _settings.RefusalsLoggedPerInterval)
                _log.Warning("Further refused control clients are counted, not logged, for {Interval} s", _settings.RefusalLogInterval.TotalSeconds);
            return;
        }
        _refusalsSuppressed++;
    }

    private void OnRefusalWindowEnded()
    {
        if (_refusalsSuppressed > 0)
            _log.Warning("Refused {Count} more control clients in the last {Interval} s", _refusalsSuppressed, _settings.RefusalLogInterval.TotalSeconds);
        var busy = _refusalsSuppressed > 0;
        _refusalsLogged = _refusalsSuppressed = 0;
        _refusalWindowOpen = busy;
        // Still under a flood: keep counting in windows, so that it cannot burst the log again each interval.
        if (busy)
        {
            _refusalsLogged = _settings.RefusalsLoggedPerInterval;
            Timers.StartSingleTimer("refusals", RefusalWindowEnded.Instance, _settings.RefusalLogInterval);
        }
    }

    /// <summary>One short line (a fresh socket's buffer takes it without blocking), then hang up.</summary>
    private static void Refuse(Socket client, byte[] line)
    {
        try
        {
            client.Blocking = false;
            client.Send(line);
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
