using System.Collections.Immutable;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Akka.TestKit;
using Taskmaster.Core.Protocol;
using Taskmaster.Core.Supervision;
using Taskmaster.Tests.Support;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Control;

/// <summary>DESIGN §7 / issue item 4: bad clients get an error or are dropped, and nobody else notices.</summary>
public class MisbehavingClientTests : ListenerTestBase
{
    private void AnswerStatusForever() =>
        Supervisor.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is GetStatus) sender.Tell(new StatusReply([]), Akka.Actor.ActorRefs.NoSender);
            return AutoPilot.KeepRunning;
        }));

    private async Task AnotherClientIsServed()
    {
        using var client = await Connect();
        var response = await client.SendAsync(Request.For(Commands.Status), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.True(response.Ok);
    }

    private static string ReadLine(Socket s)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        s.ReceiveTimeout = 20_000;
        while (s.Receive(one) == 1 && one[0] != '\n') bytes.Add(one[0]);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool ReadsToEnd(Socket s, out long total)
    {
        total = 0;
        var buffer = new byte[64 * 1024];
        s.ReceiveTimeout = 20_000;
        try
        {
            int n;
            while ((n = s.Receive(buffer)) > 0) total += n;
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (SocketException)
        {
            return false; // timed out: still connected
        }
    }

    [Fact]
    public async Task Garbage_gets_a_bad_request_error_and_the_connection_stays_usable()
    {
        StartListener();
        AnswerStatusForever();
        using var raw = RawConnect();
        raw.Send("this is not json\n"u8);
        var error = ProtocolJson.ParseResponse(Encoding.UTF8.GetBytes(ReadLine(raw)));
        Assert.Equal(ErrorCodes.BadRequest, error.Error!.Code);
        raw.Send("{\"v\":1,\"command\":\"status\"}\n"u8);
        Assert.True(ProtocolJson.ParseResponse(Encoding.UTF8.GetBytes(ReadLine(raw))).Ok);
    }

    [Fact]
    public async Task A_line_over_one_MiB_gets_an_error_and_is_dropped()
    {
        StartListener();
        AnswerStatusForever();
        using var raw = RawConnect();
        var sender = Task.Run(() =>
        {
            try
            {
                raw.Send(Encoding.ASCII.GetBytes("{\"v\":1,\"command\":\"" + new string('x', WireProtocol.MaxRequestLineBytes + 10)));
            }
            catch (SocketException)
            {
                // The daemon hung up on us mid-line: expected.
            }
        }, TestContext.Current.CancellationToken);
        var error = ProtocolJson.ParseResponse(Encoding.UTF8.GetBytes(ReadLine(raw)));
        Assert.Equal(ErrorCodes.LineTooLong, error.Error!.Code);
        Assert.True(ReadsToEnd(raw, out _));
        await sender.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await AnotherClientIsServed();
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_request_does_not_disturb_others()
    {
        StartListener();
        using (var raw = RawConnect())
            raw.Send("{\"v\":1,\"comm"u8); // half a line, then gone
        using (var raw = RawConnect())
        {
            raw.Send("{\"v\":1,\"command\":\"status\"}\n"u8);
            Supervisor.ExpectMsg<GetStatus>(cancellationToken: TestContext.Current.CancellationToken);
            raw.Close(); // gone before the answer
            Supervisor.Reply(new StatusReply([]));
        }
        AnswerStatusForever();
        await AnotherClientIsServed();
    }

    [Fact]
    public async Task A_subscriber_that_never_reads_is_dropped_and_others_keep_working()
    {
        StartListener(DefaultSettings() with { MaxPendingBytes = 256 * 1024, WriteTimeout = TimeSpan.FromSeconds(5) });
        using var raw = RawConnect();
        raw.ReceiveBufferSize = 4096;
        raw.Send("{\"v\":1,\"command\":\"subscribe\"}\n"u8);
        Supervisor.ExpectMsg<GetStatus>(cancellationToken: TestContext.Current.CancellationToken);
        Supervisor.Reply(new StatusReply([]));
        Assert.True(ProtocolJson.ParseResponse(Encoding.UTF8.GetBytes(ReadLine(raw))).Ok); // subscribed from here on
        AnswerStatusForever();

        // Flood far more than the socket buffers and the pending limit hold, without reading.
        var reason = new string('r', 1000);
        long published = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 20_000; i++)
        {
            Sys.EventStream.Publish(new InstanceTransition("web", "web", ProcessState.Running, ProcessState.Exited, reason, null, 0, null, DateTimeOffset.UnixEpoch));
            published += 1100;
        }
        await AnotherClientIsServed();
        Assert.True(ReadsToEnd(raw, out var received), "the non-reading subscriber was not dropped");
        Assert.True(received < published, $"received {received} of {published} bytes: nothing was dropped");
    }

    [Fact]
    public async Task Fifty_clients_with_a_hundred_requests_each_are_all_answered()
    {
        StartListener();
        Supervisor.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is GetStatus g)
                sender.Tell(new StatusReply([new InstanceStatus("web", "web", ProcessState.Running, 1, DateTimeOffset.UnixEpoch, "x")]),
                    Akka.Actor.ActorRefs.NoSender);
            return AutoPilot.KeepRunning;
        }));
        var ok = 0;
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            using var client = await Connect();
            for (var i = 0; i < 100; i++)
            {
                var r = await client.SendAsync(Request.For(Commands.Status), TestContext.Current.CancellationToken);
                if (r.Ok && r.Instances!.Count == 1) Interlocked.Increment(ref ok);
            }
        }, TestContext.Current.CancellationToken))).WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
        Assert.Equal(5000, ok);
    }
}
