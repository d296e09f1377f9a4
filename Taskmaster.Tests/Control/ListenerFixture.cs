using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit;
using Taskmaster.Core.Protocol;
using Taskmaster.Daemon.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>
/// A real control socket served by a real <see cref="ControlListenerActor"/>, with a TestProbe standing in for
/// the ConfigActor.
/// </summary>
public abstract class ListenerTestBase : Akka.TestKit.Xunit.TestKit, IDisposable
{
    protected readonly TempDir Dir = new();
    protected readonly TestProbe Supervisor;
    protected readonly string SocketPath;
    protected IActorRef Listener = ActorRefs.Nobody;
    protected int ExitRequests;

    // ExpectMsg without a timeout: generous for a loaded CI machine (the default is 3 s); costs nothing when it passes.
    protected ListenerTestBase() : base("akka.test.single-expect-default = 20s")
    {
        Supervisor = CreateTestProbe("supervisor");
        SocketPath = Path.Combine(Dir.Path, "run", "taskmasterd.sock");
    }

    protected ControlSettings DefaultSettings() =>
        new(Supervisor.Ref, PeerPolicy.ForCurrentUser(null), () => Interlocked.Increment(ref ExitRequests));

    protected void StartListener(ControlSettings? settings = null, int mode = 0x1C0)
    {
        var socket = ControlSocket.Bind(SocketPath, mode, null);
        Listener = Sys.ActorOf(ControlListenerActor.Props(socket, SocketPath, settings ?? DefaultSettings()), "listener");
    }

    protected Task<ControlClient> Connect() => ControlClient.ConnectAsync(SocketPath, TestContext.Current.CancellationToken);

    /// <summary>A raw socket, for clients that misbehave.</summary>
    protected Socket RawConnect()
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(SocketPath));
        return s;
    }

    /// <summary>Send a request on a background task, let the probe answer, and return the response.</summary>
    protected async Task<Response> Exchange<TMessage>(Request request, Func<TMessage, object> answer)
    {
        using var client = await Connect();
        var pending = client.SendAsync(request, TestContext.Current.CancellationToken);
        var message = Supervisor.ExpectMsg<TMessage>(TimeSpan.FromSeconds(10));
        Supervisor.Reply(answer(message));
        return await pending.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Dir.Dispose();
    }
}
