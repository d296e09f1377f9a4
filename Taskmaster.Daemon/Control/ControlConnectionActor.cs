using System.Net.Sockets;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Taskmaster.Core.Protocol;
using Taskmaster.Core.Supervision;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Daemon.Control;

/// <summary>
/// One client connection: reads request lines one at a time, asks the ConfigActor (the only place the daemon
/// uses Ask, each with a timeout and an error reply), writes the response. After <c>subscribe</c> or
/// <c>tail --follow</c> it pushes events until the client hangs up. A client that sends garbage gets an error;
/// one that sends an over-long line, stops reading or is too slow to take its output is dropped. Nothing a
/// client does reaches other connections.
/// </summary>
public sealed class ControlConnectionActor : ReceiveActor, IWithTimers
{
    public static Props Props(Socket socket, PeerCredentials peer, ControlSettings settings) =>
        Akka.Actor.Props.Create(() => new ControlConnectionActor(socket, peer, settings));

    private sealed record LineReceived(byte[] Line);
    private sealed record ReadFailed(Exception Error);
    private sealed record PeerClosed { public static readonly PeerClosed Instance = new(); }
    private sealed record Answered(Request Request, object Reply);
    private sealed record AskFailed(Request Request, Exception Error);
    private sealed record WriteDone { public static readonly WriteDone Instance = new(); }
    private sealed record WriteFailed(Exception Error);
    private sealed record WriteTimedOut { public static readonly WriteTimedOut Instance = new(); }
    private sealed record FollowTick { public static readonly FollowTick Instance = new(); }
    private sealed record IdleTick { public static readonly IdleTick Instance = new(); }

    /// <param name="Rest">The following lines of a paged reply, serialised only when their turn comes.</param>
    private sealed record Outgoing(byte[] Bytes, Action? AfterWrite, IEnumerator<byte[]>? Rest = null);

    /// <summary>Instances per line of a paged reply (a few hundred KiB).</summary>
    public const int InstancesPerPage = 1000;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly LineReader _reader;
    private readonly PeerCredentials _peer;
    private readonly ControlSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkedList<Outgoing> _outbox = new();
    private long _pendingBytes;
    private bool _writing;
    private bool _closeWhenFlushed;

    // Streaming (subscribe / tail --follow) state.
    private bool _streaming;
    private HashSet<string>? _streamNames; // null: every instance
    private bool _streamTransitions;
    // Transitions published between the subscribe request and its status snapshot: sent after the snapshot so none
    // is lost (a client drops those older than the snapshot by their time).
    private List<InstanceTransition>? _earlyTransitions;
    private readonly List<LogFollower> _followers = [];

    // Waiting for a request: since when, and since when an unfinished request line has been pending.
    private DateTime? _waitingSince;
    private DateTime? _partialSince;

    public ITimerScheduler Timers { get; set; } = null!;

    public ControlConnectionActor(Socket socket, PeerCredentials peer, ControlSettings settings)
    {
        _socket = socket;
        _peer = peer;
        _settings = settings;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new LineReader(_stream, WireProtocol.MaxRequestLineBytes);

        Receive<LineReceived>(m => OnLine(m.Line));
        Receive<ReadFailed>(m => OnReadFailed(m.Error));
        Receive<PeerClosed>(_ =>
        {
            // Closing after a last error line: let it be written first (WriteNext stops when the outbox is empty).
            if (_closeWhenFlushed && _writing) return;
            Context.Stop(Self);
        });
        Receive<Answered>(m => OnAnswered(m.Request, m.Reply));
        Receive<AskFailed>(m => OnAskFailed(m.Request, m.Error));
        Receive<WriteDone>(_ => OnWriteDone());
        Receive<WriteFailed>(m =>
        {
            _log.Debug("Control client pid {Pid}: write failed: {Error}", _peer.Pid, m.Error.Message);
            Context.Stop(Self);
        });
        Receive<WriteTimedOut>(_ =>
        {
            _log.Warning("Dropping control client pid {Pid} uid {Uid}: it does not read its output", _peer.Pid, _peer.Uid);
            Context.Stop(Self);
        });
        Receive<FollowTick>(_ => PollFollowers());
        Receive<IdleTick>(_ => CheckIdle());
        Receive<InstanceTransition>(OnTransition);
    }

    protected override void PreStart()
    {
        _log.Debug("Control client connected: pid {Pid} uid {Uid}", _peer.Pid, _peer.Uid);
        var shortest = _settings.IdleTimeout < _settings.RequestTimeout ? _settings.IdleTimeout : _settings.RequestTimeout;
        var tick = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(1).Ticks));
        Timers.StartPeriodicTimer("idle", IdleTick.Instance, tick);
        ReadNext();
    }

    protected override void PostStop()
    {
        if (_streamTransitions || _earlyTransitions is not null) Context.System.EventStream.Unsubscribe(Self, typeof(InstanceTransition));
        try
        {
            // Dispose alone may wait for an in-flight write to a client that never reads; shutdown hangs up now.
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _stream.Dispose();
        _socket.Dispose();
        _reader.Dispose(); // its buffer is freed now, or when the pending read ends
    }

    // ---- Reading ----

    private void ReadNext()
    {
        if (_closeWhenFlushed) return;
        if (!_streaming) _waitingSince ??= DateTime.UtcNow;
        _reader.ReadLineAsync().AsTask().PipeTo(Self,
            success: line => line is null ? PeerClosed.Instance : new LineReceived(line),
            failure: e => e is IOException { InnerException: SocketException } or ObjectDisposedException
                ? PeerClosed.Instance
                : new ReadFailed(e));
    }

    private void OnReadFailed(Exception error)
    {
        if (error is LineTooLongException tooLong)
        {
            _log.Warning("Dropping control client pid {Pid} uid {Uid}: request line over {Limit} bytes", _peer.Pid, _peer.Uid, tooLong.Limit);
            Send(Response.Failure(ErrorCodes.LineTooLong, $"request line longer than {tooLong.Limit} bytes; closing"));
            _closeWhenFlushed = true;
            return;
        }
        _log.Debug("Control client pid {Pid}: read failed: {Error}", _peer.Pid, error.Message);
        Context.Stop(Self);
    }

    /// <summary>
    /// Between requests a client has <see cref="ControlSettings.IdleTimeout"/> to send one, and each request line
    /// must be complete <see cref="ControlSettings.RequestTimeout"/> after its first byte arrived. A request being
    /// served and a stream (subscribe, tail -f) are never timed out here.
    /// </summary>
    private void CheckIdle()
    {
        if (_streaming || _closeWhenFlushed)
        {
            Timers.Cancel("idle");
            return;
        }
        if (_waitingSince is not { } since) return;
        var now = DateTime.UtcNow;
        if (_reader.PendingBytes > 0)
        {
            _partialSince ??= now;
            if (now - _partialSince.Value < _settings.RequestTimeout) return;
            _log.Info("Dropping control client pid {Pid} uid {Uid}: request not finished within {Seconds} s",
                _peer.Pid, _peer.Uid, _settings.RequestTimeout.TotalSeconds);
            Close(Response.Failure(ErrorCodes.Timeout, $"request not finished within {_settings.RequestTimeout.TotalSeconds} s; closing"));
            return;
        }
        _partialSince = null;
        if (now - since < _settings.IdleTimeout) return;
        _log.Debug("Closing idle control client pid {Pid} uid {Uid}", _peer.Pid, _peer.Uid);
        Close(Response.Failure(ErrorCodes.Timeout, $"no request for {_settings.IdleTimeout.TotalSeconds} s; closing"));
    }

    /// <summary>Send a last error and hang up once it is written (or the write times out).</summary>
    private void Close(Response last)
    {
        Timers.Cancel("idle");
        Send(last);
        _closeWhenFlushed = true;
        // Shut the read side: the pending read ends and nothing more is buffered.
        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private void OnLine(byte[] line)
    {
        _waitingSince = null;
        _partialSince = null;
        if (_streaming)
        {
            // A streaming connection only carries events; keep reading to notice the hang-up.
            ReadNext();
            return;
        }
        if (line.AsSpan().Trim(" \t\r"u8).IsEmpty)
        {
            ReadNext();
            return;
        }
        Request request;
        try
        {
            request = ProtocolJson.ParseRequest(line);
        }
        catch (JsonException e)
        {
            Send(Response.Failure(ErrorCodes.BadRequest, $"not a request: {e.Message}"));
            ReadNext();
            return;
        }
        Dispatch(request);
    }

    // ---- Requests ----

    private void Dispatch(Request request)
    {
        if (request.Version != WireProtocol.Version)
        {
            Send(Response.Failure(ErrorCodes.UnsupportedVersion,
                $"protocol version {request.Version} is not supported; this daemon speaks {WireProtocol.Version}"));
            ReadNext();
            return;
        }
        switch (request.Command)
        {
            case Commands.Version:
                Send(new Response { Ok = true, DaemonVersion = _settings.DaemonVersion, ProcessTracking = _settings.ProcessTracking });
                ReadNext();
                return;
            case Commands.Pid when request.Targets is null or { Count: 0 }:
                Send(new Response { Ok = true, Pid = Environment.ProcessId });
                ReadNext();
                return;
        }
        var (message, error) = RequestMapping.ToMessage(request);
        if (error is not null || message is null)
        {
            Send(error ?? Response.Failure(ErrorCodes.Internal, "no message"));
            ReadNext();
            return;
        }
        if (request.Command == Commands.Subscribe)
        {
            _earlyTransitions = [];
            Context.System.EventStream.Subscribe(Self, typeof(InstanceTransition));
        }
        var timeout = RequestMapping.IsLongRunning(request) ? _settings.CommandTimeout : _settings.QueryTimeout;
        _settings.Supervisor.Ask<object>(message, timeout).PipeTo(Self,
            success: reply => new Answered(request, reply),
            failure: e => new AskFailed(request, e));
    }

    private void OnAskFailed(Request request, Exception error)
    {
        var response = error is AskTimeoutException
            ? Response.Failure(ErrorCodes.Timeout, $"{request.Command}: the daemon did not answer in time")
            : Response.Failure(ErrorCodes.Internal, $"{request.Command}: {error.Message}");
        _log.Warning("Control request {Command} failed: {Error}", request.Command, error.Message);
        DropEarlyTransitions();
        Send(response);
        ReadNext();
    }

    private void OnAnswered(Request request, object reply)
    {
        if (reply is StatusReply all && request.Command is Commands.Status)
        {
            DropEarlyTransitions();
            SendInstances(all.Instances);
            ReadNext();
            return;
        }
        if (reply is not StatusReply status)
        {
            DropEarlyTransitions(); // a subscribe that failed
            var response = RequestMapping.ToResponse(reply);
            if (request.Command == Commands.Shutdown && response.Ok)
                Send(response, _settings.RequestExit);
            else
                Send(response);
            ReadNext();
            return;
        }
        switch (request.Command)
        {
            case Commands.Pid:
                Send(status.Instances.Length == 1
                    ? new Response { Ok = true, Pid = status.Instances[0].Pid, Instances = [InstanceInfo.From(status.Instances[0])] }
                    : new Response { Ok = true, Instances = [.. status.Instances.Select(InstanceInfo.From)] });
                ReadNext();
                return;
            case Commands.Tail:
                Tail(request, status);
                return;
            case Commands.Subscribe:
                Subscribe(request, status);
                return;
            default:
                Send(Response.Failure(ErrorCodes.Internal, $"{request.Command}: unexpected status reply"));
                ReadNext();
                return;
        }
    }

    private void DropEarlyTransitions()
    {
        if (_earlyTransitions is null) return;
        _earlyTransitions = null;
        Context.System.EventStream.Unsubscribe(Self, typeof(InstanceTransition));
    }

    private void Tail(Request request, StatusReply status)
    {
        var stream = request.Stream ?? "stdout";
        if (stream is not ("stdout" or "stderr"))
        {
            Send(Response.Failure(ErrorCodes.BadRequest, $"tail: stream must be stdout or stderr, not {stream}"));
            ReadNext();
            return;
        }
        if (status.Instances.Length != 1)
        {
            Send(Response.Failure(ErrorCodes.BadRequest,
                $"tail: {request.Targets![0]} has {status.Instances.Length} instances; name one of " +
                string.Join(", ", status.Instances.Select(i => i.Name))));
            ReadNext();
            return;
        }
        var instance = status.Instances[0];
        var path = stream == "stdout" ? instance.StdoutPath : instance.StderrPath;
        if (path is null)
        {
            Send(Response.Failure(ErrorCodes.Failed, $"tail: the {stream} of {instance.Name} is not kept (none)"));
            ReadNext();
            return;
        }
        var follower = new LogFollower(instance.Name, stream, path);
        string text;
        try
        {
            text = follower.ReadTail(Math.Clamp(request.Bytes ?? WireProtocol.DefaultTailBytes, 0, WireProtocol.MaxTailBytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Send(Response.Failure(ErrorCodes.Failed, $"tail: cannot read {path}: {e.Message}"));
            ReadNext();
            return;
        }
        Send(new Response { Ok = true, Text = text, Path = path });
        if (request.Follow == true)
        {
            _streaming = true;
            _followers.Add(follower);
            Timers.StartPeriodicTimer("follow", FollowTick.Instance, _settings.FollowInterval);
        }
        ReadNext();
    }

    private void Subscribe(Request request, StatusReply status)
    {
        SendInstances(status.Instances);
        _streaming = true;
        _streamTransitions = true;
        _streamNames = RequestMapping.Targets(request).IsEmpty ? null : [.. status.Instances.Select(i => i.Name)];
        var early = _earlyTransitions ?? [];
        _earlyTransitions = null;
        foreach (var t in early) OnTransition(t);
        if (request.Logs == true)
        {
            foreach (var i in status.Instances)
            {
                if (i.StdoutPath is { } o) _followers.Add(new LogFollower(i.Name, "stdout", o));
                if (i.StderrPath is { } e && e != i.StdoutPath) _followers.Add(new LogFollower(i.Name, "stderr", e));
            }
            foreach (var f in _followers)
            {
                try { f.ReadTail(0); } catch (IOException) { }
            }
            Timers.StartPeriodicTimer("follow", FollowTick.Instance, _settings.FollowInterval);
        }
        ReadNext();
    }

    private void OnTransition(InstanceTransition t)
    {
        if (_earlyTransitions is not null)
        {
            _earlyTransitions.Add(t);
            return;
        }
        if (!_streamTransitions || (_streamNames is not null && !_streamNames.Contains(t.Name))) return;
        Send(new StreamEvent
        {
            Kind = StreamEvent.Kinds.Transition,
            Name = t.Name,
            Program = t.Program,
            From = t.From.Display(),
            To = t.To.Display(),
            Reason = t.Reason,
            Pid = t.Pid,
            ExitCode = t.ExitCode,
            ExitSignal = t.ExitSignal,
            Time = t.Time.ToUnixTimeMilliseconds(),
        });
    }

    private void PollFollowers()
    {
        foreach (var f in _followers)
        {
            string? data;
            try
            {
                data = f.ReadNew();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.Debug("Cannot follow {Path}: {Error}", f.Path, e.Message);
                continue;
            }
            if (data is not null)
                Send(new StreamEvent { Kind = StreamEvent.Kinds.Log, Name = f.Instance, Stream = f.Stream, Data = data });
        }
    }

    // ---- Writing ----

    private void Send(Response response, Action? afterWrite = null) =>
        Enqueue(ProtocolJson.ToLine(ProtocolJson.Serialize(response)), afterWrite);

    /// <summary>A list of instances, in pages of <see cref="InstancesPerPage"/> written one after the other (nothing
    /// else goes in between), so that neither a line nor the pending output grows with the number of instances.</summary>
    private void SendInstances(IReadOnlyList<InstanceStatus> instances)
    {
        var pages = Pages(instances).GetEnumerator();
        pages.MoveNext(); // at least one page, possibly empty
        Enqueue(pages.Current, null, pages);
    }

    private static IEnumerable<byte[]> Pages(IReadOnlyList<InstanceStatus> instances)
    {
        var start = 0;
        do
        {
            var count = Math.Min(InstancesPerPage, instances.Count - start);
            var page = new InstanceInfo[count];
            for (var i = 0; i < count; i++) page[i] = InstanceInfo.From(instances[start + i]);
            start += count;
            var more = start < instances.Count;
            yield return ProtocolJson.ToLine(ProtocolJson.Serialize(new Response { Ok = true, Instances = page, More = more ? true : null }));
        } while (start < instances.Count);
    }

    private void Send(StreamEvent e) => Enqueue(ProtocolJson.ToLine(ProtocolJson.Serialize(e)), null);

    private void Enqueue(byte[] bytes, Action? afterWrite, IEnumerator<byte[]>? rest = null)
    {
        _pendingBytes += bytes.Length;
        if (_pendingBytes > _settings.MaxPendingBytes)
        {
            _log.Warning("Dropping control client pid {Pid} uid {Uid}: {Bytes} bytes of output it does not read",
                _peer.Pid, _peer.Uid, _pendingBytes);
            Context.Stop(Self);
            return;
        }
        _outbox.AddLast(new Outgoing(bytes, afterWrite, rest));
        if (!_writing) WriteNext();
    }

    private void WriteNext()
    {
        if (_outbox.First?.Value is not { } next)
        {
            _writing = false;
            if (_closeWhenFlushed) Context.Stop(Self);
            return;
        }
        _writing = true;
        Timers.StartSingleTimer("write", WriteTimedOut.Instance, _settings.WriteTimeout);
        _stream.WriteAsync(next.Bytes).AsTask().PipeTo(Self,
            success: () => WriteDone.Instance,
            failure: e => new WriteFailed(e));
    }

    private void OnWriteDone()
    {
        Timers.Cancel("write");
        var done = _outbox.First!.Value;
        _outbox.RemoveFirst();
        _pendingBytes -= done.Bytes.Length;
        done.AfterWrite?.Invoke();
        if (done.Rest is { } rest)
        {
            if (rest.MoveNext())
            {
                _pendingBytes += rest.Current.Length;
                _outbox.AddFirst(new Outgoing(rest.Current, null, rest));
            }
            else rest.Dispose();
        }
        WriteNext();
    }
}
